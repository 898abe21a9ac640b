using System.Text;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.Tests;

public class LockFileTests
{
    private const string HexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string HexB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Writes_the_canonical_form_of_the_spec()
    {
        var lockFile = new LockFile();
        lockFile.TrainingInputs["data/train.tsv"] = new LockedFile(HexA, 123456, "https://example.org/dataset-v3");
        lockFile.ModelOutputs["bin/Release/net10.0/model.zip"] = new LockedFile(HexB, 78910);

        var text = Encoding.UTF8.GetString(LockFileWriter.ToBytes(lockFile));

        Assert.Equal(
            "{\n" +
            "  \"version\": 1,\n" +
            "  \"trainingInputs\": {\n" +
            "    \"data/train.tsv\": {\n" +
            $"      \"sha256\": \"{HexA}\",\n" +
            "      \"size\": 123456,\n" +
            "      \"source\": \"https://example.org/dataset-v3\"\n" +
            "    }\n" +
            "  },\n" +
            "  \"modelOutputs\": {\n" +
            "    \"bin/Release/net10.0/model.zip\": {\n" +
            $"      \"sha256\": \"{HexB}\",\n" +
            "      \"size\": 78910\n" +
            "    }\n" +
            "  }\n" +
            "}\n", text);
    }

    [Fact]
    public void Rewriting_an_unchanged_lock_gives_identical_bytes()
    {
        var lockFile = new LockFile();
        lockFile.TrainingInputs["z.csv"] = new LockedFile(HexA, 1);
        lockFile.TrainingInputs["a/b.csv"] = new LockedFile(HexB, 2, "s3://bucket/é");
        var first = LockFileWriter.ToBytes(lockFile);

        var second = LockFileWriter.ToBytes(LockFileReader.Parse(first));

        Assert.Equal(first, second);
        Assert.False(first.AsSpan().StartsWith("\uFEFF"u8), "no byte order mark");
        Assert.DoesNotContain((byte)'\r', first);
    }

    [Fact]
    public void Entries_are_sorted_by_utf8_bytes_not_utf16_units()
    {
        // U+E000 sorts before U+1F600 in UTF-8 (code point order) but after it in UTF-16 ordinal order (0xD83D < 0xE000).
        var lockFile = new LockFile();
        lockFile.TrainingInputs["\U0001F600.csv"] = new LockedFile(HexA, 1);
        lockFile.TrainingInputs["\uE000.csv"] = new LockedFile(HexA, 1);
        lockFile.TrainingInputs["B.csv"] = new LockedFile(HexA, 1);
        lockFile.TrainingInputs["a.csv"] = new LockedFile(HexA, 1);

        Assert.Equal(["B.csv", "a.csv", "\uE000.csv", "\U0001F600.csv"], lockFile.TrainingInputs.Keys);
        Assert.True(string.CompareOrdinal("\U0001F600", "\uE000") < 0, "the two orders really differ for these keys");
    }

    [Fact]
    public void Reads_entries_with_their_line_and_column()
    {
        var json = "{\n  \"version\": 1,\n  \"trainingInputs\": {\n    \"a.csv\": { \"sha256\": \"" + HexA + "\", \"size\": 5 }\n  }\n}\n";

        var lockFile = LockFileReader.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(new LockedFile(HexA, 5), lockFile.TrainingInputs["a.csv"]);
        Assert.Empty(lockFile.ModelOutputs);
        Assert.Equal((4, 5), lockFile.PositionOf(LockSection.TrainingInputs, "a.csv"));
    }

    [Fact]
    public void Accepts_a_byte_order_mark_and_any_key_order()
    {
        var json = "\uFEFF{\"trainingInputs\":{},\"modelOutputs\":{},\"version\":1}";

        var lockFile = LockFileReader.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Empty(lockFile.TrainingInputs);
    }

    /// <summary>Each case: the document, the expected reason, and the text at which the error must point (its first character).</summary>
    public static TheoryData<string, string, string> Malformed => new()
    {
        { "", "invalid JSON", "" },
        { "[]", "the document must be a JSON object", "[" },
        { "{\n  \"version\": 1,\n  \"trainingInputs\": {\n", "invalid JSON", "" },
        { "{\"version\": 1} {}", "invalid JSON", "{}" },
        { "{\"version\": 1, // note\n}", "invalid JSON", "/" },
        { "{\"version\": 1,}", "invalid JSON", "}" },
        { "{\"trainingInputs\": {}}", "the 'version' property is missing", "{" },
        { "{\"version\": 2}", "version 2 is not supported", "2" },
        { "{\"version\": \"1\"}", "'version' must be an integer", "\"1\"" },
        { "{\"version\": 1, \"version\": 1}", "duplicate property 'version'", "\"version\": 1}" },
        { "{\"version\": 1, \"extra\": 1}", "unknown property 'extra'", "\"extra\"" },
        { "{\"version\": 1,\n\"trainingInputs\": {\"a\": {\"sha256\": \"" + HexA.ToUpperInvariant() + "\", \"size\": 1}}}", "'sha256' must be 64 lowercase hexadecimal digits", "\"AAAA" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": {\"sha256\": \"abc\", \"size\": 1}}}", "'sha256' must be 64 lowercase hexadecimal digits", "\"abc\"" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": {\"sha256\": \"" + HexA + "\", \"size\": -1}}}", "'size' must be a non-negative integer", "-1" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": {\"sha256\": \"" + HexA + "\", \"size\": 1.5}}}", "'size' must be a non-negative integer", "1.5" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": {\"sha256\": \"" + HexA + "\"}}}", "entry 'a' needs both 'sha256' and 'size'", "{\"sha256\"" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": {\"sha256\": \"" + HexA + "\", \"size\": 1, \"mode\": 1}}}", "entry 'a' has an unknown property 'mode'", "\"mode\"" },
        { "{\"version\": 1, \"modelOutputs\": {\"m\": {\"sha256\": \"" + HexA + "\", \"size\": 1, \"source\": \"x\"}}}", "entry 'm' has an unknown property 'source'", "\"source\"" },
        { "{\"version\": 1, \"trainingInputs\": {\"../etc/passwd\": {}}}", "entry '../etc/passwd' has an empty, '.' or '..' path segment", "\"../" },
        { "{\"version\": 1, \"trainingInputs\": {\"/etc/passwd\": {}}}", "is an absolute path", "\"/etc" },
        { "{\"version\": 1, \"trainingInputs\": {\"C:/x\": {}}}", "is an absolute path", "\"C:" },
        { "{\"version\": 1, \"trainingInputs\": {\"data\\\\x.csv\": {}}}", "uses '\\'", "\"data" },
        { "{\"version\": 1, \"trainingInputs\": {\"a//b\": {}}}", "empty, '.' or '..' path segment", "\"a//b" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\\u0001\": {}}}", "contains a control character", "\"a\\" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": 1}}", "entry 'a' must be an object", "1}}" },
        { "{\"version\": 1, \"trainingInputs\": []}", "'trainingInputs' must be an object", "[" },
        { "{\"version\": 1, \"trainingInputs\": {\"a\": {\"sha256\": \"" + HexA + "\", \"size\": 1}, \"a\": {}}}", "duplicate property 'a'", "\"a\": {}" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_locks_are_rejected_with_line_and_column(string json, string reason, string at)
    {
        // Where the marker text starts (1-based line and column); an empty marker means the end of the document.
        var index = at.Length == 0 ? json.Length : json.IndexOf(at, StringComparison.Ordinal);
        Assert.True(index >= 0, "the marker is in the document");
        var line = json[..index].Count(c => c == '\n') + 1;
        var column = index - (json.LastIndexOf('\n', Math.Max(0, index - 1)) + 1) + 1;
        var e = Assert.Throws<LockFileException>(() => LockFileReader.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void Invalid_utf8_is_rejected_not_guessed()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"version\": 1, \"trainingInputs\": {\"X\": {}}}");
        bytes[36] = 0xFF; // the key's only character

        var e = Assert.Throws<LockFileException>(() => LockFileReader.Parse(bytes));

        Assert.Equal(("it is not valid UTF-8", 1, 37), (e.Reason, e.Line, e.Column));
    }

    [Theory]
    [InlineData("{\"version\": 1, \"trainingInputs\": {\"\\ud800\": {}}}", 1, 35)]
    [InlineData("{\"version\": 1,\n \"modelOutputs\": {\"m\": {\"sha256\": \"\\udc00\"}}}", 2, 35)]
    public void A_string_that_is_not_valid_Unicode_is_refused_at_its_place(string json, int line, int column)
    {
        var e = Assert.Throws<LockFileException>(() => LockFileReader.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.StartsWith("a string is not valid Unicode", e.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void Deep_nesting_is_refused_without_recursion_trouble()
    {
        var json = "{\"version\": 1, \"trainingInputs\": " + new string('[', 100_000) + new string(']', 100_000) + "}";

        var e = Assert.Throws<LockFileException>(() => LockFileReader.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(1, e.Line);
    }
}
