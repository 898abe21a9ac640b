using System.IO.Compression;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>What <see cref="ZipNormalizer.Normalize(string, DateTimeOffset, CancellationToken)"/> did.</summary>
public enum ZipNormalizationOutcome
{
    /// <summary>The file was replaced (atomically) by its normalized form.</summary>
    Rewritten,

    /// <summary>The file already was in normalized form and was not touched (its timestamps are unchanged).</summary>
    AlreadyNormal,

    /// <summary>The file is not a zip archive; nothing to do.</summary>
    NotAZip,

    /// <summary>The archive cannot be normalized without risk; <see cref="ZipNormalization.Reason"/> says why. The file is unchanged.</summary>
    Refused,
}

/// <param name="Outcome">What happened.</param>
/// <param name="Reason">Why normalization was refused; null otherwise.</param>
/// <param name="EntryCount">Entries in the normalized archive; 0 when not a zip or refused.</param>
public sealed record ZipNormalization(ZipNormalizationOutcome Outcome, string? Reason, int EntryCount);

/// <summary>
/// Rewrites a zip-based model output (ML.NET <c>model.zip</c>, PyTorch archives, …) into one canonical byte form, so the
/// same entries give the same file whatever wrote them, when, and on which system. ML.NET's archives otherwise differ in
/// the save time stamped into every header, in <c>\</c> versus <c>/</c> separators, and in the platform byte of "version
/// made by" (research §3.1).
/// <para>
/// Canonical form: entries sorted by the UTF-8 bytes of their name with <c>\</c> replaced by <c>/</c>; each keeps its
/// compression method (stored stays stored, because PyTorch reads tensors from stored members in place; deflate is
/// re-compressed with <see cref="CompressionLevel.Optimal"/>; empty files are stored); every header carries the given timestamp; everything else is
/// fixed by <see cref="DeterministicZipWriter"/>. Deflated bytes are only reproducible on the same .NET deflate engine
/// (zlib-ng since .NET 9), so across runtimes compare entry digests (<see cref="ZipEntryDigests"/>), not file bytes.
/// </para>
/// <para>
/// Archives whose rewrite could change their meaning are refused and left byte-identical: unreadable or damaged ones,
/// encrypted entries, names that are empty, absolute or contain <c>..</c>, names that collide once separators are
/// normalized, symbolic links, compression methods other than stored (0) and deflate (8), and anything needing ZIP64
/// (65535 entries or more, or any size or offset of 4 GiB or more): such archives are not normalized, while ZIP64 end
/// records that only repeat the classic end record (torch.save writes them into every archive) are accepted. Work is bounded: the
/// declared uncompressed total may not exceed a limit, and entries are streamed through a fixed buffer.
/// </para>
/// </summary>
public static class ZipNormalizer
{
    /// <summary>Default limit on the sum of the entries' uncompressed sizes.</summary>
    public const long DefaultMaxTotalUncompressedBytes = 4L << 30;

    private const ushort Stored = 0;
    private const ushort Deflated = 8;
    private const ushort EncryptedFlags = 0x0001 | 0x0040 | 0x2000;
    private const uint UnixTypeMask = 0xF000;
    private const uint UnixSymbolicLink = 0xA000;
    private const uint UnixExecuteBits = 0x49;

    /// <inheritdoc cref="Normalize(string, DateTimeOffset, long, CancellationToken)"/>
    public static ZipNormalization Normalize(string path, DateTimeOffset timestamp, CancellationToken ct = default) =>
        Normalize(path, timestamp, DefaultMaxTotalUncompressedBytes, ct);

    /// <summary>
    /// Normalizes the archive at <paramref name="path"/> in place. The new archive is written to a temporary file beside it
    /// and renamed over it only when its bytes differ, so normalizing a normalized file is <see cref="ZipNormalizationOutcome.AlreadyNormal"/>
    /// and leaves it untouched. Bad input never throws: it is <see cref="ZipNormalizationOutcome.NotAZip"/> or
    /// <see cref="ZipNormalizationOutcome.Refused"/>.
    /// </summary>
    /// <param name="timestamp">The time written into every header, usually <see cref="SourceDateEpoch.Resolve"/>'s.</param>
    /// <param name="maxTotalUncompressedBytes">Refuse archives whose entries declare more uncompressed bytes in total.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is outside the DOS range, or the limit is negative.</exception>
    /// <exception cref="IOException">The file cannot be read or the new one cannot be written (not bad input).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the file is unchanged.</exception>
    public static ZipNormalization Normalize(string path, DateTimeOffset timestamp, long maxTotalUncompressedBytes, CancellationToken ct = default)
    {
        if (timestamp < SourceDateEpoch.Minimum || timestamp > SourceDateEpoch.Maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "zip (DOS) time covers 1980-01-01 to 2107-12-31 only");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxTotalUncompressedBytes);
        if (!StartsLikeZip(path))
        {
            return new ZipNormalization(ZipNormalizationOutcome.NotAZip, null, 0);
        }

        var count = 0;
        try
        {
            var written = AtomicFile.WriteIfChanged(path, output => count = Rewrite(path, output, timestamp, maxTotalUncompressedBytes, ct));
            return new ZipNormalization(written ? ZipNormalizationOutcome.Rewritten : ZipNormalizationOutcome.AlreadyNormal, null, count);
        }
        catch (ZipNormalizationException e)
        {
            return new ZipNormalization(ZipNormalizationOutcome.Refused, e.Message, 0);
        }
        catch (EndOfStreamException)
        {
            // A record the directory points at lies past the end of the file: damaged, so left as it is.
            return new ZipNormalization(ZipNormalizationOutcome.Refused, "a record of the archive lies past the end of the file", 0);
        }
    }

    /// <summary>A zip archive starts with a local file header, or, when empty, with the end record.</summary>
    private static bool StartsLikeZip(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
            && (magic.SequenceEqual("PK\x03\x04"u8) || magic.SequenceEqual("PK\x05\x06"u8));
    }

    private static int Rewrite(string path, Stream output, DateTimeOffset timestamp, long maxTotal, CancellationToken ct)
    {
        // The source is opened and closed inside the write, so it is closed again before the rename replaces it.
        using var source = ZipEntryContent.OpenFile(path);
        var records = ZipCentralDirectory.Read(source);
        using var archive = ZipEntryContent.OpenArchive(source);
        var entries = Plan(records, archive.Entries, maxTotal);
        var writer = new DeterministicZipWriter(output, timestamp);
        var buffer = new byte[ZipEntryContent.BufferSize];
        foreach (var entry in entries)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.IsDirectory)
            {
                writer.AddDirectory(entry.Name);
                continue;
            }

            // An empty file is stored whatever its method: there is nothing to compress, and writers disagree
            // (System.IO.Compression stores it, others deflate it to an empty block).
            writer.BeginFile(entry.Name, entry.Record.Method == Deflated && entry.Record.UncompressedSize > 0, entry.Executable);
            ZipEntryContent.Copy(entry.Source, buffer, writer.Write, ct);
            writer.EndFile();
        }

        writer.Finish();
        return entries.Count;
    }

    /// <summary>Checks every entry and returns them in canonical order, before anything is written.</summary>
    private static List<Planned> Plan(List<CentralRecord> records, IReadOnlyList<ZipArchiveEntry> sources, long maxTotal)
    {
        if (records.Count != sources.Count)
        {
            throw new ZipNormalizationException($"the central directory lists {records.Count} entries but .NET reads {sources.Count}");
        }

        var planned = new List<Planned>(records.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var source = sources[i];
            if (source.FullName != record.Name)
            {
                throw new ZipNormalizationException($"entry {i} is named '{record.Name}' in the directory but '{source.FullName}' by .NET");
            }

            var name = ZipNames.Normalize(record.Name);
            if (NameProblem(name) is { } problem)
            {
                throw new ZipNormalizationException($"entry '{record.Name}' {problem}");
            }

            if (!names.Add(name))
            {
                throw new ZipNormalizationException($"two entries are named '{name}' once '\\' is read as '/'");
            }

            if ((record.Flags & EncryptedFlags) != 0 || source.IsEncrypted)
            {
                throw new ZipNormalizationException($"entry '{record.Name}' is encrypted");
            }

            if (record.Method is not (Stored or Deflated))
            {
                throw new ZipNormalizationException($"entry '{record.Name}' uses compression method {record.Method}; only stored (0) and deflate (8) are normalized");
            }

            if (record.HasUnixMode && (record.UnixMode & UnixTypeMask) == UnixSymbolicLink)
            {
                throw new ZipNormalizationException($"entry '{record.Name}' is a symbolic link");
            }

            var isDirectory = name.EndsWith('/');
            if (isDirectory && record.UncompressedSize != 0)
            {
                throw new ZipNormalizationException($"directory entry '{record.Name}' holds data");
            }

            total += record.UncompressedSize;
            if (total > maxTotal)
            {
                throw new ZipNormalizationException($"the entries hold more than {maxTotal} bytes uncompressed, the limit for normalization");
            }

            var executable = record.HasUnixMode && (record.UnixMode & UnixExecuteBits) != 0;
            planned.Add(new Planned(name, record, source, isDirectory, executable));
        }

        planned.Sort((a, b) => ZipNames.Utf8Order.Compare(a.Name, b.Name));
        return planned;
    }

    /// <summary>Why a (normalized) name cannot be kept as is: extracting it could leave the target folder, or it has no name at all.</summary>
    private static string? NameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "has an empty name";
        }

        if (name.Contains('\0'))
        {
            return "has a NUL character in its name";
        }

        if (name[0] == '/' || (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])))
        {
            return "has an absolute name";
        }

        return name.Split('/').Contains("..") ? "has a '..' segment in its name" : null;
    }

    private sealed record Planned(string Name, CentralRecord Record, ZipArchiveEntry Source, bool IsDirectory, bool Executable);
}
