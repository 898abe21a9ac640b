using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models;

/// <summary>Bounds every scan stays within, whatever the input (archive bombs, deep nesting, endless pickles).</summary>
public sealed record ScanLimits
{
    /// <summary>Archives within archives (or compressed streams within each other).</summary>
    public int MaxDepth { get; init; } = 6;

    /// <summary>Bytes any one decompressed entry or stream may inflate to.</summary>
    public long MaxEntryBytes { get; init; } = 4L << 30;

    /// <summary>Bytes all decompressed content of one file may add up to.</summary>
    public long MaxTotalBytes { get; init; } = 16L << 30;

    /// <summary>Inflated size over compressed size beyond which an entry is a bomb (only for entries over 1 MiB).</summary>
    public double MaxCompressionRatio { get; init; } = 500;

    /// <summary>Entries one archive may list.</summary>
    public int MaxArchiveEntries { get; init; } = 200_000;

    /// <summary>Opcodes one pickle stream may execute.</summary>
    public long MaxPickleOpcodes { get; init; } = 100_000_000;

    /// <summary>Items the pickle stack (plus its marks) may hold at once; real models stay far below (SETITEMS batches are 1,000).</summary>
    public int MaxPickleStack { get; init; } = 100_000;

    /// <summary>Entries the pickle memo may hold (every object of a large pickle can be memoised).</summary>
    public int MaxPickleMemo { get; init; } = 2_000_000;

    /// <summary>Pickle streams one file may contain.</summary>
    public int MaxPickleStreams { get; init; } = 1_000;

    /// <summary>Header bytes of a safetensors / GGUF / Keras config read into memory.</summary>
    public long MaxHeaderBytes { get; init; } = 100_000_000;
}

/// <summary>What the scan allows, and how strictly.</summary>
public sealed class ScanOptions
{
    /// <summary>
    /// <c>MlGuardStrictModelScan</c> (default true, as PyTorch's <c>weights_only</c> loader refuses what it does not
    /// know): imports not on the allowlist are errors; false makes them warnings.
    /// </summary>
    public bool Strict { get; init; } = true;

    /// <summary>Extra allowed globals (<c>module.name</c>, or <c>module.*</c> for every name of a module).</summary>
    public IReadOnlyList<string> AllowedGlobals { get; init; } = [];

    public ScanLimits Limits { get; init; } = new();
}

/// <summary>
/// The state of scanning one file: where findings point, the options, the running totals that limits apply to, and the
/// findings themselves. A "view" names the part being scanned, e.g. <c>model.pt!archive/data.pkl</c>.
/// </summary>
public sealed class ModelScanContext
{
    public ModelScanContext(string filePath, ScanOptions options, CancellationToken cancellationToken = default)
    {
        FilePath = filePath;
        Options = options;
        CancellationToken = cancellationToken;
    }

    /// <summary>The file on disk that findings point at.</summary>
    public string FilePath { get; }

    public ScanOptions Options { get; }

    public ScanLimits Limits => Options.Limits;

    public CancellationToken CancellationToken { get; }

    public List<Finding> Findings { get; } = new();

    /// <summary>Formats recognised so far, with the view they were found in (for reports and tests).</summary>
    public List<(string View, string Format)> Recognised { get; } = new();

    /// <summary>Bytes decompressed so far, checked against <see cref="ScanLimits.MaxTotalBytes"/>.</summary>
    public long ExpandedBytes { get; set; }

    /// <summary>Where the first pickle stream stopped parsing (MLG303), or null: tells data that merely starts like a pickle from a pickle.</summary>
    public long? FirstPickleFailureAt { get; set; }

    /// <summary>Adds a finding about <paramref name="view"/>. The message's first argument is always the view.</summary>
    public void Report(Rule rule, string view, params object?[] args) =>
        Findings.Add(Finding.Create(rule, new SourceLocation(FilePath), view, [view, .. args]));

    /// <summary>A finding whose severity depends on options (MLG302 is an error in strict mode).</summary>
    public void Report(Rule rule, Severity severity, string view, params object?[] args) =>
        Findings.Add(Finding.Create(rule, new SourceLocation(FilePath), view, [view, .. args]).WithSeverity(severity));

    /// <summary>MLG302 for a name not on the allowlist: an error in strict mode (the default), else a warning.</summary>
    public void ReportNotAllowed(string view, string name) =>
        Report(RuleCatalog.ModelImportNotAllowed, Options.Strict ? Severity.Error : Severity.Warning, view, name);

    public void Recognise(string view, string format) => Recognised.Add((view, format));
}
