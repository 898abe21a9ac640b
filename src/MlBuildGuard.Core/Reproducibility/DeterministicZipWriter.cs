using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// A minimal zip writer whose every header byte is a function of the entries alone. System.IO.Compression's writer cannot
/// be used: it stamps the current platform into "version made by" (Windows 0, Unix 3), so the same model written on two
/// systems would still differ. Here every choice is fixed:
/// <list type="bullet">
/// <item>version made by 0x0314 (Unix, spec 2.0), version needed 20, no data descriptors, no comments;</item>
/// <item>general-purpose flags 0x0800 (UTF-8 name) only for non-ASCII names, else 0;</item>
/// <item>one DOS date/time for every entry; internal attributes 0;</item>
/// <item>external attributes: regular file 0644 (0x81A40000), or 0755 when executable, directory 0755 with the MS-DOS
/// directory bit (0x41ED0010);</item>
/// <item>no extra fields, except that a stored file's local header is padded so its data starts at a multiple of 64 bytes,
/// as PyTorch's writer does, so loaders that memory-map tensors from the archive keep working. The padding is the
/// "data stream alignment" extra field 0xA11E listed in PKWARE's APPNOTE (section 4.6, registered by Apache Commons
/// Compress): a two-byte alignment (64) followed by zero bytes. Readers that do not know it skip it.</item>
/// </list>
/// Sizes and CRC are patched into the local header after the data, so the output must be seekable; nothing that needs
/// ZIP64 is written (<see cref="ZipNormalizationException"/> instead).
/// </summary>
internal sealed class DeterministicZipWriter
{
    private const uint LocalSignature = 0x04034b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const ushort VersionMadeBy = 0x0314;
    private const ushort VersionNeeded = 20;
    private const ushort Utf8NameFlag = 0x0800;
    private const ushort Stored = 0;
    private const ushort Deflated = 8;
    private const ushort AlignmentExtraId = 0xA11E;
    private const int Alignment = 64;
    private const int AlignmentExtraMinimum = 6;
    private const uint RegularFile = 0x81A4_0000;
    private const uint ExecutableFile = 0x81ED_0000;
    private const uint DirectoryAttributes = 0x41ED_0010;
    private const int LocalLength = 30;
    private const int CentralLength = 46;
    private const long Max32 = 0xFFFFFFFE;
    private const int DeflateChunk = 1 << 16;

    private readonly Stream _output;
    private readonly ushort _dosTime;
    private readonly ushort _dosDate;
    private readonly List<Written> _written = [];
    private Open? _open;

    /// <param name="timestamp">Within <see cref="SourceDateEpoch.Minimum"/>..<see cref="SourceDateEpoch.Maximum"/>; odd seconds round down.</param>
    public DeterministicZipWriter(Stream output, DateTimeOffset timestamp)
    {
        if (timestamp < SourceDateEpoch.Minimum || timestamp > SourceDateEpoch.Maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "zip (DOS) time covers 1980-01-01 to 2107-12-31 only");
        }

        var utc = timestamp.UtcDateTime;
        _output = output;
        _dosTime = (ushort)((utc.Hour << 11) | (utc.Minute << 5) | (utc.Second / 2));
        _dosDate = (ushort)(((utc.Year - 1980) << 9) | (utc.Month << 5) | utc.Day);
    }

    /// <summary>A directory entry: a zero-length stored member whose name ends with <c>/</c>.</summary>
    public void AddDirectory(string name)
    {
        _written.Add(Begin(name, Stored, DirectoryAttributes, align: false));
    }

    /// <summary>Starts a file; its uncompressed bytes follow through <see cref="Write"/>, then <see cref="EndFile"/>.</summary>
    public void BeginFile(string name, bool deflate, bool executable)
    {
        var entry = Begin(name, deflate ? Deflated : Stored, executable ? ExecutableFile : RegularFile, align: !deflate);
        var sink = deflate ? new DeflateStream(_output, CompressionLevel.Optimal, leaveOpen: true) : _output;
        _open = new Open(entry, sink, _output.Position) { Pending = deflate ? new byte[DeflateChunk] : null };
    }

    /// <summary>
    /// Appends uncompressed bytes to the open file, deflating them when it was begun so. The deflater is always fed in
    /// chunks of <see cref="DeflateChunk"/> bytes, whatever sizes the caller writes: zlib-ng's output depends on where its
    /// input is split, and the same content must always compress to the same bytes (a normalized archive read back
    /// through a decompressor arrives in other pieces than the stored original did).
    /// </summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        var open = _open ?? throw new InvalidOperationException("no file is open");
        open.Crc.Append(data);
        open.Length += data.Length;
        if (open.Pending is null)
        {
            open.Sink.Write(data);
            return;
        }

        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, DeflateChunk - open.PendingCount);
            data[..n].CopyTo(open.Pending.AsSpan(open.PendingCount));
            open.PendingCount += n;
            data = data[n..];
            if (open.PendingCount == DeflateChunk)
            {
                open.Sink.Write(open.Pending);
                open.PendingCount = 0;
            }
        }
    }

    /// <summary>Closes the open file and patches its CRC and sizes into the local header written by <see cref="BeginFile"/>.</summary>
    public void EndFile()
    {
        var open = _open ?? throw new InvalidOperationException("no file is open");
        _open = null;
        if (open.Sink != _output)
        {
            open.Sink.Write(open.Pending.AsSpan(0, open.PendingCount));
            open.Sink.Dispose();
        }

        var end = _output.Position;
        var compressed = Require32(end - open.DataStart);
        var uncompressed = Require32(open.Length);
        var sizes = new byte[12];
        var crc = open.Crc.GetCurrentHashAsUInt32();
        BinaryPrimitives.WriteUInt32LittleEndian(sizes, crc);
        BinaryPrimitives.WriteUInt32LittleEndian(sizes.AsSpan(4), compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(sizes.AsSpan(8), uncompressed);
        _output.Position = open.Entry.LocalOffset + 14;
        _output.Write(sizes);
        _output.Position = end;
        _written.Add(open.Entry with { Crc = crc, CompressedSize = compressed, UncompressedSize = uncompressed });
    }

    /// <summary>Writes the central directory and the end record.</summary>
    public void Finish()
    {
        if (_open is not null)
        {
            throw new InvalidOperationException("a file is still open");
        }

        var directoryOffset = Require32(_output.Position);
        foreach (var entry in _written)
        {
            var header = new byte[CentralLength + entry.Name.Length];
            var h = header.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(h, CentralSignature);
            BinaryPrimitives.WriteUInt16LittleEndian(h[4..], VersionMadeBy);
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], VersionNeeded);
            BinaryPrimitives.WriteUInt16LittleEndian(h[8..], entry.Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(h[10..], entry.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h[12..], _dosTime);
            BinaryPrimitives.WriteUInt16LittleEndian(h[14..], _dosDate);
            BinaryPrimitives.WriteUInt32LittleEndian(h[16..], entry.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h[20..], entry.CompressedSize);
            BinaryPrimitives.WriteUInt32LittleEndian(h[24..], entry.UncompressedSize);
            BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)entry.Name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[38..], entry.ExternalAttributes);
            BinaryPrimitives.WriteUInt32LittleEndian(h[42..], entry.LocalOffset);
            entry.Name.CopyTo(h[CentralLength..]);
            _output.Write(header);
        }

        var directorySize = Require32(_output.Position - directoryOffset);
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, EndSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)_written.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)_written.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), directoryOffset);
        _output.Write(end);
    }

    /// <summary>Writes the local header with zero CRC and sizes (patched by <see cref="EndFile"/>).</summary>
    private Written Begin(string name, ushort method, uint externalAttributes, bool align)
    {
        if (_open is not null)
        {
            throw new InvalidOperationException("a file is still open");
        }

        if (_written.Count >= ZipCentralDirectory.MaxEntries)
        {
            throw new ZipNormalizationException("the normalized archive would need ZIP64 (too many entries)");
        }

        var nameBytes = Encoding.UTF8.GetBytes(name);
        var offset = Require32(_output.Position);
        var padding = 0;
        if (align)
        {
            padding = (int)((Alignment - ((offset + LocalLength + nameBytes.Length) % Alignment)) % Alignment);
            if (padding is > 0 and < AlignmentExtraMinimum)
            {
                padding += Alignment;
            }
        }

        var flags = Ascii.IsValid(nameBytes) ? (ushort)0 : Utf8NameFlag;
        var header = new byte[LocalLength + nameBytes.Length + padding];
        var h = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, LocalSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], VersionNeeded);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], method);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], _dosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], _dosDate);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)padding);
        nameBytes.CopyTo(h[LocalLength..]);
        if (padding > 0)
        {
            var extra = h[(LocalLength + nameBytes.Length)..];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, AlignmentExtraId);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)(padding - 4));
            BinaryPrimitives.WriteUInt16LittleEndian(extra[4..], Alignment);
        }

        _output.Write(header);
        return new Written(nameBytes, flags, method, externalAttributes, offset);
    }

    private static uint Require32(long value) =>
        value <= Max32 ? (uint)value : throw new ZipNormalizationException("the normalized archive would need ZIP64 (4 GiB or more), which is not written");

    private sealed record Written(byte[] Name, ushort Flags, ushort Method, uint ExternalAttributes, uint LocalOffset)
    {
        public uint Crc { get; init; }

        public uint CompressedSize { get; init; }

        public uint UncompressedSize { get; init; }
    }

    private sealed class Open(Written entry, Stream sink, long dataStart)
    {
        public Written Entry { get; } = entry;

        public Stream Sink { get; } = sink;

        public long DataStart { get; } = dataStart;

        public System.IO.Hashing.Crc32 Crc { get; } = new();

        /// <summary>Uncompressed bytes waiting for a whole chunk (deflated files only).</summary>
        public byte[]? Pending { get; init; }

        public int PendingCount { get; set; }

        public long Length { get; set; }
    }
}
