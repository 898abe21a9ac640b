using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models;

/// <summary>One file the scanner looked at: the formats it found in it (outermost first) and its findings.</summary>
/// <param name="Path">The file as the scan names it: its name, or its path inside the scanned folder.</param>
public sealed record ScannedFile(string Path, IReadOnlyList<string> Formats, IReadOnlyList<Finding> Findings)
{
    /// <summary>Nothing was recognised and nothing reported: a file of a model folder that is not a model (a README).</summary>
    public bool SkippedAsNotAModel => Formats.Count == 0 && Findings.Count == 0;
}

/// <summary>What a scan of a file or folder found, file by file.</summary>
public sealed class ModelScanResult
{
    private readonly List<ScannedFile> _files = new();

    public IReadOnlyList<ScannedFile> Files => _files;

    public IReadOnlyList<Finding> Findings => _files.SelectMany(f => f.Findings).ToList();

    internal void Add(string path, ModelScanContext context) =>
        _files.Add(new ScannedFile(path, context.Recognised.Select(r => r.Format).Distinct(StringComparer.Ordinal).ToList(), context.Findings.ToList()));
}
