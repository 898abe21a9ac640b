using System.Text;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

/// <summary>
/// Rebuilds the reference implementation's fixtures and reproduces every <c>payload-goldens</c> statement byte for byte.
/// The goldens end with one '\n' that the test writer added; signed payloads have none, so one '\n' is appended here.
/// </summary>
public sealed class PayloadGoldenTests
{
    public static TheoryData<string> Goldens()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(OmsTestData.Path_("payload-goldens")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void All_21_goldens_are_present()
    {
        Assert.Equal(21, Goldens().Count);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void Statement_reproduces_golden_byte_for_byte(string golden)
    {
        using var temp = new TempDirectory("oms-golden");
        var fixture = golden.EndsWith("_small_shards", StringComparison.Ordinal) ? golden[..^"_small_shards".Length]
            : golden.EndsWith("_shard", StringComparison.Ordinal) ? golden[..^"_shard".Length]
            : golden;
        long? shardSize = golden.EndsWith("_small_shards", StringComparison.Ordinal) ? 8
            : golden.EndsWith("_shard", StringComparison.Ordinal) ? OmsConstants.DefaultShardSize
            : null;
        var (modelPath, ignores) = BuildFixture(temp, fixture);

        var manifest = ModelHasher.Hash(modelPath, new ModelHashOptions
        {
            AllowSymlinks = true,
            IgnoreGitPaths = false,
            IgnorePaths = ignores,
            RecordIgnorePaths = false,
            ShardSize = shardSize,
        });
        var actual = InTotoStatement.Create(Path.GetFileName(modelPath), manifest).ToJsonBytes();

        var expected = File.ReadAllBytes(OmsTestData.Path_("payload-goldens", golden));
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual) + "\n");
        Assert.True(expected.AsSpan().SequenceEqual([.. actual, (byte)'\n']), "bytes differ");

        // The parser reads back what was written; an empty model is valid for the reference but rejected by the OMS spec.
        if (manifest.Resources.Count == 0)
        {
            Assert.Throws<OmsFormatException>(() => InTotoStatement.Parse(actual.AsSpan()));
            return;
        }

        var parsed = InTotoStatement.Parse(actual.AsSpan());
        Assert.Equal(manifest.RootDigest, parsed.RootDigest);
        Assert.Equal(manifest.Resources, parsed.Manifest.Resources);
    }

    /// <summary>The fixtures of model_signing's tests/conftest.py, as described in research/model-signing.md §1.4.</summary>
    private static (string ModelPath, IReadOnlyList<string> Ignores) BuildFixture(TempDirectory temp, string fixture)
    {
        switch (fixture)
        {
            case "sample_model_file":
                return (temp.Write("file_model", "This is a simple model"), []);
            case "empty_model_file":
                return (temp.Write("empty_file_model", ""), []);
            case "sample_model_folder":
                for (var i = 0; i < 2; i++)
                {
                    for (var j = 0; j < 3; j++)
                    {
                        temp.Write($"sample_model/d{i}/f{i}{j}", $"This is file f{i}{j} in d{i}.");
                    }
                }

                for (var i = 0; i < 4; i++)
                {
                    temp.Write($"sample_model/f{i}", $"This is file f{i} in root.");
                }

                return (temp.Combine("sample_model"), []);
            case "empty_model_folder":
                Directory.CreateDirectory(temp.Combine("empty_folder_model"));
                return (temp.Combine("empty_folder_model"), []);
            case "model_folder_with_empty_file":
                temp.Write("empty_file_inside_model/empty_file", "");
                return (temp.Combine("empty_file_inside_model"), []);
            case "deep_model_folder":
                for (var i = 0; i < 4; i++)
                {
                    temp.Write($"deep_model/d0/d1/d2/d3/d4/f{i}", $"This is file f{i}.");
                }

                return (temp.Combine("deep_model"), []);
            case "symlink_model_folder":
                // The reference links to a file outside the model; this library refuses links that leave the model folder,
                // so the target lives in an ignored sub-folder instead. The hashed content and the resource name are the same.
                var target = temp.Write("symlink_model/.target/real", "This is a simple model");
                File.CreateSymbolicLink(temp.Combine("symlink_model", "symlink_file"), target);
                return (temp.Combine("symlink_model"), [".target"]);
            default:
                throw new InvalidOperationException("unknown fixture " + fixture);
        }
    }
}
