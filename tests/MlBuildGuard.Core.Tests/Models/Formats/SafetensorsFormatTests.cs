using System.Buffers.Binary;
using System.Text;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;

namespace MlBuildGuard.Core.Tests.Models.Formats;

public class SafetensorsFormatTests
{
    private static string Single(ModelScanContext context, string code = "MLG305")
    {
        var finding = Assert.Single(context.Findings);
        Assert.Equal(code, finding.Code);
        return finding.Message;
    }

    private static ModelScanContext Check(string header, long dataBytes) =>
        SafetensorsFiles.Validate(SafetensorsFiles.Build(header, dataBytes));

    private static string Tensor(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    [Fact]
    public void A_well_formed_file_passes_and_is_recognised()
    {
        var context = SafetensorsFiles.Validate(SafetensorsFiles.Sample());

        Assert.Empty(context.Findings);
        Assert.Contains(("model.safetensors", "safetensors"), context.Recognised);
    }

    [Fact]
    public void Looks_needs_an_object_after_the_length_but_does_not_trust_the_length()
    {
        var sample = SafetensorsFiles.Sample();
        Assert.True(SafetensorsFormat.Looks(sample, sample.Length));
        Assert.True(SafetensorsFormat.Looks(SafetensorsFiles.Build("  \n{}", 0), 13));

        // Sniffing content needs a plausible length; for a file named .safetensors the length is not trusted.
        Assert.False(SafetensorsFormat.Looks(sample, sample.Length - 100));
        Assert.True(SafetensorsFormat.Looks(sample, sample.Length - 100, trustLength: false));
        Assert.False(SafetensorsFormat.Looks(sample.AsSpan(0, 7), 7));
        Assert.False(SafetensorsFormat.Looks(SafetensorsFiles.Build("[1]", 0), 11));
        Assert.False(SafetensorsFormat.Looks(SafetensorsFiles.Build("   ", 0), 11));
        Assert.False(SafetensorsFormat.Looks(SafetensorsFiles.Build(string.Empty, 0), 8));
        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, 100_000_001);
        huge[8] = (byte)'{';
        Assert.False(SafetensorsFormat.Looks(huge, 200_000_000));
        Assert.True(SafetensorsFormat.Looks(huge, 200_000_000, trustLength: false));
        Assert.False(SafetensorsFormat.Looks("PK\x03\x04 not safetensors"u8, 100));
    }

    [Fact]
    public void A_file_shorter_than_the_length_field_fails()
    {
        Assert.Contains("shorter than the 8-byte header length", Single(SafetensorsFiles.Validate([1, 2, 3])));
    }

    [Fact]
    public void A_header_over_100_MB_fails_without_reading_it()
    {
        var file = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 100_000_001);
        Assert.Contains("exceeds the format's maximum of 100000000 bytes", Single(SafetensorsFiles.Validate(file)));

        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var context = SafetensorsFiles.Validate(file);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Contains("invalid safetensors header", Single(context));
    }

    [Fact]
    public void A_header_running_past_the_file_fails()
    {
        var file = SafetensorsFiles.Build("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(file, 3);
        Assert.Contains("the header length 3 runs past the end of the file (10 bytes)", Single(SafetensorsFiles.Validate(file)));
    }

    [Fact]
    public void A_header_over_the_configured_limit_is_a_scan_limit()
    {
        var options = new ScanOptions { Limits = new ScanLimits { MaxHeaderBytes = 16 } };
        var message = Single(SafetensorsFiles.Validate(SafetensorsFiles.Sample(), options), "MLG307");
        Assert.Contains("limit 16", message);
    }

    [Fact]
    public void Invalid_utf8_fails()
    {
        var header = Encoding.UTF8.GetBytes("{\"__metadata__\":{\"k\":\"v?\"}}");
        header[Array.IndexOf(header, (byte)'?')] = 0xC3; // a lead byte followed by '"'
        Assert.Contains("not valid UTF-8", Single(SafetensorsFiles.Validate(SafetensorsFiles.Build(header, 0))));
    }

    [Theory]
    [InlineData("{\"a\":", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],}}", "not valid JSON")] // trailing comma
    [InlineData("{/*c*/}", "not valid JSON")]
    [InlineData("{\"\\ud800\":1}", "invalid escape")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("\uFEFF{}", "must be a JSON object")]
    [InlineData("   ", "the header is empty")]
    [InlineData("{} x", "only whitespace may follow")]
    [InlineData("{}{}", "only whitespace may follow")]
    [InlineData("{}\0", "only whitespace may follow")]
    public void Malformed_json_fails(string header, string reason)
    {
        Assert.Contains(reason, Single(Check(header, 0)));
    }

    [Fact]
    public void Whitespace_around_the_object_is_accepted()
    {
        Assert.Empty(Check(" \t\r\n{" + Tensor("a", "U8", "[2]", 0, 2) + "}    ", 2).Findings);
    }

    [Fact]
    public void Duplicate_keys_fail_at_every_level()
    {
        var t = Tensor("a", "U8", "[2]", 0, 2);
        Assert.Contains("tensor 'a' is declared twice", Single(Check("{" + t + "," + t + "}", 2)));
        Assert.Contains("tensor 'a' has the key 'dtype' twice",
            Single(Check("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2)));
        Assert.Contains("'__metadata__' has the key 'k' twice", Single(Check("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0)));
        Assert.Contains("'__metadata__' appears twice", Single(Check("{\"__metadata__\":{},\"__metadata__\":{}}", 0)));

        // Escapes are compared after decoding, as the reference does.
        Assert.Contains("declared twice", Single(Check("{" + t + ",\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,2]}}", 2)));
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "maps 'k' to a number")]
    [InlineData("{\"__metadata__\":{\"k\":null}}", "maps 'k' to null")]
    [InlineData("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", "maps 'k' to an object")]
    [InlineData("{\"__metadata__\":[]}", "must be an object of strings")]
    [InlineData("{\"__metadata__\":null}", "must be an object of strings")]
    public void Metadata_must_map_strings_to_strings(string header, string reason)
    {
        Assert.Contains(reason, Single(Check(header, 0)));
    }

    [Fact]
    public void Metadata_of_strings_passes()
    {
        Assert.Empty(Check("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"\\u00e9\"}}", 0).Findings);
    }

    [Theory]
    [InlineData("{\"a\":[]}", "tensor 'a' must be an object")]
    [InlineData("{\"a\":{\"dtype\":1,\"shape\":[],\"data_offsets\":[0,1]}}", "dtype that is a number")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":{},\"data_offsets\":[0,1]}}", "shape that is an object")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}}", "shape element that is a string")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", "tensor 'a' has no 'shape'")]
    [InlineData("{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", "tensor 'a' has no 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", "tensor 'a' has no 'data_offsets'")]
    public void Tensor_entries_need_the_right_shape(string header, string reason)
    {
        Assert.Contains(reason, Single(Check(header, 1)));
    }

    [Fact]
    public void Unknown_dtype_fails_closed_and_every_known_one_passes()
    {
        Assert.Contains("tensor 'a' has the unknown dtype 'F128'", Single(Check("{" + Tensor("a", "F128", "[1]", 0, 16) + "}", 16)));
        Assert.Contains("unknown dtype 'f32'", Single(Check("{" + Tensor("a", "f32", "[1]", 0, 4) + "}", 4)));

        var dtypes = new (string Name, int Bits)[]
        {
            ("BOOL", 8), ("F4", 4), ("F6_E2M3", 6), ("F6_E3M2", 6), ("U8", 8), ("I8", 8), ("F8_E5M2", 8), ("F8_E4M3", 8), ("F8_E8M0", 8),
            ("F8_E4M3FNUZ", 8), ("F8_E5M2FNUZ", 8), ("I16", 16), ("U16", 16), ("F16", 16), ("BF16", 16), ("I32", 32), ("U32", 32),
            ("F32", 32), ("C64", 64), ("F64", 64), ("I64", 64), ("U64", 64),
        };
        var parts = new List<string>();
        long offset = 0;
        foreach (var (name, bits) in dtypes)
        {
            var size = 8 * bits / 8; // 8 elements: a whole number of bytes for every dtype
            parts.Add(Tensor("t_" + name, name, "[2,4]", offset, offset + size));
            offset += size;
        }

        Assert.Empty(Check("{" + string.Join(",", parts) + "}", offset).Findings);
    }

    [Theory]
    [InlineData("[-1]", "shape element -1, which is not a non-negative integer")]
    [InlineData("[1.5]", "shape element 1.5")]
    [InlineData("[1e2]", "shape element 1e2")]
    [InlineData("[-0]", "shape element -0")]
    public void Shape_elements_must_be_non_negative_integers(string shape, string reason)
    {
        Assert.Contains(reason, Single(Check("{" + Tensor("a", "U8", shape, 0, 0) + "}", 0)));
    }

    [Fact]
    public void Shape_products_are_overflow_checked()
    {
        var message = Single(Check("{" + Tensor("a", "U8", "[4294967296,4294967296]", 0, 0) + "}", 0));
        Assert.Contains("tensor 'a' has a shape [4294967296, 4294967296] whose element count overflows 64 bits", message);

        // 2^61 elements of F64 fit in 64 bits as a count but not as bits.
        Assert.Contains("whose size overflows 64 bits", Single(Check("{" + Tensor("a", "F64", "[2305843009213693952]", 0, 0) + "}", 0)));

        // A zero dimension makes the product 0, however large the others are (as the reference computes it).
        Assert.Empty(Check("{" + Tensor("a", "U8", "[0,18446744073709551615]", 0, 0) + "}", 0).Findings);
    }

    [Fact]
    public void Scalars_and_empty_tensors_are_valid()
    {
        Assert.Empty(Check("{" + Tensor("s", "F32", "[]", 0, 4) + "," + Tensor("e", "F32", "[3,0]", 4, 4) + "}", 4).Findings);
    }

    [Theory]
    [InlineData("[0]", "has 1 data_offsets")]
    [InlineData("[0,4,8]", "has 3 data_offsets")]
    [InlineData("[0,-4]", "data_offsets [0, -4], which are not non-negative integers")]
    [InlineData("[4,0]", "data_offsets [4, 0]: it ends before it begins")]
    public void Data_offsets_must_be_a_begin_end_pair(string offsets, string reason)
    {
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":" + offsets + "}}";
        Assert.Contains(reason, Check(header, 4).Findings.Select(f => f.Message).First());
    }

    [Fact]
    public void Sub_byte_tensors_must_fill_whole_bytes()
    {
        Assert.Contains("tensor 'a' holds 12 bits of F4 data, which is not a whole number of bytes",
            Single(Check("{" + Tensor("a", "F4", "[3]", 0, 2) + "}", 2)));
        Assert.Empty(Check("{" + Tensor("a", "F4", "[4]", 0, 2) + "}", 2).Findings);
        Assert.Contains("holds 6 bits of F6_E2M3", Single(Check("{" + Tensor("a", "F6_E2M3", "[1]", 0, 1) + "}", 1)));
    }

    [Fact]
    public void The_extent_must_match_dtype_and_shape()
    {
        Assert.Contains("tensor 'a' spans 8 bytes (data_offsets [0, 8]) but its dtype F32 and shape [3] need 12",
            Single(Check("{" + Tensor("a", "F32", "[3]", 0, 8) + "}", 8)));
    }

    [Fact]
    public void Tensors_must_tile_the_buffer_from_zero_without_gaps_or_overlaps()
    {
        Assert.Contains("the first tensor 'a' begins at data offset 4, not 0",
            Single(Check("{" + Tensor("a", "U8", "[4]", 4, 8) + "}", 8)));
        Assert.Contains("bytes [4, 6) between tensor 'a' and tensor 'b' belong to no tensor",
            Single(Check("{" + Tensor("a", "U8", "[4]", 0, 4) + "," + Tensor("b", "U8", "[2]", 6, 8) + "}", 8)));
        Assert.Contains("tensor 'b' (data_offsets [0, 4]) overlaps tensor 'a', which ends at 4",
            Single(Check("{" + Tensor("a", "U8", "[4]", 0, 4) + "," + Tensor("b", "U8", "[4]", 0, 4) + "}", 4)));

        // Declared out of order is fine: the check sorts by offset, as the reference does.
        Assert.Empty(Check("{" + Tensor("b", "U8", "[2]", 4, 6) + "," + Tensor("a", "U8", "[4]", 0, 4) + "}", 6).Findings);
    }

    [Fact]
    public void The_buffer_must_be_indexed_completely()
    {
        var trailing = Single(Check("{" + Tensor("a", "U8", "[4]", 0, 4) + "}", 10));
        Assert.Contains("the tensors index 4 bytes of data but 10 follow the header: the last 6 bytes belong to no tensor", trailing);

        Assert.Contains("the tensors need 4 bytes of data but only 2 follow the header",
            Single(Check("{" + Tensor("a", "U8", "[4]", 0, 4) + "}", 2)));
        Assert.Contains("the last 3 bytes belong to no tensor", Single(Check("{}", 3)));
        Assert.Empty(Check("{}", 0).Findings);
    }

    [Fact]
    public void Unknown_keys_in_a_tensor_entry_fail()
    {
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":{\"x\":[1]}}}";
        Assert.Contains("tensor 'a' has the unknown key 'extra'", Single(Check(header, 1)));
    }

    [Fact]
    public void Several_tensor_problems_are_reported_up_to_twenty()
    {
        var parts = Enumerable.Range(0, 30).Select(i => Tensor("t" + i, "Q9", "[1]", i, i + 1));
        var context = Check("{" + string.Join(",", parts) + "}", 30);

        Assert.Equal(20, context.Findings.Count);
        Assert.All(context.Findings, f => Assert.Contains("unknown dtype 'Q9'", f.Message));
    }

    [Fact]
    public void Only_the_header_is_read()
    {
        var file = SafetensorsFiles.Sample();
        using var stream = new CountingStream(file);
        var context = new ModelScanContext("m", new ScanOptions());

        SafetensorsFormat.Validate(stream, file.Length, "m", context);

        Assert.Empty(context.Findings);
        Assert.True(stream.MaxPositionRead <= file.Length - 28, $"read up to {stream.MaxPositionRead}");
    }

    private sealed class CountingStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public long MaxPositionRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            MaxPositionRead = Math.Max(MaxPositionRead, Position);
            return n;
        }

        public override int Read(Span<byte> buffer)
        {
            var n = base.Read(buffer);
            MaxPositionRead = Math.Max(MaxPositionRead, Position);
            return n;
        }
    }
}
