using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// The model scanner (MLG301–MLG307) for the models a build consumes (<c>@(MlModel)</c>, and project items whose content
/// is a model format) or produces (<c>@(MlModelOutput)</c>). The logic is <see cref="ModelScanner"/>.
/// </summary>
public sealed class MlGuardScanModels : MlGuardTask
{
    /// <summary>Model files or folders to scan; each must be a recognised model format.</summary>
    public ITaskItem[] Models { get; set; } = [];

    /// <summary><c>None</c>/<c>Content</c>/<c>EmbeddedResource</c> items: scanned when their content is a model format.</summary>
    public ITaskItem[] ProjectItems { get; set; } = [];

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
        var options = new ScanOptions
        {
            Strict = !string.Equals(StrictModelScan?.Trim(), "false", StringComparison.OrdinalIgnoreCase),
            AllowedGlobals = AllowedGlobals.Select(a => a.ItemSpec)
                .Concat((AllowedGlobalsList ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
        };
        var useCache = !LockModeParser.IsTrue(ContinuousIntegrationBuild) && !string.IsNullOrEmpty(CacheFile);
        var cache = useCache ? ModelScanCache.Load(FullPath(CacheFile!)) : ModelScanCache.Empty();
        var explicitModels = Models.Select(m => FullPath(m.ItemSpec)).ToHashSet(StringComparer.Ordinal);
        var targets = explicitModels.Select(p => (Path: p, MustBeModel: true))
            .Concat(ProjectItemModels(cache, useCache, explicitModels).Select(p => (Path: p, MustBeModel: false)))
            .ToList();
        int scanned = 0, cached = 0;
        foreach (var (path, mustBeModel) in targets)
        {
            CancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                findings.Add(Finding.Create(RuleCatalog.ModelUnparsable, new SourceLocation(path), Path.GetFileName(path), Path.GetFileName(path), "it does not exist"));
                continue;
            }

            var fingerprint = ModelScanCache.Fingerprint(path, options);
            if (useCache && fingerprint is not null && cache.TryGet(path, fingerprint) is { } known)
            {
                findings.AddRange(known);
                cached++;
                continue;
            }

            var result = ProjectRelative(ModelScanner.ScanPath(path, options, mustBeModel, CancellationToken), path);
            scanned++;
            findings.AddRange(result);
            if (fingerprint is not null)
            {
                cache.Set(path, fingerprint, result);
            }
        }

        if (useCache && cache.IsDirty)
        {
            try
            {
                cache.Save(FullPath(CacheFile!));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only saves time on the next build.
            }
        }

        Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard {Kind}: {targets.Count} model(s), {scanned} scanned, {cached} unchanged since scanned.");
    }

    /// <summary>Subjects start at the model's file name; suppressions name it relative to the project, like every other path.</summary>
    private List<Finding> ProjectRelative(IReadOnlyList<Finding> findings, string modelPath)
    {
        var folder = Path.GetDirectoryName(modelPath)!;
        var relative = Core.IO.PathSafety.IsUnder(folder, ProjectDirectory) ? Path.GetRelativePath(ProjectDirectory, folder).Replace('\\', '/') : null;
        if (Directory.Exists(modelPath))
        {
            relative = Core.IO.PathSafety.IsUnder(modelPath, ProjectDirectory) ? Path.GetRelativePath(ProjectDirectory, modelPath).Replace('\\', '/') : null;
        }

        return findings.Select(f => relative is null || f.Subject is null ? f : f with { Subject = relative + "/" + f.Subject }).ToList();
    }

    /// <summary>
    /// The project items whose content is a model format. Every item is judged by content, but a file whose stamp has
    /// not moved since it was judged not to be a model is not read again (an unchanged rebuild costs one stat per item).
    /// </summary>
    private List<string> ProjectItemModels(ModelScanCache cache, bool useCache, HashSet<string> exclude)
    {
        var paths = ProjectItems.Select(i => FullPath(i.ItemSpec)).Where(p => !exclude.Contains(p)).Distinct(StringComparer.Ordinal).ToArray();
        var verdicts = new (bool IsModel, string? Stamp)[paths.Length];
        Parallel.For(0, paths.Length, new ParallelOptions { CancellationToken = CancellationToken }, i =>
        {
            var path = paths[i];
            var stamp = Core.IO.FileStamp.TryGet(path, out var s) ? $"{s.Size}|{s.ModifiedTicks}|{s.ChangedTicks}|{s.Device}|{s.FileId}" : null;
            if (stamp is null)
            {
                verdicts[i] = (false, null); // missing or not a regular file: nothing a loader would read
                return;
            }

            verdicts[i] = useCache && cache.KnownNotModel(path, stamp) ? (false, stamp) : (ModelScanner.LooksLikeModel(path), stamp);
        });

        var models = new List<string>();
        for (var i = 0; i < paths.Length; i++)
        {
            if (verdicts[i].IsModel)
            {
                models.Add(paths[i]);
            }
            else if (verdicts[i].Stamp is { } stamp && useCache)
            {
                cache.RecordNotModel(paths[i], stamp);
            }
        }

        return models;
    }
}
