using System.IO.Compression;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// Reads archives and entry data through System.IO.Compression, turning the ways it reports a damaged archive into
/// <see cref="ZipNormalizationException"/>. Entry data is checked against its header: never more bytes than the declared
/// size are inflated (a decompression bomb costs at most what it declares), and the size and CRC-32 must match, so a damaged
/// entry is refused rather than copied.
/// </summary>
internal static class ZipEntryContent
{
    public const int BufferSize = 1 << 16;

    /// <summary>Opens an archive for reading; others may read it meanwhile, nobody may change it.</summary>
    public static FileStream OpenFile(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.Read,
        BufferSize = BufferSize,
    });

    /// <summary>Reads the archive's directory with System.IO.Compression, leaving <paramref name="stream"/> open.</summary>
    public static ZipArchive OpenArchive(Stream stream)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw new ZipNormalizationException($"the archive cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Streams an entry's uncompressed bytes to <paramref name="sink"/> in chunks of at most <paramref name="buffer"/>'s size.</summary>
    /// <returns>How many bytes the entry holds (its declared size).</returns>
    public static long Copy(ZipArchiveEntry entry, byte[] buffer, Action<ReadOnlySpan<byte>> sink, CancellationToken cancellationToken)
    {
        var declared = entry.Length;
        long total = 0;
        var crc = new System.IO.Hashing.Crc32();
        using var stream = Open(entry);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, declared - total + 1));
            var read = Read(entry, stream, chunk);
            if (read == 0)
            {
                break;
            }

            total += read;
            if (total > declared)
            {
                throw Damaged(entry, "holds more bytes than its header says");
            }

            crc.Append(chunk[..read]);
            sink(chunk[..read]);
        }

        if (total != declared)
        {
            throw Damaged(entry, "holds fewer bytes than its header says");
        }

        if (crc.GetCurrentHashAsUInt32() != entry.Crc32)
        {
            throw Damaged(entry, "fails its CRC-32 check");
        }

        return total;
    }

    private static Stream Open(ZipArchiveEntry entry)
    {
        try
        {
            return entry.Open();
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw Damaged(entry, e.Message, e);
        }
    }

    private static int Read(ZipArchiveEntry entry, Stream stream, Span<byte> chunk)
    {
        try
        {
            return stream.Read(chunk);
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw Damaged(entry, e.Message, e);
        }
    }

    /// <summary>What System.IO.Compression throws for bad bytes, as opposed to failures of the machine (disk, permissions).</summary>
    private static bool IsDamage(Exception e) => e is InvalidDataException or EndOfStreamException or NotSupportedException;

    private static ZipNormalizationException Damaged(ZipArchiveEntry entry, string what, Exception? inner = null) =>
        new($"entry '{entry.FullName}' cannot be read: {what}", inner);
}
