using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MlBuildGuard.Core.Models.Containers;

/// <summary>One member as the central directory lists it.</summary>
internal sealed record ZipEntry(string Name, ushort Method, ushort Flags, long CompressedSize, long UncompressedSize, long LocalHeaderOffset);

/// <summary>
/// Reads zip archives the way PyTorch's loader (miniz) does, not the way strict readers do: members are found through the
/// central directory; CRCs, general-purpose flag bits (0x1 "encrypted", 0x20, 0x40) and a local-header name that differs
/// from the central one are ignored, because a loader that ignores them would still load what they hide. Each member's
/// data starts after its local header (whose own name and extra lengths are used), and is inflated through a bounded stream.
/// </summary>
internal static class ZipReader
{
    private const uint EndOfCentralDirectory = 0x06054b50;
    private const uint Zip64Locator = 0x07064b50;
    private const uint Zip64End = 0x06064b50;
    private const uint CentralHeader = 0x02014b50;
    private const uint LocalHeader = 0x04034b50;

    /// <summary>Does the stream end with a zip directory (also when something else comes first: polyglots)?</summary>
    public static bool HasDirectory(Stream stream) => FindEnd(stream) >= 0;

    public static List<ZipEntry> ReadDirectory(Stream stream, ScanLimits limits)
    {
        var end = FindEnd(stream);
        if (end < 0)
        {
            throw new InvalidDataException("no end-of-central-directory record");
        }

        var eocd = ReadAt(stream, end, 22);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(eocd.AsSpan(10));
        long size = BinaryPrimitives.ReadUInt32LittleEndian(eocd.AsSpan(12));
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(eocd.AsSpan(16));
        if ((count == 0xFFFF || size == 0xFFFFFFFF || offset == 0xFFFFFFFF) && end >= 20)
        {
            var locator = ReadAt(stream, end - 20, 20);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == Zip64Locator)
            {
                var record = ReadAt(stream, (long)BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8)), 56);
                if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64End)
                {
                    throw new InvalidDataException("the ZIP64 end record is not where its locator says");
                }

                count = (long)BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32));
                size = (long)BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40));
                offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(48));
            }
        }

        if (count > limits.MaxArchiveEntries)
        {
            throw new ScanLimitException($"the archive lists {count} entries", limits.MaxArchiveEntries);
        }

        // Data may be prepended to an archive (a polyglot): the directory is then found relative to its own position.
        var shift = end - (offset + size);
        if (shift < 0 || offset + shift < 0)
        {
            throw new InvalidDataException("the central directory lies outside the file");
        }

        var directory = ReadAt(stream, offset + shift, checked((int)Math.Min(size, 512L << 20)));
        var entries = new List<ZipEntry>();
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (at + 46 > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != CentralHeader)
            {
                throw new InvalidDataException($"central directory entry {i} is damaged");
            }

            var flags = BinaryPrimitives.ReadUInt16LittleEndian(directory.AsSpan(at + 8));
            var method = BinaryPrimitives.ReadUInt16LittleEndian(directory.AsSpan(at + 10));
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at + 20));
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at + 24));
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(directory.AsSpan(at + 28));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(directory.AsSpan(at + 30));
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(directory.AsSpan(at + 32));
            long local = BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at + 42));
            if (at + 46 + nameLength + extraLength + commentLength > directory.Length)
            {
                throw new InvalidDataException($"central directory entry {i} runs past the directory");
            }

            var name = Encoding.UTF8.GetString(directory, at + 46, nameLength);
            ReadZip64Extra(directory.AsSpan(at + 46 + nameLength, extraLength), ref uncompressed, ref compressed, ref local);
            entries.Add(new ZipEntry(name, method, flags, compressed, uncompressed, local + shift));
            at += 46 + nameLength + extraLength + commentLength;
        }

        return entries;
    }

    /// <summary>The member's data, inflated, bounded by the scan limits.</summary>
    public static Stream Open(Stream archive, ZipEntry entry, ModelScanContext context)
    {
        var header = ReadAt(archive, entry.LocalHeaderOffset, 30);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeader)
        {
            throw new InvalidDataException($"the local header of '{entry.Name}' is missing");
        }

        var dataStart = entry.LocalHeaderOffset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
        if (dataStart + entry.CompressedSize > archive.Length)
        {
            throw new InvalidDataException($"the data of '{entry.Name}' runs past the end of the archive");
        }

        var raw = new SliceStream(archive, dataStart, entry.CompressedSize);
        Stream data = entry.Method switch
        {
            0 => raw,
            8 => new DeflateStream(raw, CompressionMode.Decompress),
            12 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(raw, SharpCompress.Compressors.CompressionMode.Decompress, true, false),
            _ => throw new NotSupportedException($"'{entry.Name}' uses compression method {entry.Method}, which cannot be read"),
        };
        return new BoundedStream(data, context.Limits.MaxEntryBytes, entry.CompressedSize, context.Limits.MaxCompressionRatio, context);
    }

    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, ref long uncompressed, ref long compressed, ref long local)
    {
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4)
            {
                return;
            }

            if (id == 0x0001)
            {
                var data = extra.Slice(4, length);
                if (uncompressed == 0xFFFFFFFF && data.Length >= 8) { uncompressed = (long)BinaryPrimitives.ReadUInt64LittleEndian(data); data = data[8..]; }
                if (compressed == 0xFFFFFFFF && data.Length >= 8) { compressed = (long)BinaryPrimitives.ReadUInt64LittleEndian(data); data = data[8..]; }
                if (local == 0xFFFFFFFF && data.Length >= 8) { local = (long)BinaryPrimitives.ReadUInt64LittleEndian(data); }
                return;
            }

            extra = extra[(4 + length)..];
        }
    }

    private static long FindEnd(Stream stream)
    {
        var length = stream.Length;
        if (length < 22)
        {
            return -1;
        }

        var tail = (int)Math.Min(length, 22 + 0xFFFF);
        var bytes = ReadAt(stream, length - tail, tail);
        for (var i = bytes.Length - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) == EndOfCentralDirectory
                && i + 22 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 20)) <= bytes.Length)
            {
                return length - tail + i;
            }
        }

        return -1;
    }

    private static byte[] ReadAt(Stream stream, long offset, int count)
    {
        if (offset < 0 || offset + count > stream.Length)
        {
            throw new InvalidDataException("a zip structure lies outside the file");
        }

        var bytes = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }
}
