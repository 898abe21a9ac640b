using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models.Formats.Text;

/// <summary>
/// Plain text that travels with models (vocabularies, BPE merges, model cards, licences, Python sources): valid UTF-8
/// without binary control bytes, to the last byte. Text cannot run code when a model loads; text that turns out to hold
/// a PyYAML Python tag anywhere is read as YAML (a loader may read it as such), and a binary byte past the head makes
/// it MLG303 rather than text.
/// </summary>
internal sealed class PlainTextFormat(YamlConfigFormat yaml) : IModelFormat
{
    private static readonly byte[][] YamlPythonMarkers = ["!!python/"u8.ToArray(), "tag:yaml.org,2002:python/"u8.ToArray()];

    public string Name => "text";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => TextContent.Looks(head, length);

    public void Scan(FormatScan scan)
    {
        if (scan.Head.AsSpan().StartsWith("version https://git-lfs.github.com/spec/"u8))
        {
            scan.Context.Recognise(scan.View, "git-lfs-pointer");
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, "it is a Git LFS pointer, not the model itself (fetch the model with 'git lfs pull')");
            return;
        }

        var overlap = YamlPythonMarkers.Max(m => m.Length) - 1;
        var tail = Array.Empty<byte>();
        var hasPythonTag = false;
        var bad = TextContent.FirstBinaryByte(scan.Stream, scan.Context.CancellationToken, chunk =>
        {
            if (hasPythonTag)
            {
                return;
            }

            byte[] window = [.. tail, .. chunk];
            hasPythonTag = YamlPythonMarkers.Any(m => window.AsSpan().IndexOf(m) >= 0);
            tail = window.AsSpan(Math.Max(0, window.Length - overlap)).ToArray();
        });
        if (bad >= 0)
        {
            scan.Context.Recognise(scan.View, Name);
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"it starts as text but byte {bad} is not (invalid UTF-8 or a binary control byte)");
            return;
        }

        if (hasPythonTag)
        {
            yaml.Scan(scan, textThatMentionsATag: true);
            return;
        }

        scan.Context.Recognise(scan.View, Path.GetExtension(scan.View).Equals(".py", StringComparison.OrdinalIgnoreCase) ? "python-source" : Name);
    }
}
