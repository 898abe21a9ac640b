using System.Diagnostics;
using System.Text;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using MlBuildGuard.Testing;
using static MlBuildGuard.Core.Tests.Models.Keras.KerasTest;

namespace MlBuildGuard.Core.Tests.Models.Keras;

public class KerasHdf5Tests
{
    private static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    /// <summary>
    /// A stand-in for an HDF5 file: the superblock signature, filler, and the pieces given (strings as UTF-8 text,
    /// ints as that many random bytes, byte arrays as they are), like an attribute message followed by its value.
    /// </summary>
    private static byte[] Hdf5(params object[] parts)
    {
        var random = new Random(1234);
        var bytes = new MemoryStream();
        bytes.Write(Signature);
        bytes.Write(new byte[504]);
        foreach (var part in parts)
        {
            switch (part)
            {
                case string text:
                    bytes.Write(Encoding.UTF8.GetBytes(text));
                    break;
                case int count:
                    var filler = new byte[count];
                    random.NextBytes(filler);
                    bytes.Write(filler);
                    break;
                case byte[] raw:
                    bytes.Write(raw);
                    break;
            }
        }

        return bytes.ToArray();
    }

    /// <summary>The bytes before a fixed-length string attribute's value: its name, padding, datatype and dataspace.</summary>
    private static byte[] AttributeHeader(string name) =>
        [.. Encoding.ASCII.GetBytes(name), 0, 0, 0, 0x13, 0x00, 0x00, 0x00, 0x54, 0x12, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];

    private static ModelScanContext Scan(byte[] file, ModelScanContext? context = null, int? chunkSize = null, long? length = null)
    {
        context ??= Context();
        using var stream = new MemoryStream(file);
        if (chunkSize is { } size)
        {
            KerasFormat.ScanHdf5(stream, length ?? file.Length, "model.h5", context, size);
        }
        else
        {
            KerasFormat.ScanHdf5(stream, length ?? file.Length, "model.h5", context);
        }

        return context;
    }

    [Fact]
    public void The_signature_is_found_at_0_and_at_powers_of_two_from_512()
    {
        Assert.True(KerasFormat.LooksHdf5(Hdf5()));
        foreach (var offset in new[] { 512, 1024, 2048, 4096 })
        {
            var head = new byte[offset + 100];
            Signature.CopyTo(head, offset);
            Assert.True(KerasFormat.LooksHdf5(head), $"offset {offset}");
        }

        var elsewhere = new byte[2000];
        Signature.CopyTo(elsewhere, 700);
        Assert.False(KerasFormat.LooksHdf5(elsewhere));
        Assert.False(KerasFormat.LooksHdf5(Signature.AsSpan(0, 7)));
        Assert.False(KerasFormat.LooksHdf5([]));
        Assert.False(KerasFormat.LooksHdf5("PK\x03\x04 not hdf5 at all"u8));
    }

    [Fact]
    public void Using_a_temporary_file_works_like_a_memory_stream()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("model.h5");
        File.WriteAllBytes(path, Hdf5(3000, AttributeHeader("model_config"), KerasConfigs.Keras2Lambda, new byte[64], 5000));
        var context = Context();

        using (var stream = File.OpenRead(path))
        {
            KerasFormat.ScanHdf5(stream, stream.Length, "model.h5", context);
        }

        Assert.Contains("layer 'lambda_1' is a Lambda layer with marshalled Python code", Single(context, "MLG306").Message);
    }

    [Fact]
    public void A_weights_only_file_reports_nothing()
    {
        var context = Scan(Hdf5(3_000_000, "{\"weights\": [1, 2]}", 100, "{\"", 100, "{ \"x", 10));

        Clean(context);
        Assert.Equal([("model.h5", "hdf5")], context.Recognised);
    }

    [Fact]
    public void A_clean_keras2_model_config_is_recognised()
    {
        var context = Scan(Hdf5(2000, AttributeHeader("model_config"), KerasConfigs.Keras2Clean, new byte[40], 20_000));

        Clean(context);
        Assert.Contains(("model.h5", "keras-config"), context.Recognised);
    }

    [Fact]
    public void A_lambda_in_the_model_config_is_MLG306()
    {
        var context = Scan(Hdf5(2000, AttributeHeader("model_config"), KerasConfigs.Keras2Lambda, new byte[40], 20_000));

        Assert.Single(context.Findings);
        Assert.Contains("model.h5: layer 'lambda_1' is a Lambda layer with marshalled Python code", Single(context, "MLG306").Message);
    }

    [Fact]
    public void Model_and_training_configs_are_both_scanned()
    {
        var training = """{"loss": {"class_name": "CustomLoss", "module": "mylosses", "config": {}}, "metrics": ["acc"], "optimizer_config": {"class_name": "Adam", "config": {"lr": 0.001}}}""";
        var context = Scan(Hdf5(100, AttributeHeader("model_config"), KerasConfigs.Keras2Lambda, 100, AttributeHeader("training_config"), training, 100));

        Single(context, "MLG306");
        Assert.Contains("'mylosses.CustomLoss'", Single(context, "MLG302").Message);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(333)]
    [InlineData(4096)]
    public void A_config_that_straddles_chunks_is_found(int chunkSize)
    {
        // Every placement of the JSON start relative to a chunk boundary.
        for (var shift = 0; shift < Math.Min(chunkSize, 40); shift++)
        {
            var file = Hdf5((((512 / chunkSize) + 2) * chunkSize) - 512 - 8 + shift, KerasConfigs.Keras2Lambda, 500);
            var context = Scan(file, chunkSize: chunkSize);

            Assert.True(context.Findings.Count == 1 && context.Findings[0].Code == "MLG306", $"shift {shift}: {Describe(context)}");
        }
    }

    [Fact]
    public void A_config_that_straddles_the_default_chunk_is_found()
    {
        var json = Encoding.UTF8.GetBytes(KerasConfigs.Keras2Lambda);
        var before = KerasFormat.DefaultChunkSize - 512 - 40;
        var file = Hdf5(before, json, KerasFormat.DefaultChunkSize);
        Assert.True(512 + before < KerasFormat.DefaultChunkSize && 512 + before + json.Length > KerasFormat.DefaultChunkSize);

        Single(Scan(file), "MLG306");
    }

    [Fact]
    public void Keys_in_any_order_are_found()
    {
        var reordered = """
            {"config": {"layers": [{"config": {"function_type": "lambda", "function": ["AAAA", null, null], "name": "hidden"}, "class_name": "Lambda"}], "name": "m"},
             "backend": "tensorflow", "class_name": "Sequential"}
            """;
        var context = Scan(Hdf5(100, reordered, 100));

        Assert.Contains("layer 'hidden' is a Lambda layer", Single(context, "MLG306").Message);
    }

    [Fact]
    public void A_config_whose_first_bytes_are_swallowed_by_other_text_is_still_found()
    {
        // '{"k' before the config: a capture that starts there fails at "class_name" and is read again from its second byte.
        var context = Scan(Hdf5(100, "{\"k", KerasConfigs.Keras2Lambda, 100));

        Single(context, "MLG306");
    }

    [Fact]
    public void A_config_nested_in_cut_off_text_is_found_and_the_cut_off_text_is_MLG303()
    {
        var context = Scan(Hdf5(100, "{\"pad\": [1, 2, ", KerasConfigs.Keras2Lambda, new byte[8], 100));

        Single(context, "MLG306");
        Assert.Contains("the Keras model configuration cannot be read (it is cut off)", Single(context, "MLG303").Message);
    }

    [Fact]
    public void A_truncated_attribute_is_MLG303()
    {
        var json = KerasConfigs.Keras2Clean;
        var context = Scan(Hdf5(100, AttributeHeader("model_config"), json[..(json.Length / 2)], new byte[64], 1000));

        var finding = Single(context, "MLG303");
        Assert.Single(context.Findings);
        Assert.Contains("model.h5: the Keras model configuration cannot be read (it is cut off), so it cannot be shown safe to load.", finding.Message);
    }

    [Fact]
    public void A_config_cut_off_by_the_end_of_the_file_is_MLG303()
    {
        var json = KerasConfigs.Keras2Clean;
        var context = Scan(Hdf5(100, json[..(json.Length - 3)]));

        Assert.Contains("cannot be read (it is cut off at the end of the file)", Single(context, "MLG303").Message);
    }

    [Fact]
    public void The_length_bounds_what_is_read()
    {
        var file = Hdf5(100, KerasConfigs.Keras2Lambda, 100);

        // Only the first 700 bytes: the config is cut off there.
        Assert.Contains("end of the file", Single(Scan(file, length: 700), "MLG303").Message);
        Single(Scan(file, length: file.Length + 1000), "MLG306");
        Clean(Scan(file, length: 0));
    }

    [Fact]
    public void Balanced_text_that_is_not_json_is_MLG303()
    {
        var context = Scan(Hdf5(100, "{\"class_name\": \"Sequential\", \"config\": {\"a\": tru}}", 100));

        Assert.Contains("cannot be read (it is not valid JSON)", Single(context, "MLG303").Message);
    }

    [Fact]
    public void Deep_nesting_is_MLG303_and_quick()
    {
        var deep = new StringBuilder("{\"class_name\": \"Sequential\", \"config\": ");
        for (var i = 0; i < 100_000; i++)
        {
            deep.Append("{\"a\":");
        }

        deep.Append('1').Append('}', 100_001);
        var stopwatch = Stopwatch.StartNew();

        var context = Scan(Hdf5(100, deep.ToString(), 100));

        Assert.Contains("nests deeper than", Single(context, "MLG303").Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), stopwatch.Elapsed.ToString());
    }

    [Fact]
    public void A_config_over_the_header_limit_is_MLG307()
    {
        var context = Scan(Hdf5(100, KerasConfigs.Keras2Lambda, 100), Context(maxHeaderBytes: 200));

        Assert.Contains("(limit 200)", Single(context, "MLG307").Message);
        Assert.Single(context.Findings);
    }

    [Fact]
    public void Cut_off_text_that_keeps_nesting_stops_at_the_replay_budget()
    {
        var nested = new StringBuilder();
        for (var i = 0; i < 30_000; i++)
        {
            nested.Append("{\"a\":");
        }

        var stopwatch = Stopwatch.StartNew();

        var context = Scan(Hdf5(100, nested.ToString(), new byte[8], 100));

        Single(context, "MLG307");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), stopwatch.Elapsed.ToString());
    }

    [Fact]
    public void A_stream_that_fails_is_MLG303()
    {
        var context = Context();
        KerasFormat.ScanHdf5(new FailingStream(Hdf5(100, KerasConfigs.Keras2Clean)), 10_000, "model.h5", context);

        Assert.Contains("the file cannot be read", Single(context, "MLG303").Message);
    }

    private sealed class FailingStream(byte[] data) : MemoryStream(data)
    {
        private int _reads;

        public override int Read(byte[] buffer, int offset, int count) =>
            ++_reads > 1 ? throw new IOException("disk gone") : base.Read(buffer, offset, Math.Min(count, 600));
    }
}
