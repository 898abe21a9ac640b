using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

public sealed class ZipEntryDigestsTests
{
    [Fact]
    public void Reads_sorted_digests_of_the_uncompressed_entries_with_slash_names()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("model.zip");
        File.WriteAllBytes(path, RawZip.Build(
        [
            new RawEntry("TransformerChain\\Model.key", "key"),
            new RawEntry("Schema", "schema") { Method = 0 },
            new RawEntry("\uE000.txt", "private use"),
            new RawEntry("\U0001F600.txt", "emoji"),
        ]));

        var digests = ZipEntryDigests.Read(path);

        // UTF-8 order puts U+E000 (EE 80 80) before U+1F600 (F0 9F 98 80); UTF-16 ordinal order would not.
        Assert.Equal(["Schema", "TransformerChain/Model.key", "\uE000.txt", "\U0001F600.txt"], digests.Select(d => d.Name));
        Assert.Equal(new ZipEntryDigest("Schema", Hex("schema"), 6), digests[0]);
        Assert.Equal(new ZipEntryDigest("TransformerChain/Model.key", Hex("key"), 3), digests[1]);
    }

    [Fact]
    public void Normalization_keeps_the_digests()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("model.zip");
        File.WriteAllBytes(path, RawZip.Build([new RawEntry("b\\c", "1"), new RawEntry("a", string.Concat(Enumerable.Repeat("x", 10000))) { Level = CompressionLevel.Fastest }]));
        var before = ZipEntryDigests.Read(path);

        Assert.Equal(ZipNormalizationOutcome.Rewritten, ZipNormalizer.Normalize(path, SourceDateEpoch.Minimum).Outcome);

        var after = ZipEntryDigests.Read(path);
        Assert.Equal(before, after);
        Assert.Equal("no entry differs (only the archive bytes)", ZipEntryDigests.Summarize(before, after));
    }

    [Fact]
    public void Unreadable_archives_throw_zip_normalization_exception()
    {
        using var dir = new TempDirectory();
        var text = dir.Write("text.zip", "not a zip");
        var corrupt = dir.Combine("corrupt.zip");
        var archive = RawZip.Build([new RawEntry("a", string.Concat(Enumerable.Repeat("hello ", 100)))]);
        archive[40] ^= 0xFF;
        File.WriteAllBytes(corrupt, archive);

        Assert.Throws<ZipNormalizationException>(() => ZipEntryDigests.Read(text));
        var e = Assert.Throws<ZipNormalizationException>(() => ZipEntryDigests.Read(corrupt));
        Assert.Contains("entry 'a'", e.Message);
    }

    [Fact]
    public void Summarize_lists_changed_added_and_removed_entries_in_name_order()
    {
        IReadOnlyList<ZipEntryDigest> before =
        [
            new("Old.txt", Hex("old"), 3),
            new("Schema", Hex("s"), 1),
            new("TransformerChain/Model.key", Hex("k1"), 2),
        ];
        IReadOnlyList<ZipEntryDigest> after =
        [
            new("Schema", Hex("s"), 1),
            new("TrainingInfo/Version.txt", Hex("v"), 1),
            new("TransformerChain/Model.key", Hex("k2"), 2),
        ];

        Assert.Equal(
            "3 entries differ: Old.txt (removed), TrainingInfo/Version.txt (added), TransformerChain/Model.key (changed)",
            ZipEntryDigests.Summarize(before, after));
        Assert.Equal("1 entry differs: Schema (removed)", ZipEntryDigests.Summarize([before[1]], []));
    }

    [Fact]
    public void Summarize_without_a_previous_reading_counts_every_entry_as_added()
    {
        Assert.Equal("2 entries differ: a (added), b (added)", ZipEntryDigests.Summarize(null, [new("b", Hex("b"), 1), new("a", Hex("a"), 1)]));
        Assert.Equal("no entry differs (only the archive bytes)", ZipEntryDigests.Summarize(null, []));
    }

    [Fact]
    public void Summarize_stops_after_max_names()
    {
        var after = Enumerable.Range(0, 15).Select(i => new ZipEntryDigest($"e{i:00}", Hex(i.ToString()), 1)).ToList();

        var line = ZipEntryDigests.Summarize([], after, max: 3);

        Assert.Equal("15 entries differ: e00 (added), e01 (added), e02 (added), …and 12 more", line);
    }

    [Fact]
    public void Summarize_compares_size_and_repeated_names()
    {
        IReadOnlyList<ZipEntryDigest> once = [new("a", Hex("a"), 1)];
        IReadOnlyList<ZipEntryDigest> twice = [new("a", Hex("a"), 1), new("a", Hex("a"), 1)];

        Assert.Equal("1 entry differs: a (changed)", ZipEntryDigests.Summarize(once, twice));
        Assert.Equal("1 entry differs: a (changed)", ZipEntryDigests.Summarize(once, [new("a", Hex("a"), 2)]));
    }

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
