using System.Buffers.Binary;
using System.Text;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>One central-directory record, with the fields System.IO.Compression does not expose.</summary>
internal sealed record CentralRecord(string Name, ushort VersionMadeBy, ushort Flags, ushort Method, uint UncompressedSize, uint ExternalAttributes)
{
    /// <summary>The host system in the high byte of "version made by"; 3 means Unix, whose mode bits fill the high half of the external attributes.</summary>
    public bool HasUnixMode => VersionMadeBy >> 8 == 3;

    public uint UnixMode => ExternalAttributes >> 16;
}

/// <summary>
/// Reads the raw central directory before <see cref="System.IO.Compression.ZipArchive"/> reads the data, because only the
/// raw records show what normalization must check: the compression method, the general-purpose flags, the host system, and
/// whether anything needs ZIP64. It is deliberately strict (one end record, one disk, a directory whose size matches its
/// records exactly): an archive that readers could see differently is refused rather than rewritten into one reading.
/// </summary>
internal static class ZipCentralDirectory
{
    public const int MaxEntries = 0xFFFE;

    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const int Zip64EndLength = 56;
    private const uint CentralSignature = 0x02014b50;
    private const ushort Zip64ExtraId = 0x0001;
    private const int EndLength = 22;
    private const int CentralLength = 46;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="ZipNormalizationException">The directory cannot be read, or needs ZIP64.</exception>
    public static List<CentralRecord> Read(Stream stream)
    {
        var end = FindEnd(stream);
        var record = ReadExactly(stream, end, EndLength);
        var disk = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(4));
        var directoryDisk = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(6));
        var onDisk = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(8));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(10));
        var size = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(12));
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(16));
        if (count == 0xFFFF || size == 0xFFFFFFFF || offset == 0xFFFFFFFF || disk == 0xFFFF || directoryDisk == 0xFFFF)
        {
            throw Zip64();
        }

        if (end >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(stream, end - 20, 4)) == Zip64LocatorSignature)
        {
            // PyTorch (miniz) writes ZIP64 end records into every archive. When they repeat the classic end record exactly,
            // nothing needs ZIP64 and the archive can be rewritten without them; when they differ, readers disagree.
            RequireRedundantZip64End(stream, end, count, size, offset);
        }

        if (disk != 0 || directoryDisk != 0 || onDisk != count)
        {
            throw new ZipNormalizationException("the archive spans several disks");
        }

        if (count > MaxEntries)
        {
            throw new ZipNormalizationException($"the archive lists {count} entries, more than the {MaxEntries} normalization handles");
        }

        if ((long)offset + size > end)
        {
            throw new ZipNormalizationException("the central directory lies outside the file");
        }

        stream.Position = offset;
        var records = new List<CentralRecord>(count);
        long consumed = 0;
        var header = new byte[CentralLength];
        for (var i = 0; i < count; i++)
        {
            if (consumed + CentralLength > size)
            {
                throw new ZipNormalizationException($"central directory entry {i} runs past the directory");
            }

            stream.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != CentralSignature)
            {
                throw new ZipNormalizationException($"central directory entry {i} is damaged");
            }

            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(30));
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(32));
            consumed += CentralLength + nameLength + extraLength + commentLength;
            if (consumed > size)
            {
                throw new ZipNormalizationException($"central directory entry {i} runs past the directory");
            }

            var variable = new byte[nameLength + extraLength + commentLength];
            stream.ReadExactly(variable);
            var compressed = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20));
            var uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(24));
            var startDisk = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(34));
            var localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(42));
            if (compressed == 0xFFFFFFFF || uncompressed == 0xFFFFFFFF || localOffset == 0xFFFFFFFF || startDisk == 0xFFFF
                || HasExtra(variable.AsSpan(nameLength, extraLength), Zip64ExtraId))
            {
                throw Zip64();
            }

            string name;
            try
            {
                name = StrictUtf8.GetString(variable, 0, nameLength);
            }
            catch (DecoderFallbackException)
            {
                throw new ZipNormalizationException($"the name of central directory entry {i} is not UTF-8");
            }

            records.Add(new CentralRecord(
                name,
                VersionMadeBy: BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(4)),
                Flags: BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8)),
                Method: BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(10)),
                UncompressedSize: uncompressed,
                ExternalAttributes: BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(38))));
        }

        if (consumed != size)
        {
            // Python's zipfile reads records until the directory's size is used up, .NET stops at the count.
            throw new ZipNormalizationException("the central directory holds more than the entries it counts");
        }

        return records;
    }

    /// <summary>Refuses ZIP64 end records unless they say exactly what the classic end record says.</summary>
    private static void RequireRedundantZip64End(Stream stream, long end, ushort count, uint size, uint offset)
    {
        var locator = ReadExactly(stream, end - 20, 20);
        var recordOffset = BinaryPrimitives.ReadInt64LittleEndian(locator.AsSpan(8));
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator.AsSpan(4)) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(locator.AsSpan(16)) != 1
            || recordOffset < 0 || recordOffset > end - 20 - Zip64EndLength)
        {
            throw Zip64();
        }

        var record = ReadExactly(stream, recordOffset, Zip64EndLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature
            || BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(16)) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(20)) != 0
            || BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(24)) != count || BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)) != count
            || BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40)) != size || BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(48)) != offset)
        {
            throw new ZipNormalizationException("the archive's ZIP64 end record disagrees with its classic end record, so readers would see different directories");
        }
    }

    private static ZipNormalizationException Zip64() =>
        new("the archive needs ZIP64 (4 GiB or 65535 entries and more), which normalization does not rewrite");

    /// <summary>The last end-of-central-directory signature within reach of a maximal archive comment, as .NET and Python search.</summary>
    private static long FindEnd(Stream stream)
    {
        var length = stream.Length;
        var tailLength = (int)Math.Min(length, EndLength + 0xFFFF);
        if (tailLength >= EndLength)
        {
            var tail = ReadExactly(stream, length - tailLength, tailLength);
            for (var at = tailLength - EndLength; at >= 0; at--)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) == EndSignature)
                {
                    return length - tailLength + at;
                }
            }
        }

        throw new ZipNormalizationException("no end-of-central-directory record (truncated or not a zip archive)");
    }

    private static bool HasExtra(ReadOnlySpan<byte> extra, ushort id)
    {
        while (extra.Length >= 4)
        {
            if (BinaryPrimitives.ReadUInt16LittleEndian(extra) == id)
            {
                return true;
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4)
            {
                return false;
            }

            extra = extra[(4 + length)..];
        }

        return false;
    }

    private static byte[] ReadExactly(Stream stream, long at, int count)
    {
        var bytes = new byte[count];
        stream.Position = at;
        stream.ReadExactly(bytes);
        return bytes;
    }
}
