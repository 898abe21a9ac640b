using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>An <c>MlTrainingInput</c> with its data metadata (SPEC §3), as the build evaluated it.</summary>
/// <param name="Path">The item (project-relative or absolute).</param>
/// <param name="Schema">The <c>Schema</c> metadata; items without one are not validated.</param>
/// <param name="Pii">The <c>Pii</c> metadata: <c>deny</c> (default) or <c>allow</c>; read by the training-data guard.</param>
public sealed record DataInputItem(string Path, string? Schema, string? Format = null, string? MaxDrift = null, string? Pii = null);

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

    /// <summary>What this build already learned about the files; null for a ledger of its own.</summary>
    public BuildFileLedger? Files { get; init; }

    /// <summary>
    /// How the metrics files are keyed in <c>modelMetrics</c>: like produced models (SPEC §4), relative to <c>$(OutDir)</c>
    /// when under it; null keys them relative to the project (tools and tests).
    /// </summary>
    public ProducedFileKeys? MetricsKeys { get; init; }
}

public sealed class DataQualityResult
{
    public List<Finding> Findings { get; } = new();

    /// <summary>What the lock's <c>dataProfiles</c> should hold after this build (project-relative keys).</summary>
    public SortedDictionary<string, DataProfile> Profiles { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>What the lock's <c>modelMetrics</c> should hold after this build.</summary>
    public SortedDictionary<string, LockedMetrics> Metrics { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>
    /// Metrics files whose baseline the lock holds under older keys (key → those keys, the one read first): the entry
    /// moves to the file's key when the lock is next written.
    /// </summary>
    public SortedDictionary<string, IReadOnlyList<string>> RekeyedMetrics { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Profile changes for the lock-update message, per input (indented lines under its digest line).</summary>
    public SortedDictionary<string, IReadOnlyList<string>> ProfileChanges { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Every metrics file's gate results: for the log, the provenance and the ML-BOM model card.</summary>
    public List<MetricGateReport> Gates { get; } = new();

    public int FilesFromCache { get; set; }
}

/// <summary>
/// One training input with a schema, ready to validate: its schema read, its format and drift thresholds resolved, its
/// locked profile found. The build validates it in the read that hashes the input (<see cref="Request"/> with a secret
/// scanner and a personal-data sink), or on its own when the input's digest came from the stamp cache.
/// </summary>
public sealed class DataInputPlan
{
    /// <summary>The input's project-relative path (the lock key and the findings' subject).</summary>
    public required string Key { get; init; }

    public required string FullPath { get; init; }

    public required TableSchema Schema { get; init; }

    public required TableFormat Format { get; init; }

    public DriftThresholds? MaxDrift { get; init; }

    public DataProfile? LockedProfile { get; init; }

    /// <summary>The validation request for this input; <paramref name="knownSha256"/> lets a cached verdict answer without a read.</summary>
    public DataValidationRequest Request(string? knownSha256, DataVerdictCache? cache, Secrets.SecretScanner? secrets = null, ITableSink? alsoFeed = null) => new()
    {
        FilePath = FullPath,
        Subject = Key,
        Format = Format,
        Schema = Schema,
        LockedProfile = LockedProfile,
        MaxDrift = MaxDrift,
        KnownSha256 = knownSha256,
        Cache = cache,
        Secrets = secrets,
        AlsoFeed = alsoFeed,
    };
}

/// <summary>
/// The data and model-quality guard (MLG701–MLG704, MLG711–MLG713): validates every training input that declares a
/// schema, measures drift against its locked profile, gates the metrics files, and returns what the lock's
/// <c>dataProfiles</c> and <c>modelMetrics</c> should hold. It never writes the lock: the caller stages those sections
/// with the training inputs (<see cref="LockFile.WithDataProfiles"/>) and the model outputs
/// (<see cref="LockFile.WithModelMetrics"/>) so one build commits one consistent lock (SPEC §4). <see cref="Run"/> does
/// it all in one call (tests, tools); the build plans the inputs (<see cref="Plan"/>), validates them in the read that
/// hashes them, records each verdict (<see cref="Record"/>), and gates the metrics after training (<see cref="GateMetrics"/>).
/// </summary>
public static class DataQualityGuard
{
    public static DataQualityResult Run(DataQualityRequest request, CancellationToken cancellationToken = default)
    {
        var result = new DataQualityResult();
        var cache = CacheOf(request);
        foreach (var plan in Plan(request, result))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var known = request.Mode == LockMode.Locked ? null : request.KnownDigests.GetValueOrDefault(plan.Key);
            Record(request, plan, TrainingDataValidator.Validate(plan.Request(known, cache), cancellationToken), result);
        }

        GateMetrics(request, result);
        return result;
    }

    /// <summary>The verdict cache the request allows (none in <c>Locked</c> mode).</summary>
    public static DataVerdictCache? CacheOf(DataQualityRequest request) =>
        request.CacheDirectory is not null && request.Mode != LockMode.Locked ? new DataVerdictCache(request.CacheDirectory) : null;

    /// <summary>
    /// The inputs with a schema, ready to validate; a schema that cannot be read (MLG704) or metadata that cannot be
    /// honoured (MLG002) is reported in <paramref name="result"/> and its inputs are left out.
    /// </summary>
    public static IReadOnlyList<DataInputPlan> Plan(DataQualityRequest request, DataQualityResult result)
    {
        var files = BuildFileLedger.For(request.Files, request.ProjectDirectory);
        var schemas = new Dictionary<string, TableSchema?>(StringComparer.Ordinal);
        var plans = new List<DataInputPlan>();
        foreach (var item in request.Inputs.Where(i => !string.IsNullOrWhiteSpace(i.Schema)))
        {
            if (PlanInput(request, item, files, schemas, result) is { } plan)
            {
                plans.Add(plan);
            }
        }

        return plans;
    }

    private static DataInputPlan? PlanInput(DataQualityRequest request, DataInputItem item, BuildFileLedger files, Dictionary<string, TableSchema?> schemas,
        DataQualityResult result)
    {
        var safety = files.Safety;
        var full = Path.GetFullPath(item.Path, request.ProjectDirectory);
        if (files.Look(full).Kind is FileKind.Missing or FileKind.Directory || files.Containment(full) != Containment.Inside)
        {
            return null; // the training-input guard reports missing inputs and inputs outside the project (MLG404-MLG406)
        }

        var key = safety.ToRelative(full);

        var schemaPath = Path.GetFullPath(item.Schema!.Trim(), request.ProjectDirectory);
        if (!schemas.TryGetValue(schemaPath, out var schema))
        {
            schemas[schemaPath] = schema = ReadSchema(schemaPath, safety, result);
        }

        if (schema is null)
        {
            return null;
        }

        if (!TableFormats.TryResolve(item.Format, full, out var format, out var formatError))
        {
            result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlTrainingInput '{key}': {formatError}"));
            return null;
        }

        DriftThresholds? maxDrift = null;
        if (!string.IsNullOrWhiteSpace(item.MaxDrift))
        {
            if (!DriftThresholds.TryParse(item.MaxDrift, schema.Expectations.Drift, out var parsed, out var driftError))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlTrainingInput '{key}': MaxDrift '{item.MaxDrift}': {driftError}"));
                return null;
            }

            maxDrift = parsed;
        }

        return new DataInputPlan
        {
            Key = key,
            FullPath = full,
            Schema = schema,
            Format = format,
            MaxDrift = maxDrift,
            LockedProfile = request.Locked?.DataProfiles.GetValueOrDefault(key),
        };
    }

    /// <summary>Adds one input's verdict to <paramref name="result"/>: its findings, the profile to lock, and how the profile changed.</summary>
    public static void Record(DataQualityRequest request, DataInputPlan plan, DataValidationResult validation, DataQualityResult result)
    {
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
        var locked = plan.LockedProfile;
        var unchanged = locked is not null && request.Locked!.TrainingInputs.TryGetValue(plan.Key, out var entry) && entry.Sha256 == validation.Sha256;
        result.Profiles[plan.Key] = unchanged ? locked! : profile;
        if (!unchanged)
        {
            var thresholds = plan.MaxDrift ?? plan.Schema.Expectations.Drift;
            var changes = ProfileChangeSummary.Describe(locked, profile, thresholds);
            if (changes.Count > 0)
            {
                result.ProfileChanges[plan.Key] = changes;
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

    /// <summary>Gates every metrics file of the request against its locked baseline (MLG711–MLG713) into <paramref name="result"/>.</summary>
    public static void GateMetrics(DataQualityRequest request, DataQualityResult result)
    {
        var safety = new PathSafety(request.ProjectDirectory);
        var keys = request.MetricsKeys ?? new ProducedFileKeys(request.ProjectDirectory);
        var files = request.MetricsFiles.Select(m => Path.GetFullPath(m.Path, request.ProjectDirectory)).Select(full => (Key: keys.KeyOf(full), FullPath: full)).ToList();
        var older = request.Locked is { } lockFile ? keys.OlderKeys(lockFile.ModelMetrics.Keys, files) : [];
        // A threshold gates every metrics file that has its metric; one no file has is reported on the first file.
        var names = files.Select(f => MetricNames(f.FullPath)).ToArray();
        for (var i = 0; i < request.MetricsFiles.Count; i++)
        {
            var item = request.MetricsFiles[i];
            var (key, full) = files[i];
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

            var baseline = request.Locked?.ModelMetrics.GetValueOrDefault(key);
            if (baseline is null && older.TryGetValue(key, out var olderKeys))
            {
                // The baseline another configuration's build (or an earlier version) recorded under its older key.
                baseline = request.Locked!.ModelMetrics[olderKeys[0]];
                result.RekeyedMetrics[key] = olderKeys;
            }

            var report = MetricGate.Evaluate(full, key, thresholds, inputs, baseline, request.Mode);
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
