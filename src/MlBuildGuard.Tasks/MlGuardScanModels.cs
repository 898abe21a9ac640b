using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// The model scanner (MLG301–MLG307) for the models a build consumes (<c>@(MlModel)</c>, and project items whose content
/// is a model format) or produces (<c>@(MlModelOutput)</c>). The logic is <see cref="ModelScanGuard"/>'s; this task maps items to it.
/// </summary>
public sealed class MlGuardScanModels : MlGuardTask
{
    /// <summary>Model files or folders to scan; each must be a recognised model format.</summary>
    public ITaskItem[] Models { get; set; } = [];

    /// <summary><c>None</c>/<c>Content</c>/<c>EmbeddedResource</c> items: scanned when their content is a model format.</summary>
    public ITaskItem[] ProjectItems { get; set; } = [];

    /// <summary><c>$(MlGuardScanProjectItems)</c>: <c>false</c> leaves <see cref="ProjectItems"/> unscanned.</summary>
    public string? ScanProjectItems { get; set; }

    public string? StrictModelScan { get; set; }

    /// <summary><c>@(MlGuardAllowedGlobal)</c>: extra importable names (<c>module.name</c>).</summary>
    public ITaskItem[] AllowedGlobals { get; set; } = [];

    /// <summary>
    /// <c>$(MlGuardAllowedGlobals)</c>: the same as a <c>;</c>-separated property, where <c>module.*</c> can be written as is
    /// (an item's Include would expand <c>*</c> as a file wildcard and drop the entry).
    /// </summary>
    public string? AllowedGlobalsList { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary>Scan verdicts by file stamp under <c>obj/</c>, so unchanged models are not read again.</summary>
    public string? CacheFile { get; set; }

    /// <summary>Names this scan in messages and its findings file (<c>models</c> or <c>model-outputs</c>).</summary>
    public string Kind { get; set; } = "models";

    protected override string GuardName => Kind;

    protected override void Run(List<Finding> findings)
    {
        var useCache = !LockModeParser.IsTrue(ContinuousIntegrationBuild) && !string.IsNullOrEmpty(CacheFile);
        var result = ModelScanGuard.Run(new ModelScanRequest
        {
            ProjectDirectory = ProjectDirectory,
            Models = TaskItems.FullPaths(Models, ProjectDirectory).Distinct(StringComparer.Ordinal).ToList(),
            ProjectItems = LockModeParser.IsFalse(ScanProjectItems) ? [] : TaskItems.FullPaths(ProjectItems, ProjectDirectory, Core.IO.AtomicFile.IsTemporary),
            Options = new ScanOptions
            {
                Strict = !string.Equals(StrictModelScan?.Trim(), "false", StringComparison.OrdinalIgnoreCase),
                AllowedGlobals = AllowedGlobals.Select(a => a.ItemSpec)
                    .Concat((AllowedGlobalsList ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
            },
            CacheFilePath = useCache ? FullPath(CacheFile!) : null,
            CancellationToken = CancellationToken,
            // Before compilation the project items are the files the training-data check and training-input guard look at
            // too; after it (produced models) nothing looked at earlier in the build may be trusted.
            Files = Kind == "models" ? SharedFiles() : null,
        });
        findings.AddRange(result.Findings);
        if (Kind == "models")
        {
            Summarize(Core.Reporting.BuildSummary.ModelsScanned, result.Models);
        }

        Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard {Kind}: {result.Models} model(s), {result.Scanned} scanned, {result.Unchanged} unchanged since scanned.");
    }
}
