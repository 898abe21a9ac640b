using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using MlBuildGuard.Core.Models.Formats.TorchScript;

namespace MlBuildGuard.Core.Models.Containers;

/// <summary>
/// Zip archives (PyTorch checkpoints, <c>.keras</c>, <c>.npz</c>, joblib bundles, TorchScript): every member is scanned in
/// every view its content allows, read as PyTorch reads it (see <see cref="ZipReader"/>). A zip can also be another
/// format at once (a pickle or a safetensors file with a zip appended); the scanner scans both views.
/// </summary>
internal sealed class ZipArchiveFormat : IModelFormat
{
    public static ZipArchiveFormat Instance { get; } = new();

    public string Name => "zip";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => IsZipStart(head);

    /// <summary>Whether the stream holds a zip directory anywhere (an archive appended to another format).</summary>
    public static bool HasDirectory(Stream stream) => ZipReader.HasDirectory(stream);

    public static bool IsZipStart(ReadOnlySpan<byte> head) => head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8);

    public void Scan(FormatScan scan)
    {
        var (stream, view, context) = (scan.Stream, scan.View, scan.Context);
        var entries = ZipReader.ReadDirectory(stream, context.Limits);
        context.Recognise(view, Name);
        var names = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var keras = names.Contains("config.json") && (names.Contains("metadata.json") || names.Contains("model.weights.h5"));
        var torchScript = TorchScriptArchive.Find(names);
        // A PyTorch archive keeps tensor bytes in PREFIX/data/KEY beside PREFIX/data.pkl. torch.load copies them into
        // storages and never decodes or unpickles them; they are arbitrary bytes (a few in every large checkpoint start
        // like a zlib stream or a pickle opcode), so sniffing them would only raise false alarms.
        var torchStorageFolders = names.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal))
            .Select(n => n[..^"data.pkl".Length] + "data/").ToList();
        foreach (var entry in entries.Where(e => !e.Name.EndsWith('/')))
        {
            var entryView = view + "!" + entry.Name;
            if (torchStorageFolders.Any(f => entry.Name.StartsWith(f, StringComparison.Ordinal) && entry.Name.IndexOf('/', f.Length) < 0)
                && !entry.Name.EndsWith(".pkl", StringComparison.Ordinal))
            {
                context.Recognise(entryView, "torch-storage");
                continue;
            }

            try
            {
                using var data = ZipReader.Open(stream, entry, context);
                if (keras && entry.Name == "config.json")
                {
                    context.Recognise(entryView, "keras-config");
                    KerasFormat.ScanConfig(Spooling.ReadBounded(data, context.Limits.MaxHeaderBytes), entryView, context);
                    continue;
                }

                if (torchScript is not null && torchScript.Handles(entry.Name, data, entryView, scan))
                {
                    continue;
                }

                // An entry flagged as encrypted is read as stored bytes (as PyTorch ignores the flag); if that reads as nothing
                // known, it really is encrypted, and nothing can be shown about it.
                var encrypted = (entry.Flags & 0x1) != 0;
                if (!scan.ScanMember(data, entryView, entry.CompressedSize, insideArchive: !encrypted) && encrypted)
                {
                    context.Report(RuleCatalog.ModelUnparsable, entryView, "it is encrypted");
                }
            }
            catch (ScanLimitException e)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, entryView, e.Message, e.Limit);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException or IOException)
            {
                context.Report(RuleCatalog.ModelUnparsable, entryView, $"it cannot be read ({e.Message})");
            }
        }
    }
}
