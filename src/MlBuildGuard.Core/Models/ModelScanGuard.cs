using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Models;

/// <summary>What the build asks the model scan to look at.</summary>
public sealed class ModelScanRequest
{
    /// <summary>The project folder: findings name models relative to it, as suppressions name them.</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>Declared models (<c>MlModel</c>, <c>MlModelOutput</c>), full paths: each must be a recognised format.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary><c>None</c>/<c>Content</c>/<c>EmbeddedResource</c> items, full paths: scanned when their content is a model.</summary>
    public IReadOnlyList<string> ProjectItems { get; init; } = [];

    public ScanOptions Options { get; init; } = new();

    /// <summary>Scan verdicts by file stamp under <c>obj/</c>; null to read every model (CI).</summary>
    public string? CacheFilePath { get; init; }

    public CancellationToken CancellationToken { get; init; }

    /// <summary>What this build's other guards learned about the files (the project items are looked at once per build); null for none.</summary>
    public IO.BuildFileLedger? Files { get; init; }
}

/// <summary>What the model scan found, and how much of it came from the cache.</summary>
public sealed class ModelScanGuardResult
{
    public List<Finding> Findings { get; } = new();

    public int Models { get; set; }

    public int Scanned { get; set; }

    public int Unchanged { get; set; }
}

/// <summary>
/// The model scan of a build (SPEC MLG301–MLG307): every declared model, and every project item whose content is a model
/// format, scanned by <see cref="ModelScanner"/>. A model whose file stamps have not moved since it was scanned with the
/// same options keeps its verdict without being read; a project item judged not to be a model costs one stat on the next
/// build. Findings name models relative to the project, as suppressions do.
/// </summary>
public static class ModelScanGuard
{
    public static ModelScanGuardResult Run(ModelScanRequest request)
    {
        var answer = Answer(request);
        if (answer?.TryReplay() is { } replay && int.TryParse(replay.Payload, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var models))
        {
            var replayed = new ModelScanGuardResult { Models = models, Unchanged = models };
            replayed.Findings.AddRange(replay.Findings);
            return replayed;
        }

        var result = Scan(request);
        answer?.Record(result.Findings, result.Models.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return result;
    }

    /// <summary>
    /// The scan's last answer (<see cref="GuardVerdict"/>), beside its cache: while no declared model or project item moved
    /// and the items and options are the same, a rebuild replays it without loading the cache. A folder model is never
    /// part of such an answer (its stamp does not cover its files).
    /// </summary>
    private static GuardVerdict? Answer(ModelScanRequest request)
    {
        if (GuardVerdict.At(GuardVerdict.BesideCache(request.CacheFilePath), "model-scan") is not { } verdict)
        {
            return null;
        }

        var options = request.Options;
        verdict.Add(request.ProjectDirectory).Add(options.Strict.ToString()).Add(options.Limits.ToString()).Add(request.Models.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var allowed in options.AllowedGlobals.Order(StringComparer.Ordinal))
        {
            verdict.Add(allowed);
        }

        var files = BuildFileLedger.For(request.Files, request.ProjectDirectory);
        var paths = request.Models.Concat(request.ProjectItems).ToArray();
        var looks = files.LookAll(paths, request.CancellationToken);
        verdict.Rests(paths, looks);
        return verdict;
    }

    private static ModelScanGuardResult Scan(ModelScanRequest request)
    {
        var result = new ModelScanGuardResult();
        var useCache = request.CacheFilePath is not null;
        var cache = useCache ? ModelScanCache.Load(request.CacheFilePath!) : ModelScanCache.Empty();
        var declared = request.Models.ToHashSet(StringComparer.Ordinal);
        var targets = request.Models.Distinct(StringComparer.Ordinal).Select(p => (Path: p, MustBeModel: true))
            .Concat(ProjectItemModels(request, cache, useCache, declared).Select(p => (Path: p, MustBeModel: false)))
            .ToList();
        result.Models = targets.Count;
        foreach (var (path, mustBeModel) in targets)
        {
            request.CancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                var name = PathSafety.IsUnder(path, request.ProjectDirectory)
                    ? Path.GetRelativePath(request.ProjectDirectory, path).Replace('\\', '/')
                    : Path.GetFileName(path);
                result.Findings.Add(Finding.Create(RuleCatalog.ModelUnparsable, new SourceLocation(path), name, name, "it does not exist"));
                continue;
            }

            var fingerprint = ModelScanCache.Fingerprint(path, request.Options);
            if (useCache && fingerprint is not null && cache.TryGet(path, fingerprint) is { } known)
            {
                result.Findings.AddRange(known);
                result.Unchanged++;
                continue;
            }

            var findings = ProjectRelative(request.ProjectDirectory, ModelScanner.ScanPath(path, request.Options, mustBeModel, request.CancellationToken), path);
            result.Scanned++;
            result.Findings.AddRange(findings);
            if (fingerprint is not null)
            {
                cache.Set(path, fingerprint, findings);
            }
        }

        if (useCache && cache.IsDirty)
        {
            try
            {
                cache.Save(request.CacheFilePath!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only saves time on the next build.
            }
        }

        return result;
    }

    /// <summary>
    /// Subjects start at the model's file name; suppressions name it relative to the project, like every other path. A
    /// message that starts with the subject starts with the project-relative one too, so what the log shows is what a
    /// suppression names.
    /// </summary>
    private static List<Finding> ProjectRelative(string projectDirectory, IReadOnlyList<Finding> findings, string modelPath)
    {
        var folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(modelPath)!;
        var relative = PathSafety.IsUnder(folder, projectDirectory) ? Path.GetRelativePath(projectDirectory, folder).Replace('\\', '/') : null;
        return findings.Select(f => relative is null or "." || f.Subject is null ? f : f with
        {
            Subject = relative + "/" + f.Subject,
            Message = StartsWithSubject(f.Message, f.Subject) ? relative + "/" + f.Message : f.Message,
        }).ToList();
    }

    private static bool StartsWithSubject(string message, string subject) =>
        message.StartsWith(subject, StringComparison.Ordinal) && message.Length > subject.Length && message[subject.Length] is ':' or ' ';

    /// <summary>
    /// The project items whose content is a model format. Every item is judged by content, but a file whose stamp has
    /// not moved since it was judged not to be a model is not read again (an unchanged rebuild costs one stat per item).
    /// </summary>
    private static List<string> ProjectItemModels(ModelScanRequest request, ModelScanCache cache, bool useCache, HashSet<string> exclude)
    {
        var paths = request.ProjectItems.Where(p => !exclude.Contains(p)).Distinct(StringComparer.Ordinal).ToArray();
        var verdicts = new (bool IsModel, FileStamp? Stamp)[paths.Length];
        var files = BuildFileLedger.For(request.Files, request.ProjectDirectory);
        Parallel.For(0, paths.Length, new ParallelOptions { CancellationToken = request.CancellationToken }, i =>
        {
            var path = paths[i];
            var look = files.Look(path);
            if (look.Kind != FileKind.Regular)
            {
                verdicts[i] = (false, null); // missing or not a regular file: nothing a loader would read
                return;
            }

            verdicts[i] = useCache && cache.KnownNotModel(path, look.Stamp) ? (false, look.Stamp) : (ModelScanner.LooksLikeModel(path), look.Stamp);
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
