using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

public sealed class ZipNormalizerTests
{
    private static readonly DateTimeOffset Epoch = SourceDateEpoch.Resolve("1700000000");

    /// <summary>What an ML.NET model.zip holds, plus a stored tensor blob, a non-ASCII name, an empty file and a directory.</summary>
    private static readonly (string Name, byte[] Data, bool Stored)[] Model =
    [
        ("Schema", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Features:Vector<Single, 4>\n", 40))), false),
        ("TrainingInfo/Version.txt", "5.0.1+a4f730ec0c9106c2c9ef9e1fa34011374115fb98"u8.ToArray(), false),
        ("TransformerChain/", [], false),
        ("TransformerChain/Model.key", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $"weight {i} = {i * 0.25}\n"))), false),
        ("archive/data/0", RandomBytes(3000, seed: 1), true),
        ("archive/data/1", RandomBytes(77, seed: 2), true),
        ("données/naïve.txt", "é"u8.ToArray(), false),
        ("empty.txt", [], false),
    ];

    [Fact]
    public void Archives_with_the_same_entries_normalize_to_identical_bytes()
    {
        using var dir = new TempDirectory();
        var dotnet = WriteWithDotNet(dir.Combine("dotnet.zip"));
        var raw = dir.Combine("raw.zip");
        File.WriteAllBytes(raw, RawZip.Build(Model.Reverse().Select((e, i) => new RawEntry(e.Name, e.Data)
        {
            Method = e.Stored ? (ushort)0 : (ushort)8,
            Level = i % 2 == 0 ? CompressionLevel.Fastest : CompressionLevel.SmallestSize,
            Extra = RawZip.ExtendedTimestamp(DateTimeOffset.UtcNow.AddDays(-i)),
            VersionMadeBy = 0x031E,
            ExternalAttributes = 0x81A4_0000,
            Time = new DateTime(2024, 2, 29, 10, 0, i * 2),
            Comment = "entry comment",
            Flags = e.Name.EndsWith('/') ? (ushort)0 : (ushort)0x0800,
        }), archiveComment: "made elsewhere"));
        Assert.NotEqual(File.ReadAllBytes(dotnet), File.ReadAllBytes(raw));

        var first = ZipNormalizer.Normalize(dotnet, Epoch);
        var second = ZipNormalizer.Normalize(raw, Epoch);

        Assert.Equal(new ZipNormalization(ZipNormalizationOutcome.Rewritten, null, Model.Length), first);
        Assert.Equal(new ZipNormalization(ZipNormalizationOutcome.Rewritten, null, Model.Length), second);
        Assert.Equal(File.ReadAllBytes(dotnet), File.ReadAllBytes(raw));
    }

    [Fact]
    public void Normalized_archive_reads_back_the_same_with_dotnet_and_python()
    {
        using var dir = new TempDirectory();
        var path = WriteWithDotNet(dir.Combine("model.zip"));

        ZipNormalizer.Normalize(path, Epoch);

        var expectedOrder = Model.Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        using (var archive = ZipFile.OpenRead(path))
        {
            Assert.Equal(expectedOrder, archive.Entries.Select(e => e.FullName));
            foreach (var entry in archive.Entries)
            {
                using var content = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(content);
                }

                Assert.Equal(Model.Single(m => m.Name == entry.FullName).Data, content.ToArray());
                Assert.Equal(Epoch.UtcDateTime, entry.LastWriteTime.DateTime);
            }
        }

        var (bad, members) = PythonZip.Read(path);
        Assert.Null(bad);
        Assert.Equal(expectedOrder, members.Select(m => m.Name));
        foreach (var member in members)
        {
            var model = Model.Single(m => m.Name == member.Name);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(model.Data)), member.Sha256);
            Assert.Equal(3, member.CreateSystem);
            Assert.Equal([2023, 11, 14, 22, 13, 20], member.DateTime);
            Assert.Equal(member.Name.EndsWith('/') ? 0x41ED0010 : 0x81A40000, member.ExternalAttr);
            Assert.Equal(Ascii.IsValid(member.Name) ? 0 : 0x0800, member.FlagBits);
            Assert.Equal(model.Stored || model.Data.Length == 0 ? 0 : 8, member.CompressType);
        }
    }

    [Fact]
    public void Stored_entries_stay_stored_with_their_data_aligned_to_64_bytes()
    {
        using var dir = new TempDirectory();
        var path = WriteWithDotNet(dir.Combine("model.zip"));

        ZipNormalizer.Normalize(path, Epoch);

        var (_, members) = PythonZip.Read(path);
        var stored = members.Where(m => Model.Single(e => e.Name == m.Name).Stored).ToList();
        Assert.Equal(2, stored.Count);
        Assert.All(stored, m =>
        {
            Assert.Equal(0, m.CompressType);
            Assert.Equal(0, m.DataOffset % 64);
        });
        var bytes = File.ReadAllBytes(path);
        var blob = Model.Single(e => e.Name == "archive/data/0");
        Assert.Equal(blob.Data, bytes.AsSpan((int)stored.Single(m => m.Name == blob.Name).DataOffset, blob.Data.Length).ToArray());
    }

    [Fact]
    public void Normalizing_again_is_already_normal_and_leaves_the_file_untouched()
    {
        using var dir = new TempDirectory();
        var path = WriteWithDotNet(dir.Combine("model.zip"));
        Assert.Equal(ZipNormalizationOutcome.Rewritten, ZipNormalizer.Normalize(path, Epoch).Outcome);
        var stamp = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);
        var bytes = File.ReadAllBytes(path);

        var again = ZipNormalizer.Normalize(path, Epoch);

        Assert.Equal(new ZipNormalization(ZipNormalizationOutcome.AlreadyNormal, null, Model.Length), again);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [LinuxFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_rewritten_file_keeps_its_permissions()
    {
        using var dir = new TempDirectory();
        var path = WriteWithDotNet(dir.Combine("model.zip"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal(ZipNormalizationOutcome.Rewritten, ZipNormalizer.Normalize(path, Epoch).Outcome);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void The_timestamp_changes_the_bytes_and_is_clamped_to_the_dos_range()
    {
        using var dir = new TempDirectory();
        var a = WriteWithDotNet(dir.Combine("a.zip"));
        var b = WriteWithDotNet(dir.Combine("b.zip"));
        var c = WriteWithDotNet(dir.Combine("c.zip"));

        ZipNormalizer.Normalize(a, SourceDateEpoch.Resolve("1700000000"));
        ZipNormalizer.Normalize(b, SourceDateEpoch.Resolve("1700000002"));
        ZipNormalizer.Normalize(c, SourceDateEpoch.Resolve("1"));

        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.All(PythonZip.Read(b).Members, m => Assert.Equal([2023, 11, 14, 22, 13, 22], m.DateTime));
        Assert.All(PythonZip.Read(c).Members, m => Assert.Equal([1980, 1, 1, 0, 0, 0], m.DateTime));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZipNormalizer.Normalize(a, new DateTimeOffset(1979, 12, 31, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void An_executable_unix_entry_keeps_mode_0755()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("tool.zip");
        File.WriteAllBytes(path, RawZip.Build(
        [
            new RawEntry("run.sh", "#!/bin/sh\n") { VersionMadeBy = 0x031E, ExternalAttributes = 0x81ED_0000 },
            new RawEntry("readme.txt", "hi") { VersionMadeBy = 0x031E, ExternalAttributes = 0x81B6_0000 },
            new RawEntry("windows.txt", "hi") { VersionMadeBy = 0x0014, ExternalAttributes = 0x0049_0020 },
        ]));

        ZipNormalizer.Normalize(path, Epoch);

        var attributes = PythonZip.Read(path).Members.ToDictionary(m => m.Name, m => m.ExternalAttr);
        Assert.Equal(0x81ED0000, attributes["run.sh"]);
        Assert.Equal(0x81A40000, attributes["readme.txt"]);
        Assert.Equal(0x81A40000, attributes["windows.txt"]);
    }

    [Fact]
    public void An_empty_archive_is_already_normal()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("empty.zip");
        using (ZipFile.Open(path, ZipArchiveMode.Create))
        {
        }

        Assert.Equal(new ZipNormalization(ZipNormalizationOutcome.AlreadyNormal, null, 0), ZipNormalizer.Normalize(path, Epoch));
        Assert.Equal(22, new FileInfo(path).Length);
    }

    [Fact]
    public void A_file_that_is_not_a_zip_is_left_alone()
    {
        using var dir = new TempDirectory();
        var text = dir.Write("model.onnx", "not a zip at all");
        var tiny = dir.Write("tiny", "PK");
        var empty = dir.Write("empty", "");

        Assert.Equal(ZipNormalizationOutcome.NotAZip, ZipNormalizer.Normalize(text, Epoch).Outcome);
        Assert.Equal(ZipNormalizationOutcome.NotAZip, ZipNormalizer.Normalize(tiny, Epoch).Outcome);
        Assert.Equal(ZipNormalizationOutcome.NotAZip, ZipNormalizer.Normalize(empty, Epoch).Outcome);
        Assert.Equal("not a zip at all", File.ReadAllText(text));
    }

    public static TheoryData<string, string> Refusals() => new()
    {
        { "truncated", "truncated" },
        { "corrupt-data", "cannot be read" },
        { "duplicate-after-separators", "two entries are named 'a/b.txt'" },
        { "parent-segment", "'..' segment" },
        { "absolute", "absolute name" },
        { "drive-letter", "absolute name" },
        { "empty-name", "empty name" },
        { "encrypted", "encrypted" },
        { "bzip2", "compression method 12" },
        { "symlink", "symbolic link" },
        { "zip64-extra", "ZIP64" },
        { "zip64-count", "ZIP64" },
        { "directory-with-data", "holds data" },
        { "over-limit", "limit" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Refused_archives_are_left_byte_identical(string kind, string reason)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("model.zip");
        File.WriteAllBytes(path, Refusable(kind));
        var stamp = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);
        var before = File.ReadAllBytes(path);

        var result = ZipNormalizer.Normalize(path, Epoch, maxTotalUncompressedBytes: kind == "over-limit" ? 10 : ZipNormalizer.DefaultMaxTotalUncompressedBytes);

        Assert.Equal(ZipNormalizationOutcome.Refused, result.Outcome);
        Assert.Contains(reason, result.Reason);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Damaged_archives_never_throw_and_are_only_replaced_by_readable_ones()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("model.zip");
        var good = File.ReadAllBytes(WriteWithDotNet(path));
        var random = new Random(11);
        for (var i = 0; i < 400; i++)
        {
            var damaged = good.ToArray();
            if (i % 4 == 0)
            {
                damaged = damaged[..random.Next(4, damaged.Length)];
            }

            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            File.WriteAllBytes(path, damaged);

            var result = ZipNormalizer.Normalize(path, Epoch);

            if (result.Outcome == ZipNormalizationOutcome.Rewritten)
            {
                Assert.Null(PythonZip.Read(path).FirstBadMember);
                Assert.Equal(result.EntryCount, ZipEntryDigests.Read(path).Count);
            }
            else if (result.Outcome != ZipNormalizationOutcome.AlreadyNormal)
            {
                Assert.Equal(damaged, File.ReadAllBytes(path));
            }

            Assert.Single(Directory.GetFiles(dir.Path));
        }
    }

    [Fact]
    public void Cancellation_leaves_the_file_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        var path = WriteWithDotNet(dir.Combine("model.zip"));
        var before = File.ReadAllBytes(path);

        Assert.ThrowsAny<OperationCanceledException>(() => ZipNormalizer.Normalize(path, Epoch, new CancellationToken(canceled: true)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    private static byte[] Refusable(string kind)
    {
        var good = RawZip.Build([new RawEntry("a.txt", string.Concat(Enumerable.Repeat("hello ", 200))), new RawEntry("b.txt", "world")]);
        return kind switch
        {
            "truncated" => good[..(good.Length / 2)],
            "corrupt-data" => Corrupt(good),
            "duplicate-after-separators" => RawZip.Build([new RawEntry("a/b.txt", "1"), new RawEntry("a\\b.txt", "2")]),
            "parent-segment" => RawZip.Build([new RawEntry("../x", "1")]),
            "absolute" => RawZip.Build([new RawEntry("/etc/x", "1")]),
            "drive-letter" => RawZip.Build([new RawEntry("C:\\x", "1")]),
            "empty-name" => RawZip.Build([new RawEntry("", "1")]),
            "encrypted" => RawZip.Build([new RawEntry("a.txt", "1") { Flags = 1 }]),
            "bzip2" => RawZip.Build([new RawEntry("a.txt", "1") { Method = 12 }]),
            "symlink" => RawZip.Build([new RawEntry("link", "/etc/passwd") { Method = 0, VersionMadeBy = 0x031E, ExternalAttributes = 0xA1FF_0000 }]),
            "zip64-extra" => RawZip.Build([new RawEntry("a.txt", "1") { Extra = [1, 0, 0, 0] }]),
            "zip64-count" => [.. "PK\x05\x06"u8, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "directory-with-data" => RawZip.Build([new RawEntry("dir/", "1")]),
            "over-limit" => good,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    /// <summary>Flips bytes inside the first entry's deflate data; headers stay intact.</summary>
    private static byte[] Corrupt(byte[] archive)
    {
        var copy = archive.ToArray();
        var dataStart = 30 + BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(28));
        for (var i = dataStart + 2; i < dataStart + 8; i++)
        {
            copy[i] ^= 0x5A;
        }

        return copy;
    }

    /// <summary>Like ML.NET: System.IO.Compression, Windows separators, its own order and save time.</summary>
    private static string WriteWithDotNet(string path)
    {
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (name, data, stored) in Model.OrderBy(e => e.Data.Length))
            {
                var entry = archive.CreateEntry(name.EndsWith('/') ? name : name.Replace('/', '\\'), stored ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                entry.LastWriteTime = new DateTimeOffset(2019, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));
                using var stream = entry.Open();
                stream.Write(data);
            }
        }

        return path;
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
