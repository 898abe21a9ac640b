using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Baseline;
using MlBuildGuard.Core.Secrets.PersonalData;

namespace MlBuildGuard.Core.TrainingData;

public sealed class TrainingDataRequest
{
    public required string ProjectDirectory { get; init; }

    public required string LockFilePath { get; init; }

    public required LockMode Mode { get; init; }

    /// <summary>Every <c>MlTrainingInput</c> with its <c>Schema</c>, <c>Format</c>, <c>MaxDrift</c> and <c>Pii</c> metadata.</summary>
    public required IReadOnlyList<DataInputItem> Inputs { get; init; }

    /// <summary>The secret rules and baseline (<c>MlGuardSecretRules</c>, <c>MlGuardSecretsBaseline</c>).</summary>
    public SecretConfiguration Secrets { get; init; } = SecretConfiguration.BuiltIn;

    /// <summary>The stamp cache that keeps each input's digest and what its read found; null to read every input.</summary>
    public string? CacheFilePath { get; init; }

    /// <summary>Folder of the schema-verdict cache; null for none.</summary>
    public string? VerdictCacheDirectory { get; init; }

    /// <summary>Where the <c>dataProfiles</c> part of the lock is staged for the commit after the build; null stages nothing.</summary>
    public string? StagingDirectory { get; init; }

    /// <summary>False when another build of the project records the lock (the outer build of a multi-targeted project).</summary>
    public bool RecordsLock { get; init; } = true;

    public SuppressionSet Suppressions { get; init; } = SuppressionSet.Empty;

    /// <summary>The build fails already (configuration, an earlier guard): nothing is staged or written.</summary>
    public bool BuildAlreadyFails { get; init; }

    /// <summary>Counts the bytes read, for whoever shows progress; null for none.</summary>
    public HashProgress? Progress { get; init; }

    /// <summary>What this build's other guards learned about the files (one look, one read each); null for a ledger of its own.</summary>
    public BuildFileLedger? Files { get; init; }
}

public sealed class TrainingDataResult
{
    public List<Finding> Findings { get; } = new();

    /// <summary>High-importance lines for the log (a rewritten secrets baseline).</summary>
    public List<string> Notes { get; } = new();

    public string? StagedLock { get; set; }

    /// <summary>The kinds of personal data found per training input (lock key → sorted kind names), for the ML-BOM.</summary>
    public SortedDictionary<string, IReadOnlyList<string>> PersonalDataKinds { get; } = new(StringComparer.Ordinal);

    public int FilesRead { get; set; }

    public int FilesFromCache { get; set; }

    /// <summary>Inputs whose bytes had not changed but were read again for their schema's verdict (a changed schema or locked profile).</summary>
    public int FilesReadForSchema { get; set; }
}

/// <summary>
/// What the build checks inside the training data (SPEC §5): credentials (MLG801) and personal data (MLG802) in every
/// <c>MlTrainingInput</c>, found in one read per changed input and kept by a stamp cache; the Table Schema rules
/// (MLG701–MLG704) for inputs with a <c>Schema</c>, whose verdicts are cached by digest; and the inputs' profiles, staged
/// as the lock's <c>dataProfiles</c> with the build's other parts. Private key blocks (MLG606) are the training-input
/// guard's to report. In <c>Update</c> mode the secrets baseline is rewritten to accept the inputs' current findings.
/// </summary>
public static class TrainingDataGuard
{
    public static TrainingDataResult Run(TrainingDataRequest request, CancellationToken cancellationToken = default)
    {
        var files = BuildFileLedger.For(request.Files, request.ProjectDirectory);
        var answer = TrainingDataAnswer.Of(request, files, cancellationToken);
        if (answer?.Replay(files, () => PrimeDigests(request, files, cancellationToken)) is { } replayed)
        {
            return replayed;
        }

        var result = RunCore(request, files, cancellationToken);
        answer?.Record(result);
        return result;
    }

    /// <summary>
    /// After a replayed answer, when a later guard of the build asks for the inputs' digests after all (its own answer did
    /// not hold): the check's work without its side effects, which records them in the ledger from the stamp cache.
    /// </summary>
    private static void PrimeDigests(TrainingDataRequest request, BuildFileLedger files, CancellationToken cancellationToken) =>
        RunCore(new TrainingDataRequest
        {
            ProjectDirectory = request.ProjectDirectory,
            LockFilePath = request.LockFilePath,
            Mode = request.Mode,
            Inputs = request.Inputs,
            Secrets = request.Secrets,
            CacheFilePath = request.CacheFilePath,
            VerdictCacheDirectory = request.VerdictCacheDirectory,
            RecordsLock = false,
            Suppressions = request.Suppressions,
            BuildAlreadyFails = true,
        }, files, cancellationToken);

    private static TrainingDataResult RunCore(TrainingDataRequest request, BuildFileLedger files, CancellationToken cancellationToken)
    {
        var result = new TrainingDataResult();
        result.Findings.AddRange(request.Secrets.Problems);
        var inputs = Resolve(request, files, result, cancellationToken);

        LockFile? locked = null;
        var lockReadable = true;
        try
        {
            // The lock matters here only for its data profiles: an input with a schema is compared with its locked profile,
            // and profiles the lock holds for inputs that lost their schema are dropped. Without either, it is not parsed.
            var needed = request.Inputs.Any(i => !string.IsNullOrWhiteSpace(i.Schema)) || MayHoldDataProfiles(request);
            locked = needed && File.Exists(request.LockFilePath) ? LockFileReader.Read(request.LockFilePath) : null;
        }
        catch (LockFileException)
        {
            lockReadable = false; // MLG407 is the training-input guard's; nothing may be staged over a malformed lock
        }

        var quality = new DataQualityRequest
        {
            ProjectDirectory = request.ProjectDirectory,
            Mode = request.Mode,
            Inputs = request.Inputs,
            Locked = locked,
            CacheDirectory = request.VerdictCacheDirectory,
            Files = files,
        };
        var qualityResult = new DataQualityResult();
        var verdicts = DataQualityGuard.CacheOf(quality);
        var plans = DataQualityGuard.Plan(quality, qualityResult);

        // One read per changed input: its digest, credentials, personal data and, with a schema, the schema's verdict.
        var planOf = new Dictionary<string, DataInputPlan>(StringComparer.Ordinal);
        foreach (var plan in plans)
        {
            planOf.TryAdd(plan.Key, plan);
        }

        var (digests, validated) = ScanContent(request, inputs, planOf, verdicts, files, result, cancellationToken);
        foreach (var plan in plans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (validated.TryGetValue(plan.Key, out var verdict) && planOf[plan.Key] == plan)
            {
                DataQualityGuard.Record(quality, plan, verdict, qualityResult);
                continue;
            }

            // The input's bytes were not read (its stamp had not moved): its verdict is cached by digest, or it is read now
            // because the schema or the locked profile changed.
            var known = request.Mode == LockMode.Locked ? null : digests.GetValueOrDefault(plan.Key);
            try
            {
                var validation = TrainingDataValidator.Validate(plan.Request(known, verdicts), cancellationToken);
                result.FilesReadForSchema += validation.FromCache ? 0 : 1;
                DataQualityGuard.Record(quality, plan, validation, qualityResult);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An input that cannot be read is reported by the training-input guard (MLG004), with the same cause.
            }
        }

        result.Findings.AddRange(qualityResult.Findings);
        var blocked = request.BuildAlreadyFails || request.Suppressions.Apply(result.Findings).Any(f => f.SuppressedBy is null && f.Severity == Severity.Error);
        if (request.StagingDirectory is { } staging && request.RecordsLock && lockReadable && request.Mode != LockMode.Locked && !blocked
            && (locked is not null || qualityResult.Profiles.Count > 0))
        {
            var changes = qualityResult.ProfileChanges.SelectMany(c => c.Value.Select(line =>
                $"  {(locked?.DataProfiles.ContainsKey(c.Key) == true ? '~' : '+')} {c.Key}: {line.Trim()}")).ToList();
            result.StagedLock = StagedLockPart.StageIfChanged(staging, "data profiles", locked, (locked ?? new LockFile()).WithDataProfiles(qualityResult.Profiles),
                $"{qualityResult.Profiles.Count} profiled, {qualityResult.ProfileChanges.Count} changed", changes);
        }

        return result;
    }

    /// <summary>
    /// Whether the lock file names a <c>dataProfiles</c> section at all: a byte search, far cheaper than parsing it, and
    /// remembered by the lock's stamp beside the stamp cache, so a no-change rebuild does not even open the lock.
    /// </summary>
    private static bool MayHoldDataProfiles(TrainingDataRequest request)
    {
        var memo = request.CacheFilePath is { } cache && request.Mode != LockMode.Locked ? cache + ".lock-profiles" : null;
        if (memo is not null && StampMemo.Read(memo, request.LockFilePath) is { } known)
        {
            return known != "none";
        }

        try
        {
            if (!File.Exists(request.LockFilePath))
            {
                return false;
            }

            var holds = File.ReadAllBytes(request.LockFilePath).AsSpan().IndexOf("\"dataProfiles\""u8) >= 0;
            if (memo is not null)
            {
                StampMemo.Write(memo, request.LockFilePath, holds ? "some" : "none");
            }

            return holds;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // let the reader meet the same problem
        }
    }

    private sealed record Input(string Key, string FullPath, TableFormat? Format, bool PiiAllowed);

    private static List<Input> Resolve(TrainingDataRequest request, BuildFileLedger files, TrainingDataResult result, CancellationToken cancellationToken)
    {
        var safety = files.Safety;
        var inputs = new Dictionary<string, Input>(StringComparer.Ordinal);
        var fullPaths = request.Inputs.Select(i => Path.GetFullPath(i.Path, request.ProjectDirectory)).ToArray();
        var looks = files.LookAll(fullPaths, cancellationToken);
        for (var n = 0; n < fullPaths.Length; n++)
        {
            var (item, full) = (request.Inputs[n], fullPaths[n]);
            if (looks[n].Kind is FileKind.Missing or FileKind.Directory || files.Containment(full) != Containment.Inside)
            {
                continue; // the training-input guard reports inputs outside the project and missing ones (MLG404-MLG406)
            }

            var key = safety.ToRelative(full);
            var pii = item.Pii?.Trim();
            if (!string.IsNullOrEmpty(pii) && !pii.Equals("deny", StringComparison.OrdinalIgnoreCase) && !pii.Equals("allow", StringComparison.OrdinalIgnoreCase))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlTrainingInput '{key}': Pii '{item.Pii}' is neither 'deny' nor 'allow'"));
            }

            // A file that is no table by its extension or Format is scanned for credentials only; a Format that names no
            // table format is MLG002 from the data-quality plan when the input has a schema, and here when it has none.
            TableFormat? format = TableFormats.TryResolve(item.Format, full, out var resolved, out var formatError) ? resolved : null;
            if (format is null && !string.IsNullOrWhiteSpace(item.Format) && string.IsNullOrWhiteSpace(item.Schema))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, null, key, $"MlTrainingInput '{key}': {formatError}"));
            }

            inputs.TryAdd(key, new Input(key, full, format, pii?.Equals("allow", StringComparison.OrdinalIgnoreCase) == true));
        }

        return [.. inputs.Values.OrderBy(i => i.Key, Utf8OrdinalComparer.Instance)];
    }

    /// <summary>
    /// Reads (or takes from the stamp cache) what each input holds; returns the digests (for the schema verdict cache) and
    /// the schema verdicts reached in those reads.
    /// </summary>
    private static (Dictionary<string, string> Digests, Dictionary<string, DataValidationResult> Validated) ScanContent(TrainingDataRequest request,
        List<Input> inputs, Dictionary<string, DataInputPlan> plans, DataVerdictCache? verdicts, BuildFileLedger files, TrainingDataResult result,
        CancellationToken cancellationToken)
    {
        var secrets = request.Secrets;
        // A Locked build neither trusts the stamp cache nor writes one (the training-input guard's rule too).
        var cachePath = request.Mode == LockMode.Locked ? null : request.CacheFilePath;
        var cache = cachePath is not null ? HashCache.Load(cachePath) : HashCache.Empty();
        var checks = inputs.Select(i => new TrainingInputContentCheck(secrets, i.Key, i.Format, plans.GetValueOrDefault(i.Key), verdicts))
            .ToArray();
        var hashes = FileSetHasher.Hash(inputs.Select(i => i.FullPath).ToArray(), cache, cancellationToken, checks: i => checks[i], files: files,
            progress: request.Progress);
        cache.PruneAndSave(cachePath, inputs.Select(i => i.FullPath));
        var validated = new Dictionary<string, DataValidationResult>(StringComparer.Ordinal);

        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<BaselineEntry>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var (input, hash) = (inputs[i], hashes[i]);
            if (hash.Digest is not { } digest || hash.Content is not { } content)
            {
                continue; // missing or unreadable: the training-input guard reports it
            }

            digests[input.Key] = digest.Hex;
            if (!hash.FromCache && checks[i].Validation is { } validation)
            {
                validated[input.Key] = validation;
            }

            if (hash.FromCache)
            {
                result.FilesFromCache++;
            }
            else
            {
                result.FilesRead++;
            }

            if (content.Secrets.Count > 0)
            {
                var outcome = secrets.Apply(input.FullPath, input.Key, content.Secrets.Where(s => s.Kind != SecretKind.PrivateKey), "training data");
                result.Findings.AddRange(outcome.Findings.Select(f => f with { Location = new SourceLocation(input.FullPath, f.Location?.Line ?? 0, f.Location?.Column ?? 0) }));
                entries.AddRange(outcome.Entries);
            }

            if (content.PersonalData.Count > 0)
            {
                result.Findings.AddRange(PiiColumnScanner.FindingsOf(content.PersonalData, input.Key, input.PiiAllowed, _ => new SourceLocation(input.FullPath)));
                result.PersonalDataKinds[input.Key] = PiiColumnScanner.KindsOf(content.PersonalData);
            }
        }

        if (request.Mode == LockMode.Update)
        {
            UpdateBaseline(request, inputs, entries, result);
        }

        return (digests, validated);
    }

    /// <summary><c>Update</c> mode: the inputs' current findings become the baseline's entries for them (reviewed with the lock change).</summary>
    private static void UpdateBaseline(TrainingDataRequest request, List<Input> inputs, List<BaselineEntry> entries, TrainingDataResult result)
    {
        var secrets = request.Secrets;
        if (secrets.BaselinePath is not { } path || !secrets.BaselineUsable || request.BuildAlreadyFails)
        {
            return; // no baseline, or one that cannot be read (MLG803): never rewritten
        }

        if (entries.Count == 0 && !File.Exists(path))
        {
            return; // nothing to accept: no baseline file is created
        }

        var scanned = inputs.Select(i => secrets.BaselineKeyOf(i.FullPath)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (SecretsBaseline.Write(path, secrets.Baseline.Entries.Where(e => !scanned.Contains(e.File)).Concat(entries)))
        {
            result.Notes.Add($"wrote {Path.GetFileName(path)}: {entries.Distinct().Count()} finding(s) in the training inputs accepted. Review and commit it.");
        }

        result.Findings.RemoveAll(f => f.Code == RuleCatalog.CredentialFound.Code);
    }
}
