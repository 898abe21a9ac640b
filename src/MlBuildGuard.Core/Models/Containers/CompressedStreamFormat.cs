using System.IO.Compression;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats;

namespace MlBuildGuard.Core.Models.Containers;

/// <summary>
/// Compressed streams, by their magic bytes (joblib's <c>compress=</c> writes each of them; <c>joblib.load</c>
/// decompresses by magic whatever the name): gzip, zlib, bzip2, xz, lzma and joblib's old "ZF" files. The decompressed
/// content is scanned in every view it allows, within the size and ratio limits. LZ4, which cannot be decompressed here,
/// is reported rather than skipped.
/// </summary>
internal sealed class CompressedStreamFormat : IModelFormat
{
    private const long MaxLzmaDictionary = 256L << 20;

    public string Name => "compressed";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => Kind(head) is not null;

    public void Scan(FormatScan scan)
    {
        var kind = Kind(scan.Head)!;
        scan.Context.Recognise(scan.View, kind);
        var limits = scan.Context.Limits;
        using var decompressed = new BoundedStream(Open(scan.Stream, kind, scan.Head), limits.MaxEntryBytes, scan.Stream.Length, limits.MaxCompressionRatio, scan.Context);
        scan.ScanMember(decompressed, scan.View + "!" + kind, scan.Stream.Length, insideArchive: false);
    }

    /// <summary>The compression the head starts with, or null.</summary>
    private static string? Kind(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            return "gzip";
        }

        if (head.Length >= 2 && head[0] == 0x78 && (head[0] * 256 + head[1]) % 31 == 0)
        {
            return "zlib";
        }

        if (head.StartsWith("BZh"u8))
        {
            return "bzip2";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]))
        {
            return "xz";
        }

        if (head.Length >= 13 && head[0] == 0x5D && head[1] == 0x00 && head[2] == 0x00)
        {
            return "lzma";
        }

        return head.StartsWith("ZF"u8) && ZlibStartAfterZFileHeader(head) >= 0 ? "joblib-zfile" : null;
    }

    private static Stream Open(Stream stream, string kind, byte[] head)
    {
        stream.Position = 0;
        return DecoderStream.Open(kind, () => kind switch
        {
            "gzip" => new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true),
            "zlib" => new ZLibStream(stream, CompressionMode.Decompress, leaveOpen: true),
            "bzip2" => SharpCompress.Compressors.BZip2.BZip2Stream.Create(new DecoderInput(stream, byteReadsStopAtEnd: false), SharpCompress.Compressors.CompressionMode.Decompress, true, true),
            "xz" => new SharpCompress.Compressors.Xz.XZStream(new DecoderInput(stream, byteReadsStopAtEnd: true)),
            "lzma" => Lzma(stream, head),
            "joblib-zfile" => JoblibZFile(stream, head),
            _ => throw new NotSupportedException(kind),
        });
    }

    private static Stream Lzma(Stream stream, byte[] head)
    {
        var properties = head[..5];
        var outputSize = BitConverter.ToInt64(head, 5);
        // The decoder allocates its whole dictionary up front: a header may not make it allocate more than the limit.
        var dictionary = BitConverter.ToUInt32(head, 1);
        if (dictionary > MaxLzmaDictionary)
        {
            throw new ScanLimitException($"the LZMA stream asks for a {dictionary}-byte dictionary", MaxLzmaDictionary);
        }

        stream.Position = 13;
        return SharpCompress.Compressors.LZMA.LzmaStream.Create(properties, new DecoderInput(stream, byteReadsStopAtEnd: true), stream.Length - 13, outputSize, true);
    }

    /// <summary>
    /// Old joblib "ZF" files: the prefix, a text length field (e.g. <c>0x35</c> padded with spaces), then a zlib stream.
    /// The stream starts at the first byte pair that is a valid zlib header (CMF 0x78, checksum divisible by 31).
    /// </summary>
    private static int ZlibStartAfterZFileHeader(ReadOnlySpan<byte> head)
    {
        for (var i = 2; i + 1 < Math.Min(head.Length, 64); i++)
        {
            if (head[i] == 0x78 && ((head[i] << 8) | head[i + 1]) % 31 == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static Stream JoblibZFile(Stream stream, byte[] head)
    {
        stream.Position = ZlibStartAfterZFileHeader(head);
        return new ZLibStream(stream, CompressionMode.Decompress, leaveOpen: true);
    }
}

/// <summary>LZ4 frames: recognised, but there is no LZ4 decoder here, so the content cannot be shown safe (MLG303).</summary>
internal sealed class Lz4Format : IModelFormat
{
    public string Name => "lz4";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => head.StartsWith((ReadOnlySpan<byte>)[0x04, 0x22, 0x4D, 0x18]);

    public void Scan(FormatScan scan) =>
        scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, "it is LZ4-compressed, which MlBuildGuard cannot decompress");
}
