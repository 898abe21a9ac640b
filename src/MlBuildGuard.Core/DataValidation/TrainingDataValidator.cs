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
        FileDigest? digest = null;
        IReadOnlyList<Finding> findings;
        DataProfile? profile = null;
        try
        {
            if (request.Format == TableFormat.Parquet)
            {
                using (var file = new FileStream(request.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.RandomAccess))
                {
                    ParquetTableReader.Read(file, validator, cancellationToken);
                }

                digest = request.KnownSha256 is null ? Sha256File.Compute(request.FilePath, cancellationToken) : null;
            }
            else
            {
                using var file = Sha256File.OpenSequential(request.FilePath);
                using var digesting = new DigestingStream(file);
                // Optionally, reading (and hashing) and checking run side by side; the checks see the same rows in order.
                using var pipeline = request.Pipelined && Environment.ProcessorCount > 1 ? new PipelinedSink(validator) : null;
                try
                {
                    Read(request, digesting, (ITableSink?)pipeline ?? validator, cancellationToken);
                    pipeline?.Finish();
                }
                finally
                {
                    // Hash what the reader left (all of it after an early format error), so the digest is always whole.
                    digest = digesting.Finish(cancellationToken);
                }
            }

            (findings, profile) = validator.Complete(request.MaxDrift);
        }
        catch (DataFormatException e)
        {
            findings =
            [
                Finding.Create(RuleCatalog.DataUnreadable, new SourceLocation(request.FilePath, (int)Math.Min(e.Line, int.MaxValue), e.Column), subject,
                    subject, request.Format.Name(), e.Reason),
            ];
        }

        if (digest is null && request.KnownSha256 is null)
        {
            digest = Sha256File.Compute(request.FilePath, cancellationToken); // Parquet that failed before its hashing pass
        }

        var sha = digest?.Hex ?? request.KnownSha256!;
        request.Cache?.Put(DataVerdictCache.Key(sha, request), new CachedVerdict(findings, profile));
        return new DataValidationResult { Findings = findings, Profile = profile, Digest = digest, Sha256 = sha };
    }

    private static void Read(DataValidationRequest request, Stream stream, ITableSink sink, CancellationToken cancellationToken)
    {
        switch (request.Format)
        {
            case TableFormat.Csv:
                SeparatedValuesReader.Read(stream, ',', sink, cancellationToken);
                break;
            case TableFormat.Tsv:
                SeparatedValuesReader.Read(stream, '\t', sink, cancellationToken);
                break;
            default:
                JsonLinesReader.Read(stream, request.Schema.Fields.Select(f => f.Name).ToArray(), sink, cancellationToken);
                break;
        }
    }
}
