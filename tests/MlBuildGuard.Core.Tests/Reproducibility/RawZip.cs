using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Core.Tests.Reproducibility;

/// <summary>One member of a hand-built test archive; every header field that normalization must overwrite can be set.</summary>
internal sealed record RawEntry(string Name, byte[] Data)
{
    public ushort Method { get; init; } = 8;

    public CompressionLevel Level { get; init; } = CompressionLevel.Optimal;

    public ushort Flags { get; init; }

    public byte[] Extra { get; init; } = [];

    public ushort VersionMadeBy { get; init; } = 0x0014;

    public uint ExternalAttributes { get; init; }

    public DateTime Time { get; init; } = new(2021, 6, 15, 13, 45, 31);

    public string Comment { get; init; } = "";

    public RawEntry(string name, string text)
        : this(name, Encoding.UTF8.GetBytes(text))
    {
    }
}

/// <summary>
/// Builds zip archives byte by byte, so tests can produce what System.IO.Compression never writes (other platforms, extra
/// fields, encryption flags, duplicate or hostile names, foreign compression methods).
/// </summary>
internal static class RawZip
{
    public static byte[] Build(IEnumerable<RawEntry> entries, string archiveComment = "")
    {
        using var output = new MemoryStream();
        var central = new MemoryStream();
        var count = 0;
        foreach (var entry in entries)
        {
            count++;
            var name = Encoding.UTF8.GetBytes(entry.Name);
            var payload = entry.Method == 8 ? Deflate(entry.Data, entry.Level) : entry.Data;
            var crc = System.IO.Hashing.Crc32.HashToUInt32(entry.Data);
            var time = (ushort)((entry.Time.Hour << 11) | (entry.Time.Minute << 5) | (entry.Time.Second / 2));
            var date = (ushort)(((entry.Time.Year - 1980) << 9) | (entry.Time.Month << 5) | entry.Time.Day);
            var offset = (uint)output.Position;

            var local = new byte[30];
            BinaryPrimitives.WriteUInt32LittleEndian(local, 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(4), 20);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(6), entry.Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(8), entry.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(10), time);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(12), date);
            BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(14), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(18), (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(22), (uint)entry.Data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(26), (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(28), (ushort)entry.Extra.Length);
            output.Write(local);
            output.Write(name);
            output.Write(entry.Extra);
            output.Write(payload);

            var comment = Encoding.UTF8.GetBytes(entry.Comment);
            var header = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), entry.VersionMadeBy);
            local.AsSpan(4, 26).CopyTo(header.AsSpan(6));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(32), (ushort)comment.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(38), entry.ExternalAttributes);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(42), offset);
            central.Write(header);
            central.Write(name);
            central.Write(entry.Extra);
            central.Write(comment);
        }

        var directoryOffset = (uint)output.Position;
        central.Position = 0;
        central.CopyTo(output);
        var archiveCommentBytes = Encoding.UTF8.GetBytes(archiveComment);
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)central.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), directoryOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(20), (ushort)archiveCommentBytes.Length);
        output.Write(end);
        output.Write(archiveCommentBytes);
        return output.ToArray();
    }

    /// <summary>An extended-timestamp extra field (0x5455) with a modification time, as Info-ZIP writes.</summary>
    public static byte[] ExtendedTimestamp(DateTimeOffset time)
    {
        var extra = new byte[9];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x5455);
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), 5);
        extra[4] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(extra.AsSpan(5), (int)time.ToUnixTimeSeconds());
        return extra;
    }

    private static byte[] Deflate(byte[] data, CompressionLevel level)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, level, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return buffer.ToArray();
    }
}
