using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats;

namespace MlBuildGuard.Core.Models.Containers;

/// <summary>7z archives (a PyTorch checkpoint recompressed with 7z was the nullifAI bypass): every member is scanned.</summary>
internal sealed class SevenZipArchiveFormat : IModelFormat
{
    public string Name => "7z";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => head.StartsWith((ReadOnlySpan<byte>)[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]);

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        scan.Stream.Position = 0;
        using var archive = SharpCompress.Archives.SevenZip.SevenZipArchive.OpenArchive(scan.Stream, new SharpCompress.Readers.ReaderOptions { LeaveStreamOpen = true });
        var count = 0;
        var limits = scan.Context.Limits;
        foreach (var entry in archive.Entries.Where(e => !e.IsDirectory))
        {
            if (++count > limits.MaxArchiveEntries)
            {
                scan.Context.Report(RuleCatalog.ScanLimitExceeded, scan.View, "the archive holds more entries than allowed", limits.MaxArchiveEntries);
                return;
            }

            using var data = new BoundedStream(entry.OpenEntryStream(), limits.MaxEntryBytes, entry.CompressedSize, limits.MaxCompressionRatio, scan.Context);
            scan.ScanMember(data, scan.View + "!" + entry.Key, entry.CompressedSize, insideArchive: true);
        }
    }
}
