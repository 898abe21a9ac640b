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

    /// <summary>
    /// The members every plausible loader would see. Loaders disagree on where the central directory is: miniz (PyTorch)
    /// uses the offsets as written and finds a ZIP64 record through its locator; Python's zipfile takes the ZIP64 record
    /// just before the locator and shifts every offset by any gap before the directory (data prepended to the archive).
    /// Each reading that parses is returned, so nothing one loader sees escapes the scan; only when none parses is the
    /// archive unreadable.
    /// </summary>
    public static List<ZipEntry> ReadDirectory(Stream stream, ScanLimits limits)
    {
        var end = FindEnd(stream);
        if (end < 0)
        {
            throw new InvalidDataException("no end-of-central-directory record");
        }

        var eocd = ReadAt(stream, end, 22);
        var records = new List<DirectoryRecord>
        {
            new(BinaryPrimitives.ReadUInt16LittleEndian(eocd.AsSpan(10)), BinaryPrimitives.ReadUInt32LittleEndian(eocd.AsSpan(12)), BinaryPrimitives.ReadUInt32LittleEndian(eocd.AsSpan(16)), end),
        };
        if (end >= 20)
        {
            var locator = ReadAt(stream, end - 20, 20);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == Zip64Locator)
            {
                var written = BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8));
                var found = false;
                foreach (var at in new[] { written <= long.MaxValue ? (long)written : -1, end - 20 - 56 })
                {
                    if (at >= 0 && at + 56 <= stream.Length && ReadZip64End(stream, at) is { } record)
                    {
                        records.Add(record);
                        found = true;
                    }
                }

                var eocdSaturated = records[0].Count == 0xFFFF || records[0].Size == 0xFFFFFFFF || records[0].Offset == 0xFFFFFFFF;
                if (!found && eocdSaturated)
                {
                    throw new InvalidDataException("the ZIP64 end record is not where its locator says");
                }
            }
        }

        var readings = new List<(long Start, long Count, long Size, long Shift)>();
        foreach (var record in records)
        {
            if (record.Count > limits.MaxArchiveEntries)
            {
                throw new ScanLimitException($"the archive lists {record.Count} entries", limits.MaxArchiveEntries);
            }

            // As written (miniz), and shifted by the gap between the directory and the record that ends it (zipfile).
            var gap = record.Position - (record.Offset + record.Size);
            foreach (var shift in new[] { 0L, gap })
            {
                var inside = shift == 0 ? record.Offset + record.Size <= stream.Length : shift > 0;
                if (inside && !readings.Contains((record.Offset + shift, record.Count, record.Size, shift)))
                {
                    readings.Add((record.Offset + shift, record.Count, record.Size, shift));
                }
            }
        }

        if (readings.Count == 0)
        {
            throw new InvalidDataException("the central directory lies outside the file");
        }

        var entries = new List<ZipEntry>();
        Exception? firstFailure = null;
        var parsed = 0;
        foreach (var reading in readings)
        {
            try
            {
                var listed = ReadEntries(stream, reading.Start, reading.Count, reading.Size, reading.Shift, limits);
                parsed++;
                foreach (var entry in listed)
                {
                    if (!entries.Contains(entry))
                    {
                        entries.Add(entry);
                    }
                }
            }
            catch (InvalidDataException e)
            {
                firstFailure ??= e;
            }
        }

        if (parsed == 0)
        {
            throw firstFailure!;
        }

        if (entries.Count > limits.MaxArchiveEntries)
        {
            throw new ScanLimitException($"the archive lists {entries.Count} entries", limits.MaxArchiveEntries);
        }

        return entries;
    }

    private sealed record DirectoryRecord(long Count, long Size, long Offset, long Position);

    private static DirectoryRecord? ReadZip64End(Stream stream, long at)
    {
        var record = ReadAt(stream, at, 56);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64End)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32));
        var size = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40));
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(48));
        if (count > int.MaxValue || size > long.MaxValue / 4 || offset > long.MaxValue / 4)
        {
            throw new InvalidDataException("the ZIP64 end record holds impossible values");
        }

        return new DirectoryRecord((long)count, (long)size, (long)offset, at);
    }

    /// <summary>
    /// The listed entries must all parse (miniz refuses the archive otherwise); entries beyond the count that still fit in
    /// the directory's size are read too, because zipfile ignores the count and reads until the directory is used up.
    /// </summary>
    private static List<ZipEntry> ReadEntries(Stream stream, long start, long count, long size, long shift, ScanLimits limits)
    {
        var directory = ReadAt(stream, start, checked((int)Math.Min(size, 512L << 20)));
        var entries = new List<ZipEntry>();
        var at = 0;
        for (var i = 0; i < count || (at + 46 <= directory.Length && BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) == CentralHeader); i++)
        {
            if (at + 46 > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != CentralHeader)
            {
                throw new InvalidDataException($"central directory entry {i} is damaged");
            }

            if (i >= limits.MaxArchiveEntries)
            {
                throw new ScanLimitException($"the archive's directory holds more than {limits.MaxArchiveEntries} entries", limits.MaxArchiveEntries);
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
        if (entry.Method == 0)
        {
            return raw; // stored: a seekable window of the archive, read only where a format needs it
        }

        Stream data = entry.Method switch
        {
            8 => new DeflateStream(raw, CompressionMode.Decompress),
            12 => DecoderStream.Open("bzip2", () => SharpCompress.Compressors.BZip2.BZip2Stream.Create(new DecoderInput(raw, byteReadsStopAtEnd: false), SharpCompress.Compressors.CompressionMode.Decompress, true, false)),
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
