using System.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;

namespace MlBuildGuard.Core.Tests.Models.Formats;

public class GgufFormatTests
{
    private static string Single(ModelScanContext context, string code = "MLG305")
    {
        var finding = Assert.Single(context.Findings);
        Assert.Equal(code, finding.Code);
        return finding.Message;
    }

    private static ModelScanContext Check(GgufWriter writer) => GgufWriter.Validate(writer.ToArray());

    /// <summary>A file with the given single pair and no tensors.</summary>
    private static ModelScanContext Pair(Func<GgufWriter, GgufWriter> pair) => Check(pair(GgufWriter.Start(0, 1)));

    /// <summary>A file with one F32 tensor of the given dims and type at the given offset, followed by enough data.</summary>
    private static ModelScanContext OneTensor(ulong[] dims, uint type, ulong offset = 0, long data = 64) =>
        Check(GgufWriter.Start(1, 0).Tensor("t", dims, type, offset).Pad(32).Zeros(data));

    [Fact]
    public void A_well_formed_file_passes_in_version_3_and_2()
    {
        var v3 = GgufWriter.Validate(GgufWriter.Sample());
        Assert.Empty(v3.Findings);
        Assert.Contains(("model.gguf", "gguf"), v3.Recognised);

        var v2 = GgufWriter.Sample();
        v2[4] = 2;
        Assert.Empty(GgufWriter.Validate(v2).Findings);
    }

    [Fact]
    public void Looks_checks_the_magic()
    {
        Assert.True(GgufFormat.Looks(GgufWriter.Sample()));
        Assert.True(GgufFormat.Looks("GGUF"u8));
        Assert.False(GgufFormat.Looks("GGU"u8));
        Assert.False(GgufFormat.Looks("GGML\x03\0\0\0"u8));
    }

    [Fact]
    public void The_magic_and_version_are_checked()
    {
        Assert.Contains("does not start with the magic 'GGUF'", Single(GgufWriter.Validate("GGUX\x03\0\0\0"u8.ToArray())));
        Assert.Contains("invalid GGUF header", Single(GgufWriter.Validate([])));

        var v1 = GgufWriter.Sample();
        v1[4] = 1;
        Assert.Contains("GGUF version 1 (32-bit counts) is not supported", Single(GgufWriter.Validate(v1)));

        var v4 = GgufWriter.Sample();
        v4[4] = 4;
        Assert.Contains("unknown GGUF version 4", Single(GgufWriter.Validate(v4)));

        var bigEndian = GgufWriter.Sample();
        bigEndian[4] = 0;
        bigEndian[7] = 3;
        Assert.Contains("a big-endian GGUF", Single(GgufWriter.Validate(bigEndian)));
    }

    [Fact]
    public void Huge_declared_counts_fail_at_once_without_allocating()
    {
        var file = GgufWriter.Start(0, 1UL << 62).Zeros(40).ToArray();
        Assert.Equal(64, file.Length);

        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var context = GgufWriter.Validate(file);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("kv_count 4611686018427387904 cannot fit in the 40 bytes after the header", Single(context));
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));

        Assert.Contains("tensor_count 18446744073709551615 cannot fit", Single(GgufWriter.Validate(GgufWriter.Start(ulong.MaxValue, 0).Zeros(40).ToArray())));
        Assert.Contains("cannot fit in the 40 bytes", Single(GgufWriter.Validate(GgufWriter.Start(1, 3).Zeros(40).ToArray())));
    }

    [Fact]
    public void Huge_strings_and_arrays_fail_before_allocation()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var key = Pair(w => w.U64(1UL << 60).Zeros(12));
        var str = Pair(w => w.Key("k", 8).U64(1UL << 60).Zeros(8));
        var arr = Pair(w => w.Key("k", 9).U32(10).U64(1UL << 60).Zeros(8));
        var strings = Pair(w => w.Key("k", 9).U32(8).U64(1UL << 59).Zeros(8));
        var nested = Pair(w => w.Key("k", 9).U32(9).U64(1UL << 59).Zeros(8));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 2_000_000);

        Assert.Contains("the key of metadata pair 0 claims 1152921504606846976 bytes", Single(key));
        Assert.Contains("the value of", Single(Pair(w => w.Key("tokenizer.chat_template", 8).U64(1UL << 60))));
        Assert.Contains("a string of 'k' claims 1152921504606846976 bytes", Single(str));
        Assert.Contains("the array 'k' claims 1152921504606846976 uint64 elements", Single(arr));
        Assert.Contains("the array 'k' claims 576460752303423488 string elements", Single(strings));
        Assert.Contains("the array 'k' claims 576460752303423488 array elements", Single(nested));
    }

    [Fact]
    public void Every_value_type_and_nested_arrays_of_strings_pass()
    {
        var writer = GgufWriter.Start(0, 15)
            .Key("u8", 0).U8(1).Key("i8", 1).U8(0xFF).Key("u16", 2).U16(2).Key("i16", 3).U16(3)
            .Key("u32", 4).U32(4).Key("i32", 5).U32(5).Key("f32", 6).U32(0x3F800000).Key("bool", 7).U8(1)
            .KvString("str", "text").Key("u64", 10).U64(10).Key("i64", 11).U64(11).Key("f64", 12).U64(0)
            .Key("arr.u16", 9).U32(2).U64(3).U16(1).U16(2).U16(3)
            .Key("arr.empty", 9).U32(8).U64(0)
            .Key("arr.nested", 9).U32(9).U64(2)
                .U32(8).U64(2).Str("a").Str("bc")
                .U32(9).U64(1).U32(8).U64(1).Str("deep");

        Assert.Empty(Check(writer).Findings);
    }

    [Fact]
    public void Unknown_value_types_fail()
    {
        Assert.Contains("metadata key 'k' has the unknown value type 13", Single(Pair(w => w.Key("k", 13).U64(0))));
        Assert.Contains("the array 'k' has the unknown element type 200", Single(Pair(w => w.Key("k", 9).U32(200).U64(0))));
    }

    [Fact]
    public void Arrays_nest_only_so_deep()
    {
        var writer = GgufWriter.Start(0, 1).Key("k", 9);
        for (var i = 0; i < 20; i++)
        {
            writer.U32(9).U64(1);
        }

        writer.U32(0).U64(0);
        Assert.Contains("nests arrays more than 8 deep", Single(Check(writer)));
    }

    [Fact]
    public void Duplicate_keys_fail()
    {
        var writer = GgufWriter.Start(0, 2).KvString("general.name", "a").KvString("general.name", "b");
        Assert.Contains("the metadata key 'general.name' appears twice", Single(Check(writer)));
        Assert.Empty(Check(GgufWriter.Start(0, 2).KvString("general.name", "a").KvString("general.Name", "b")).Findings);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(48u)]
    [InlineData(3u)]
    public void The_alignment_must_be_a_power_of_two(uint alignment)
    {
        Assert.Contains($"general.alignment is {alignment}, which is not a power of two", Single(Pair(w => w.KvU32("general.alignment", alignment))));
    }

    [Fact]
    public void The_alignment_must_be_a_uint32()
    {
        Assert.Contains("general.alignment has the type uint64; it must be uint32", Single(Pair(w => w.Key("general.alignment", 10).U64(32))));
    }

    [Fact]
    public void A_custom_alignment_places_the_data()
    {
        GgufWriter Build(ulong secondOffset) => GgufWriter.Start(2, 1).KvU32("general.alignment", 64)
            .Tensor("a", [8], 0, 0).Tensor("b", [8], 0, secondOffset).Pad(64).Zeros(128);

        Assert.Empty(Check(Build(64)).Findings);
        Assert.Contains("tensor 'b' has the data offset 32, which is not a multiple of the alignment 64", Single(Check(Build(32))));
    }

    [Fact]
    public void Tensor_offsets_must_be_aligned()
    {
        Assert.Contains("tensor 't' has the data offset 8, which is not a multiple of the alignment 32", Single(OneTensor([4], 0, 8)));
        Assert.Empty(OneTensor([4], 0, 32).Findings);
    }

    [Fact]
    public void Tensor_dimensions_are_bounded()
    {
        Assert.Contains("tensor 't' has 5 dimensions (GGML_MAX_DIMS is 4)", Single(OneTensor([1, 1, 1, 1, 1], 0)));
        Assert.Empty(OneTensor([2, 2, 2, 2], 0).Findings);
        Assert.Contains("tensor 't' has dimensions whose product overflows INT64_MAX", Single(OneTensor([1UL << 40, 1UL << 40], 0)));
        Assert.Contains("tensor 't' has dimension 0 = 9223372036854775808, beyond INT64_MAX", Single(OneTensor([1UL << 63], 0)));
        Assert.Contains("tensor 't' (F32) has a byte size that overflows INT64_MAX", Single(OneTensor([1UL << 62], 0)));
    }

    [Fact]
    public void Tensor_types_must_be_known()
    {
        Assert.Contains("tensor 't' has the unknown tensor type 4", Single(OneTensor([32], 4))); // Q4_2, retired
        Assert.Contains("tensor 't' has the unknown tensor type 99", Single(OneTensor([32], 99)));

        // Every known type with one block of data (a row of block-size elements).
        var types = new (uint Id, ulong Block, long Size)[]
        {
            (0, 1, 4), (1, 1, 2), (2, 32, 18), (3, 32, 20), (6, 32, 22), (7, 32, 24), (8, 32, 34), (9, 32, 36), (10, 256, 84),
            (11, 256, 110), (12, 256, 144), (13, 256, 176), (14, 256, 210), (15, 256, 292), (16, 256, 66), (17, 256, 74),
            (18, 256, 98), (19, 256, 50), (20, 32, 18), (21, 256, 110), (22, 256, 82), (23, 256, 136), (24, 1, 1), (25, 1, 2),
            (26, 1, 4), (27, 1, 8), (28, 1, 8), (29, 256, 56), (30, 1, 2), (34, 256, 54), (35, 256, 66), (39, 32, 17),
        };
        foreach (var (id, block, size) in types)
        {
            Assert.Empty(OneTensor([block], id, 0, size).Findings);
            Assert.Contains("runs past the end of the file", Single(OneTensor([block], id, 0, size - 1)));
        }
    }

    [Fact]
    public void A_row_must_be_whole_blocks()
    {
        Assert.Contains("tensor 't' has ne[0] = 16, not a multiple of the Q4_0 block size 32", Single(OneTensor([16, 2], 2)));
    }

    [Fact]
    public void Tensor_data_must_lie_within_the_file()
    {
        Assert.Contains("tensor 't' (256 bytes at data offset 0", Single(OneTensor([64], 0, 0, 255)));
        Assert.Empty(OneTensor([64], 0, 0, 256).Findings);
        Assert.Contains("runs past the end of the file", Single(OneTensor([1], 0, 1UL << 62)));
        Assert.Contains("runs past the end of the file", Single(OneTensor([1], 0, ulong.MaxValue - 31)));
    }

    [Fact]
    public void Tensor_data_must_not_overlap()
    {
        GgufWriter Build(ulong offsetB, ulong offsetC) => GgufWriter.Start(3, 0)
            .Tensor("a", [16], 0, 0).Tensor("b", [8], 0, offsetB).Tensor("c", [8], 0, offsetC).Pad(32).Zeros(256);

        Assert.Empty(Check(Build(64, 96)).Findings);
        Assert.Contains("tensor 'b' (data offset 32) overlaps tensor 'a' (bytes 0 to 64)", Single(Check(Build(32, 96))));

        // A large tensor covering two others: both are reported.
        var context = Check(GgufWriter.Start(3, 0).Tensor("big", [64], 0, 0).Tensor("x", [8], 0, 64).Tensor("y", [8], 0, 128).Pad(32).Zeros(256));
        Assert.Equal(2, context.Findings.Count);
    }

    [Fact]
    public void Tensor_names_must_be_unique_and_short()
    {
        Assert.Contains("the tensor name 'w' appears twice",
            Single(Check(GgufWriter.Start(2, 0).Tensor("w", [8], 0, 0).Tensor("w", [8], 0, 32).Pad(32).Zeros(64))));
        Assert.Contains("is 64 bytes long (GGML_MAX_NAME allows 63)", Single(Check(GgufWriter.Start(1, 0).Tensor(new string('n', 64), [8], 0, 0).Pad(32).Zeros(32))));
        Assert.Empty(Check(GgufWriter.Start(1, 0).Tensor(new string('n', 63), [8], 0, 0).Pad(32).Zeros(32)).Findings);
    }

    [Fact]
    public void A_truncated_file_fails()
    {
        var sample = GgufWriter.Sample();
        for (var cut = 0; cut < 170; cut += 7)
        {
            Single(GgufWriter.Validate(sample[..cut]));
        }
    }

    [Fact]
    public void A_header_over_the_configured_limit_is_a_scan_limit()
    {
        var options = new ScanOptions { Limits = new ScanLimits { MaxHeaderBytes = 64 } };
        Assert.Contains("limit 64", Single(GgufWriter.Validate(GgufWriter.Sample(), options), "MLG307"));
    }

    [Theory]
    [InlineData("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__")]
    [InlineData("{{ self.__init__.__globals__.__builtins__ }}", "__globals__")]
    [InlineData("{% for c in [].__class__.__base__.__subclasses__() %}{% endfor %}", "__class__")]
    [InlineData("{{ x|attr('__subclasses__') }}", "__subclasses__")]
    [InlineData("{{ __import__('os').system('id') }}", "__import__")]
    [InlineData("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "cycler.__init__")]
    [InlineData("{{ joiner . __init__ }}", "joiner . __init__")]
    [InlineData("{{ lipsum|attr('__init__') }}", "lipsum|attr('__init__")]
    [InlineData("{{ cycler['__init__'] }}", "cycler['__init__")]
    [InlineData("{{ config.os.system('id') }}", "os.")]
    [InlineData("{{ x.popen('id') }}", "popen")]
    [InlineData("{% set s = 'subprocess' %}", "subprocess")]
    [InlineData("{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}", "__class__")]
    public void A_chat_template_reaching_python_internals_is_embedded_code(string template, string construct)
    {
        var message = Single(GgufWriter.Validate(GgufWriter.Sample(template)), "MLG306");
        Assert.Contains($"its tokenizer.chat_template reaches Python internals ('{construct}", message);
    }

    [Theory]
    [InlineData("{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")]
    [InlineData("{% set comma = joiner(', ') %}{% for m in messages %}{{ comma() }}{{ m.content }}{% endfor %}")]
    [InlineData("Describe the photos. Use kudos. {{ bos_token }}")]
    [InlineData("{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}")]
    public void Ordinary_chat_templates_pass(string template)
    {
        Assert.Empty(GgufWriter.Validate(GgufWriter.Sample(template)).Findings);
    }

    [Fact]
    public void Named_chat_templates_are_checked_too()
    {
        var writer = GgufWriter.Start(0, 1).KvString("tokenizer.chat_template.tool_use", "{{ ''.__class__ }}");
        Assert.Contains("its tokenizer.chat_template.tool_use reaches Python internals ('__class__')", Single(Check(writer), "MLG306"));
    }

    [Fact]
    public void A_forward_only_stream_is_read_in_order()
    {
        var sample = GgufWriter.Sample();
        var context = new ModelScanContext("m", new ScanOptions());
        using var stream = new ForwardOnlyStream(sample);

        GgufFormat.Validate(stream, sample.Length, "m", context);

        Assert.Empty(context.Findings);
    }

    private sealed class ForwardOnlyStream(byte[] data) : MlBuildGuard.Core.Models.Containers.ReadOnlyStream
    {
        private readonly MemoryStream _inner = new(data);

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 5));
    }
}
