using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>One training input to validate against its schema.</summary>
public sealed class DataValidationRequest
{
    /// <summary>The data file (findings point here).</summary>
    public required string FilePath { get; init; }

    /// <summary>The input's project-relative path: the subject of findings and the key of its lock entries.</summary>
    public string? Subject { get; init; }

    public required TableFormat Format { get; init; }

    public required TableSchema Schema { get; init; }

    /// <summary>The locked profile: its histogram bins are reused, and drift is measured against it (MLG703).</summary>
    public DataProfile? LockedProfile { get; init; }

    /// <summary>The input's <c>MaxDrift</c>: overrides the schema's thresholds and makes MLG703 an error.</summary>
    public DriftThresholds? MaxDrift { get; init; }

    /// <summary>The input's SHA-256 when the caller already knows it (the stamp cache): a cached verdict is then used without reading.</summary>
    public string? KnownSha256 { get; init; }

    public DataVerdictCache? Cache { get; init; }

    /// <summary>
    /// Check on a second thread while the first one reads (CSV, TSV, JSON Lines; when the machine has two cores). Off by
    /// default: on the shared 2-core benchmark machine it cost about a quarter more CPU and was slower in wall time too
    /// (docs/benchmarks.md); a build has other work for the second core.
    /// </summary>
    public bool Pipelined { get; init; }

    /// <summary>A secret scanner for this file, shown every byte of the read that hashes it (null: only private key blocks are looked for).</summary>
    public Secrets.SecretScanner? Secrets { get; init; }

    /// <summary>Another sink fed the same rows in the same read (the personal-data counter); not fed when the verdict comes from the cache.</summary>
    public ITableSink? AlsoFeed { get; init; }
}

public sealed class DataValidationResult
{
    public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>The profile of what was read; null when the data could not be read (MLG704).</summary>
    public DataProfile? Profile { get; init; }

    /// <summary>The input's digest, computed in the same pass (null when it came from the caller or the cache).</summary>
    public FileDigest? Digest { get; init; }

    public string? Sha256 { get; init; }

    public bool FromCache { get; init; }

    /// <summary>Why the rows could not be read (then the finding is MLG704 and there is no profile); null otherwise or from the cache.</summary>
    public DataFormatException? ReadProblem { get; init; }
}

/// <summary>
/// Validates one training input against its Table Schema (MLG701–MLG704), profiles it and measures its drift against a
/// locked profile (MLG703). CSV, TSV and JSON Lines are validated in the same read that hashes them
/// (<see cref="DigestingStream"/>); Parquet, which is read by seeking, is hashed in a second sequential read. A verdict
/// is cached under the input's digest, the schema's digest, the tool's version and everything else it depends on.
/// </summary>
public static class TrainingDataValidator
{
    /// <exception cref="IOException">The file cannot be opened or read (the caller reports it, as for hashing).</exception>
    public static DataValidationResult Validate(DataValidationRequest request, CancellationToken cancellationToken = default)
    {
        var subject = request.Subject ?? request.FilePath;
        var key = request.KnownSha256 is { } known ? DataVerdictCache.Key(known, request) : null;
        if (key is not null && request.Cache?.TryGet(key, out var cached) == true)
        {
            return new DataValidationResult { Findings = cached.Findings, Profile = cached.Profile, Sha256 = request.KnownSha256, FromCache = true };
        }

        var validator = new TableValidator(request.Schema, request.FilePath, subject, request.Format != TableFormat.Parquet, request.LockedProfile);
        var sink = request.AlsoFeed is null ? (ITableSink)validator : new TeeSink(validator, request.AlsoFeed);
        var read = TableFile.Read(request.FilePath, request.Format, request.Schema.Fields.Select(f => f.Name).ToArray(), sink, request.Secrets,
            cancellationToken, request.Pipelined);
        IReadOnlyList<Finding> findings;
        DataProfile? profile = null;
        if (read.Problem is { } e)
        {
            findings =
            [
                Finding.Create(RuleCatalog.DataUnreadable, new SourceLocation(request.FilePath, (int)Math.Min(e.Line, int.MaxValue), e.Column), subject,
                    subject, request.Format.Name(), e.Reason),
            ];
        }
        else
        {
            (findings, profile) = validator.Complete(request.MaxDrift);
        }

        var sha = read.Digest.Hex;
        request.Cache?.Put(DataVerdictCache.Key(sha, request), new CachedVerdict(findings, profile));
        return new DataValidationResult { Findings = findings, Profile = profile, Digest = read.Digest, Sha256 = sha, ReadProblem = read.Problem };
    }
}
