using System.Text;
using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>Data that cannot be read as its format: always one coded MLG704 with a place, never an exception or a hang.</summary>
public class BadInputTests : IDisposable
{
    private const string Schema = "fields:\n  - {name: a}\n  - {name: b}\n";

    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    private Diagnostics.Finding Unreadable(string name, byte[] bytes, TableFormat format = TableFormat.Csv)
    {
        var result = DataFixture.ValidateFile(_data.WriteBytes(name, bytes), DataFixture.Schema(Schema), format);
        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG704", finding.Code);
        Assert.Null(result.Profile);
        Assert.Equal(Hashing.Sha256File.Compute(_data.Temp.Combine(name)).Hex, result.Sha256); // the digest is still whole
        return finding;
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_its_line()
    {
        var finding = Unreadable("u.csv", [.. "a,b\n1,2\n3,"u8, 0xC3, 0x28, .. "\n"u8]);

        Assert.Contains("not valid UTF-8 (byte 0xC3)", finding.Message, StringComparison.Ordinal);
        Assert.Equal((3, 3), (finding.Location!.Line, finding.Location.Column));
    }

    [Fact]
    public void Utf8_split_across_read_chunks_is_accepted()
    {
        var row = "é€😀,x\n";
        var text = "a,b\n" + string.Concat(Enumerable.Repeat(row, 200_000)); // several 64 KiB reads, multi-byte sequences on the seams
        var result = DataFixture.ValidateFile(_data.Write("ok.csv", text), DataFixture.Schema(Schema));

        Assert.Empty(result.Findings);
        Assert.Equal(200_000, result.Profile!.Rows);
    }

    [Fact]
    public void A_file_ending_inside_a_utf8_sequence_is_refused()
    {
        Assert.Contains("ends inside a UTF-8 sequence", Unreadable("t.csv", [.. "a,b\n1,"u8, 0xE2, 0x82]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_utf16_file_is_refused_plainly()
    {
        Assert.Contains("UTF-16", Unreadable("w.csv", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("a,b\n1,2\n")).ToArray()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_giant_line_is_refused_before_it_is_buffered()
    {
        var bytes = new byte[TextGuardStream.DefaultMaxRowBytes + (1 << 20)];
        bytes.AsSpan().Fill((byte)'x');
        "a,b\n"u8.CopyTo(bytes);
        var finding = Unreadable("giant.csv", bytes);

        Assert.Contains("the row starting at line 2 is longer than 8 MiB", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quote_that_never_closes_is_refused()
    {
        var text = new StringBuilder("a,b\n1,\"open\n");
        while (text.Length < TextGuardStream.DefaultMaxRowBytes + 100)
        {
            text.Append("more text, on many lines\n");
        }

        var finding = Unreadable("q.csv", Encoding.UTF8.GetBytes(text.ToString()));

        Assert.Contains("a double quote that never closes?", finding.Message, StringComparison.Ordinal);
        Assert.Equal(2, finding.Location!.Line);
    }

    [Fact]
    public void A_giant_json_line_is_refused()
    {
        var bytes = new byte[TextGuardStream.DefaultMaxRowBytes + 10];
        bytes.AsSpan().Fill((byte)' ');
        bytes[0] = (byte)'{';
        Assert.Contains("longer than 8 MiB", Unreadable("g.jsonl", bytes, TableFormat.JsonLines).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": 1}\n[1, 2]\n", 2, "must be a JSON object")]
    [InlineData("{\"a\": 1}\n{\"a\": }\n", 2, "not valid JSON")]
    [InlineData("{\"a\": 1, \"a\": 2}\n", 1, "appears twice")]
    [InlineData("{\"a\": 1} x\n", 1, "not valid JSON")]
    public void Malformed_json_lines_are_refused_with_their_line(string text, int line, string reason)
    {
        var finding = Unreadable("m.jsonl", Encoding.UTF8.GetBytes(text), TableFormat.JsonLines);

        Assert.Contains(reason, finding.Message, StringComparison.Ordinal);
        Assert.Equal(line, finding.Location!.Line);
    }

    [Fact]
    public void An_empty_csv_is_refused()
    {
        Assert.Contains("empty", Unreadable("e.csv", []).Message, StringComparison.Ordinal);
    }

    /// <summary>A mutated footer (found by DataFuzzTests at 6,000 inputs) on which Parquet.Net 6.1.0 loops forever.</summary>
    private const string LoopingParquet = "UEFSMRUAFSwVMCwVCBUAFQYVBhwYBAQAAAAYBAEAAAAWAigEBAAAABgEAQAAAAAAABZUBgAAAAQBAgACAQEAAAACAAAABAAAABUAFTIVNiwVCBUAFQYVBhwYAWMYAWEWAigBYxgBYQAAABlgBgAAAAIBAgAEAQEAAABhAQAAAGIBAAAAYxUCGTxIBHJvb3QVBAAVAiUCGAJpZCUiTKwTIBEAAAAVDCUCGAVsYWJlbCUATBwAAAAWCBkcGSwmCBwVAhklAAYZGAJpZBUCFggWhgEWigEmCDwYBAQAAAAYBAEAAAAWAigEBAAAABgEAQAAAAAAACaSARwVDBklAAYZGAVsYWJlbBUCFggWdBZ4JpIBPBgBYxgBYRYCKAFjGAFhAAAAFvoBFgg2ggIAKEpQYXJxdWV0Lk5ldCB2ZXJzaW9uIDYuMS4wIChidWlsZCBjMTc5ZDk3YmQyNTQ5YjVmNDRhOTI0MWU3MjlmODY5ZDQ5NDdlZTU5KQD0OQAAAFBBUjE=";

    [Fact]
    public void A_parquet_footer_the_library_would_loop_on_is_refused_after_a_deadline()
    {
        var validator = new TableValidator(DataFixture.Schema(Schema), "f", "f");

        var e = Assert.Throws<DataFormatException>(() =>
            ParquetTableReader.Read(new MemoryStream(Convert.FromBase64String(LoopingParquet)), validator, footerTimeout: TimeSpan.FromSeconds(1)));

        Assert.Contains("footer could not be parsed within 1 s", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_or_corrupt_parquet_file_is_refused()
    {
        var path = _data.WriteParquet("p.parquet", [1, 2, 3], ["a", "b", "c"]);
        var bytes = File.ReadAllBytes(path);

        Assert.Contains("not a readable Parquet file", Unreadable("cut.parquet", bytes[..(bytes.Length / 2)], TableFormat.Parquet).Message, StringComparison.Ordinal);
        Assert.Contains("not a readable Parquet file", Unreadable("csv.parquet", "a,b\n1,2\n"u8.ToArray(), TableFormat.Parquet).Message, StringComparison.Ordinal);
    }
}
