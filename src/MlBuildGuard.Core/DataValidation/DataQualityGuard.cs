using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>An <c>MlTrainingInput</c> with its data metadata (SPEC §3), as the build evaluated it.</summary>
/// <param name="Path">The item (project-relative or absolute).</param>
/// <param name="Schema">The <c>Schema</c> metadata; items without one are not validated.</param>
public sealed record DataInputItem(string Path, string? Schema, string? Format = null, string? MaxDrift = null);

/// <summary>An <c>MlModelMetrics</c> item and its <c>EvaluationInputs</c> (paths, as written).</summary>
public sealed record MetricsItem(string Path, IReadOnlyList<string> EvaluationInputs);

public sealed class DataQualityRequest
{
    public required string ProjectDirectory { get; init; }

    public required LockMode Mode { get; init; }

    public IReadOnlyList<DataInputItem> Inputs { get; init; } = [];

    public IReadOnlyList<MetricsItem> MetricsFiles { get; init; } = [];

    public IReadOnlyList<MetricThreshold> Thresholds { get; init; } = [];

    /// <summary>The lock as committed (its profiles, metric baselines and input digests); null when there is none.</summary>
    public LockFile? Locked { get; init; }

    /// <summary>Project-relative path → SHA-256 the training-input guard already computed this build (saves reads).</summary>
    public IReadOnlyDictionary<string, string> KnownDigests { get; init; } = new Dictionary<string, string>();

    /// <summary>Folder of the verdict cache (under <c>obj/</c>); null for none. Ignored in <c>Locked</c> mode.</summary>
    public string? CacheDirectory { get; init; }
}

public sealed class DataQualityResult
{
    public List<Finding> Findings { get; } = new();

    /// <summary>What the lock's <c>dataProfiles</c> should hold after this build (project-relative keys).</summary>
    public SortedDictionary<string, DataProfile> Profiles { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>What the lock's <c>modelMetrics</c> should hold after this build.</summary>
    public SortedDictionary<string, LockedMetrics> Metrics { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Profile changes for the lock-update message, per input (indented lines under its digest line).</summary>
    public SortedDictionary<string, IReadOnlyList<string>> ProfileChanges { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Every metrics file's gate results: for the log, the provenance and the ML-BOM model card.</summary>
    public List<MetricGateReport> Gates { get; } = new();

    public int FilesFromCache { get; set; }
}

/// <summary>
/// The data and model-quality guard (MLG701–MLG704, MLG711–MLG713) as one call for the build: validates every
/// training input that declares a schema, measures drift against its locked profile, gates the metrics files, and
/// returns what the lock's <c>dataProfiles</c> and <c>modelMetrics</c> should hold. It never writes the lock: the caller
/// stages those sections with the training inputs (<see cref="LockFile.WithDataProfiles"/>,
/// <see cref="LockFile.WithModelMetrics"/>) so one build commits one consistent lock (SPEC §4).
/// </summary>
public static class DataQualityGuard
{
    public static DataQualityResult Run(DataQualityRequest request, CancellationToken cancellationToken = default)
    {
        var result = new DataQualityResult();
        var safety = new PathSafety(request.ProjectDirectory);
        var cache = request.CacheDirectory is not null && request.Mode != LockMode.Locked ? new DataVerdictCache(request.CacheDirectory) : null;
        var schemas = new Dictionary<string, TableSchema?>(StringComparer.Ordinal);
        foreach (var item in request.Inputs.Where(i => !string.IsNullOrWhiteSpace(i.Schema)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            ValidateInput(request, item, safety, cache, schemas, result, cancellationToken);
        }

        GateMetrics(request, safety, result);
        return result;
    }

    private static void ValidateInput(DataQualityRequest request, DataInputItem item, PathSafety safety, DataVerdictCache? cache,
        Dictionary<string, TableSchema?> schemas, DataQualityResult result, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(item.Path, request.ProjectDirectory);
        if (!File.Exists(full) || safety.CheckFullPath(full) != Containment.Inside)
        {
            return; // the training-input guard reports missing inputs and inputs outside the project (MLG404-MLG406)
        }

        var key = safety.ToRelative(full);

        var schemaPath = Path.GetFullPath(item.Schema!.Trim(), request.ProjectDirectory);
        if (!schemas.TryGetValue(schemaPath, out var schema))
        {
            schemas[schemaPath] = schema = ReadSchema(schemaPath, safety, result);
        }

        if (schema is null)
        {
            return;
        }

        if (!TableFormats.TryResolve(item.Format, full, out var format, out var formatError))
        {
            result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlTrainingInput '{key}': {formatError}"));
            return;
        }

        DriftThresholds? maxDrift = null;
        if (!string.IsNullOrWhiteSpace(item.MaxDrift))
        {
            if (!DriftThresholds.TryParse(item.MaxDrift, schema.Expectations.Drift, out var parsed, out var driftError))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlTrainingInput '{key}': MaxDrift '{item.MaxDrift}': {driftError}"));
                return;
            }

            maxDrift = parsed;
        }

        var locked = request.Locked?.DataProfiles.GetValueOrDefault(key);
        var validation = TrainingDataValidator.Validate(new DataValidationRequest
        {
            FilePath = full,
            Subject = key,
            Format = format,
            Schema = schema,
            LockedProfile = locked,
            MaxDrift = maxDrift,
            KnownSha256 = request.Mode == LockMode.Locked ? null : request.KnownDigests.GetValueOrDefault(key),
            Cache = cache,
        }, cancellationToken);
        result.Findings.AddRange(validation.Findings);
        if (validation.FromCache)
        {
            result.FilesFromCache++;
        }

        if (validation.Profile is not { } profile)
        {
            return;
        }

        // Unchanged bytes keep their locked profile as it is, so rewriting the lock does not move a single byte.
        var unchanged = locked is not null && request.Locked!.TrainingInputs.TryGetValue(key, out var entry) && entry.Sha256 == validation.Sha256;
        result.Profiles[key] = unchanged ? locked! : profile;
        if (!unchanged)
        {
            var thresholds = maxDrift ?? schema.Expectations.Drift;
            var changes = ProfileChangeSummary.Describe(locked, profile, thresholds);
            if (changes.Count > 0)
            {
                result.ProfileChanges[key] = changes;
            }
        }
    }

    private static TableSchema? ReadSchema(string schemaPath, PathSafety safety, DataQualityResult result)
    {
        var shown = PathSafety.IsUnder(schemaPath, safety.Root) ? safety.ToRelative(schemaPath) : schemaPath;
        try
        {
            var schema = TableSchemaReader.ReadFile(schemaPath);
            return new TableSchema
            {
                Fields = schema.Fields,
                MissingValues = schema.MissingValues,
                PrimaryKey = schema.PrimaryKey,
                UniqueKeys = schema.UniqueKeys,
                Expectations = schema.Expectations,
                Digest = schema.Digest,
                Path = shown,
            };
        }
        catch (SchemaException e)
        {
            result.Findings.Add(Finding.Create(RuleCatalog.DataSchemaInvalid, new SourceLocation(schemaPath, e.Line, e.Column), shown, shown, e.Reason));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            result.Findings.Add(Finding.Create(RuleCatalog.DataSchemaInvalid, new SourceLocation(schemaPath), shown, shown, $"it cannot be read: {e.Message}"));
        }

        return null;
    }

    private static void GateMetrics(DataQualityRequest request, PathSafety safety, DataQualityResult result)
    {
        // A threshold gates every metrics file that has its metric; one no file has is reported on the first file.
        var names = request.MetricsFiles.Select(m => MetricNames(Path.GetFullPath(m.Path, request.ProjectDirectory))).ToArray();
        for (var i = 0; i < request.MetricsFiles.Count; i++)
        {
            var item = request.MetricsFiles[i];
            var full = Path.GetFullPath(item.Path, request.ProjectDirectory);
            var key = safety.ToRelative(full);
            var thresholds = request.Thresholds.Where(t => names[i].Contains(t.Metric) || (i == 0 && !names.Any(n => n.Contains(t.Metric)))).ToList();
            var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var input in item.EvaluationInputs)
            {
                var inputFull = Path.GetFullPath(input, request.ProjectDirectory);
                var inputKey = safety.ToRelative(inputFull);
                if (request.KnownDigests.TryGetValue(inputKey, out var digest))
                {
                    inputs[inputKey] = digest;
                }
                else if (File.Exists(inputFull))
                {
                    inputs[inputKey] = Sha256File.Compute(inputFull).Hex;
                }
                else
                {
                    result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlModelMetrics '{key}': its evaluation input '{input}' does not exist"));
                }
            }

            var report = MetricGate.Evaluate(full, key, thresholds, inputs, request.Locked?.ModelMetrics.GetValueOrDefault(key), request.Mode);
            result.Gates.Add(report);
            result.Findings.AddRange(report.Findings);
            if (report.ToLock is { } toLock)
            {
                result.Metrics[key] = toLock;
            }
        }
    }

    private static HashSet<string> MetricNames(string path)
    {
        try
        {
            var file = MetricsFile.Read(path);
            return [.. file.Values.Keys, .. file.NonNumeric.Keys];
        }
        catch (Exception e) when (e is SchemaException or IOException or UnauthorizedAccessException)
        {
            return []; // MetricGate reports it
        }
    }
}
