using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats;

namespace MlBuildGuard.Core.Models.Containers;

/// <summary>Tar archives (PyTorch's legacy 0.1.1 format keeps its pickles in one): every member is scanned.</summary>
internal sealed class TarArchiveFormat : IModelFormat
{
    public string Name => "tar";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => head.Length > 262 && head.Slice(257, 5).SequenceEqual("ustar"u8);

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        scan.Stream.Position = 0;
        using var reader = SharpCompress.Readers.Tar.TarReader.OpenReader(scan.Stream, new SharpCompress.Readers.ReaderOptions { LeaveStreamOpen = true });
        var count = 0;
        var limits = scan.Context.Limits;
        while (reader.MoveToNextEntry())
        {
            if (reader.Entry.IsDirectory)
            {
                continue;
            }

            if (++count > limits.MaxArchiveEntries)
            {
                scan.Context.Report(RuleCatalog.ScanLimitExceeded, scan.View, "the archive holds more entries than allowed", limits.MaxArchiveEntries);
                return;
            }

            using var entry = new BoundedStream(reader.OpenEntryStream(), limits.MaxEntryBytes, 0, limits.MaxCompressionRatio, scan.Context);
            scan.ScanMember(entry, scan.View + "!" + reader.Entry.Key, 0, insideArchive: true);
        }
    }
}
