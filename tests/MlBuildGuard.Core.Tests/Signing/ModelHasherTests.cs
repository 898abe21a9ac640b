using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Signing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Signing;

public sealed class ModelHasherTests
{
    [Fact]
    public void Names_are_sorted_by_utf8_bytes_not_utf16_or_path_components()
    {
        using var temp = new TempDirectory("oms-hash");
        temp.Write("m/tokenizer/vocab.txt", "v");
        temp.Write("m/tokenizer.json", "t");
        temp.Write("m/\uFF61", "halfwidth"); // UTF-8 EF BD A1
        temp.Write("m/\U0001F600", "emoji");  // UTF-8 F0 9F 98 80, but UTF-16 D83D sorts before FF61
        temp.Write("m/B", "upper");

        var names = ModelHasher.Hash(temp.Combine("m")).Resources.Select(r => r.Name).ToList();
        Assert.Equal(["B", "tokenizer.json", "tokenizer/vocab.txt", "\uFF61", "\U0001F600"], names);
    }

    [Fact]
    public void Digests_match_sha256_of_each_file_when_hashed_in_parallel()
    {
        using var temp = new TempDirectory("oms-hash");
        var expected = new Dictionary<string, string>();
        for (var i = 0; i < 200; i++)
        {
            var content = new string((char)('a' + (i % 26)), i * 37);
            temp.Write($"m/d{i % 7}/f{i:D3}", content);
            expected[$"d{i % 7}/f{i:D3}"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        }

        var manifest = ModelHasher.Hash(temp.Combine("m"));
        Assert.Equal(200, manifest.Resources.Count);
        Assert.All(manifest.Resources, r => Assert.Equal(expected[r.Name], r.Digest));
        var root = SHA256.HashData(manifest.Resources.SelectMany(r => Convert.FromHexString(r.Digest)).ToArray());
        Assert.Equal(Convert.ToHexStringLower(root), manifest.RootDigest);
    }

    [Fact]
    public void Git_paths_are_ignored_only_at_the_top_and_ignores_match_whole_components()
    {
        using var temp = new TempDirectory("oms-hash");
        temp.Write("m/.git/config", "x");
        temp.Write("m/.gitignore", "x");
        temp.Write("m/sub/.git/config", "x");
        temp.Write("m/.hidden", "x");
        temp.Write("m/ignore-me/a", "x");
        temp.Write("m/ignore-me2", "x");

        var manifest = ModelHasher.Hash(temp.Combine("m"), new ModelHashOptions { IgnorePaths = ["ignore-me/"] });
        Assert.Equal([".hidden", "ignore-me2", "sub/.git/config"], manifest.Resources.Select(r => r.Name));
        Assert.Equal([".git", ".gitattributes", ".github", ".gitignore", "ignore-me"], manifest.Serialization.IgnorePaths!);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("")]
    public void Unsafe_ignore_paths_are_rejected(string ignore)
    {
        using var temp = new TempDirectory("oms-hash");
        temp.Write("m/a", "x");
        Assert.Throws<ArgumentException>(() => ModelHasher.Hash(temp.Combine("m"), new ModelHashOptions { IgnorePaths = [ignore] }));
    }

    [LinuxFact]
    public void Links_are_rejected_unless_allowed_and_never_when_they_leave_the_model()
    {
        using var temp = new TempDirectory("oms-hash");
        var outside = temp.Write("outside.txt", "secret");
        var inside = temp.Write("m/real.bin", "real");
        File.CreateSymbolicLink(temp.Combine("m", "inner-link"), inside);

        Assert.Throws<ModelHashException>(() => ModelHasher.Hash(temp.Combine("m")));
        var allowed = ModelHasher.Hash(temp.Combine("m"), new ModelHashOptions { AllowSymlinks = true });
        Assert.Equal(allowed.Resources[0].Digest, allowed.Resources[1].Digest);

        File.CreateSymbolicLink(temp.Combine("m", "escape"), outside);
        var error = Assert.Throws<ModelHashException>(() => ModelHasher.Hash(temp.Combine("m"), new ModelHashOptions { AllowSymlinks = true }));
        Assert.Contains("leaves the model folder", error.Message);

        temp.Write("m3/x", "x");
        File.CreateSymbolicLink(temp.Combine("m3", "up"), temp.Combine("m3", "..", "outside.txt"));
        Assert.Throws<ModelHashException>(() => ModelHasher.Hash(temp.Combine("m3"), new ModelHashOptions { AllowSymlinks = true }));

        // An ignored link is not an error.
        Assert.Equal(["real.bin"], ModelHasher.Hash(temp.Combine("m"), new ModelHashOptions { IgnorePaths = ["escape", "inner-link"] }).Resources.Select(r => r.Name));
    }

    [Fact]
    public void Shards_cover_each_file_in_offset_order_and_skip_empty_files()
    {
        using var temp = new TempDirectory("oms-hash");
        temp.Write("m/a", "0123456789abcdefXYZ"); // 19 bytes
        temp.Write("m/empty", "");
        var manifest = ModelHasher.Hash(temp.Combine("m"), new ModelHashOptions { ShardSize = 8 });
        Assert.Equal(["a:0:8", "a:8:16", "a:16:19"], manifest.Resources.Select(r => r.Name));
        Assert.All(manifest.Resources, r => Assert.Equal("sha256-sharded-8", r.Algorithm));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("89abcdef"u8)), manifest.Resources[1].Digest);
    }
}
