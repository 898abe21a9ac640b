using System.Text;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using static MlBuildGuard.Core.Tests.Models.Keras.KerasTest;
using static MlBuildGuard.Core.Tests.Models.Keras.TensorFlow;

namespace MlBuildGuard.Core.Tests.Models.Keras;

/// <summary>2,000 random and mutated inputs per entry point (fixed seeds): none may throw, and only the format's codes appear.</summary>
public class KerasFuzzTests
{
    private const int Iterations = 2000;
    private static readonly string[] Codes = ["MLG302", "MLG303", "MLG306", "MLG307"];
    private static readonly byte[][] JsonPieces = [.. new[]
    {
        "{", "}", "[", "]", "\"", "\\", ":", ",", "\"class_name\"", "\"module\"", "\"Lambda\"", "\"os\"", "\"function\"",
        "NaN", "Infinity", "-", "\\u", "\\ud800", "null", "1e999", "\u00e9", "\0", "\"registered_name\": \"a.b\"",
        "{\"class_name\": \"TFOpLambda\", \"config\": {\"function\": \"io.write_file\"}}", "\"fn_module\"",
    }.Select(Encoding.UTF8.GetBytes)];

    private static byte[] Mutate(byte[] seed, Random random, bool json)
    {
        var bytes = new List<byte>(seed);
        var edits = random.Next(1, 8);
        for (var e = 0; e < edits; e++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(json ? 6 : 5))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 64)));
                    break;
                case 3:
                    var insert = new byte[random.Next(1, 16)];
                    random.NextBytes(insert);
                    bytes.InsertRange(at, insert);
                    break;
                case 4 when bytes.Count > 0:
                    var from = random.Next(bytes.Count);
                    var length = Math.Min(bytes.Count - from, random.Next(1, 200));
                    bytes.InsertRange(at, bytes.GetRange(from, length));
                    break;
                case 5:
                    bytes.InsertRange(at, JsonPieces[random.Next(JsonPieces.Length)]);
                    break;
            }
        }

        if (random.Next(8) == 0 && bytes.Count > 0)
        {
            bytes = bytes.GetRange(0, random.Next(bytes.Count)); // truncated
        }

        return [.. bytes];
    }

    private static byte[] Input(byte[][] seeds, Random random, bool json)
    {
        if (random.Next(5) == 0)
        {
            var noise = new byte[random.Next(0, 3000)];
            random.NextBytes(noise);
            return noise;
        }

        return Mutate(seeds[random.Next(seeds.Length)], random, json);
    }

    private static void AssertOnlyOwnCodes(ModelScanContext context, HashSet<string> seen)
    {
        Assert.All(context.Findings, f => Assert.Contains(f.Code, Codes));
        seen.UnionWith(context.Findings.Select(f => f.Code));
    }

    /// <summary>The mutations keep enough of the seeds that both findings and parse failures occur.</summary>
    private static void AssertExercised(HashSet<string> seen) =>
        Assert.True(seen.Contains("MLG306") && seen.Contains("MLG303"), string.Join(", ", seen));

    private static readonly byte[][] ConfigSeeds = [.. new[]
    {
        KerasConfigs.Keras3Clean, KerasConfigs.Keras2Clean, KerasConfigs.Keras2Lambda, KerasConfigs.Keras3Lambda,
        KerasConfigs.Wrap("""{"module": "os", "class_name": "function", "config": "system", "fn_module": "mypkg", "fn": "x"}"""),
        """{"class_name": "Lambda", "config": {"function": "f", "function_type": "function", "module": "\ud800"}, "v": [NaN, -Infinity]}""",
    }.Select(Encoding.UTF8.GetBytes)];

    [Fact]
    public void ScanConfig_never_throws()
    {
        var random = new Random(306);
        var seen = new HashSet<string>();
        for (var i = 0; i < Iterations; i++)
        {
            var input = Input(ConfigSeeds, random, json: true);
            var context = Context(strict: i % 2 == 0, maxHeaderBytes: i % 7 == 0 ? 500 : null);

            KerasFormat.ScanConfig(input, "fuzz", context);

            AssertOnlyOwnCodes(context, seen);
        }

        AssertExercised(seen);
    }

    [Fact]
    public void LooksHdf5_never_throws()
    {
        var random = new Random(5);
        var seeds = new[] { Hdf5Seed(0), Hdf5Seed(512), Hdf5Seed(2048) };
        var found = 0;
        for (var i = 0; i < Iterations; i++)
        {
            found += KerasFormat.LooksHdf5(Input(seeds, random, json: false)) ? 1 : 0;
        }

        Assert.InRange(found, 1, Iterations - 1);
    }

    private static byte[] Hdf5Seed(int offset, string? json = null)
    {
        var bytes = new byte[offset + 8 + 300];
        new Random(offset).NextBytes(bytes);
        new byte[] { 0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n' }.CopyTo(bytes, offset);
        return json is null ? bytes : [.. bytes, .. Encoding.UTF8.GetBytes(json), 0, 0, 0, 1, 2, 3];
    }

    [Fact]
    public void ScanHdf5_never_throws()
    {
        var random = new Random(5005);
        var seeds = new[]
        {
            Hdf5Seed(0, KerasConfigs.Keras2Lambda), Hdf5Seed(0, KerasConfigs.Keras2Clean), Hdf5Seed(512, KerasConfigs.Keras3Clean),
            Hdf5Seed(0, "{\"pad\": [1, " + KerasConfigs.Keras2Lambda), Hdf5Seed(0),
        };
        var seen = new HashSet<string>();
        for (var i = 0; i < Iterations; i++)
        {
            var input = Input(seeds, random, json: true);
            var context = Context(maxHeaderBytes: i % 5 == 0 ? 300 : null);
            using var stream = new MemoryStream(input);
            var length = random.Next(4) == 0 ? random.Next(-1, input.Length + 10) : input.Length;

            KerasFormat.ScanHdf5(stream, length, "fuzz", context, chunkSize: random.Next(1, 5) switch { 1 => 16, 2 => 100, 3 => 1000, _ => KerasFormat.DefaultChunkSize });

            AssertOnlyOwnCodes(context, seen);
        }

        AssertExercised(seen);
    }

    private static byte[][] SavedModelSeeds()
    {
        var lambda = """{"class_name": "Lambda", "name": "l", "config": {"function": ["AA"], "function_type": "lambda"}}""";
        return
        [
            Tf2SavedModel(),
            Tf2SavedModel(Node("p", "PyFunc"), Node("r", "ReadFile")),
            SavedModel([Node("save/SaveV2", "SaveV2")], saver: SaverDef("save/Const:0", "save/control_dependency:0", "save/restore_all"),
                objectGraph: new ProtoBuilder().Message(1, new ProtoBuilder().Message(4, new ProtoBuilder().String(1, "_tf_keras_layer").String(3, lambda)))),
        ];
    }

    [Fact]
    public void ScanSavedModel_never_throws()
    {
        var random = new Random(2);
        var seeds = SavedModelSeeds();
        var seen = new HashSet<string>();
        for (var i = 0; i < Iterations; i++)
        {
            var context = Context();

            KerasFormat.ScanSavedModel(Input(seeds, random, json: false), "fuzz", context);

            AssertOnlyOwnCodes(context, seen);
        }

        AssertExercised(seen);
    }

    [Fact]
    public void ScanKerasMetadataPb_never_throws()
    {
        var random = new Random(77);
        var seeds = new[]
        {
            new ProtoBuilder().Message(1, new ProtoBuilder().Varint(2, 1).String(4, "_tf_keras_model").String(5, KerasConfigs.Keras2Lambda)).ToArray(),
            new ProtoBuilder().Message(1, new ProtoBuilder().String(5, KerasConfigs.Keras3Clean)).Message(1, new ProtoBuilder().String(5, "{\"class_name\": 1}")).ToArray(),
        };
        var seen = new HashSet<string>();
        for (var i = 0; i < Iterations; i++)
        {
            var context = Context(maxHeaderBytes: i % 9 == 0 ? 200 : null);

            KerasFormat.ScanKerasMetadataPb(Input(seeds, random, json: random.Next(2) == 0), "fuzz", context);

            AssertOnlyOwnCodes(context, seen);
        }

        AssertExercised(seen);
    }
}
