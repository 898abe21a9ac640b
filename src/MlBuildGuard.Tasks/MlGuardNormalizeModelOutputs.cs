using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reproducibility;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Rewrites zip-based model outputs (<c>@(MlModelOutput)</c> files whose <c>Normalize</c> metadata is not false) into
/// their canonical form — sorted entries, '/' names, one timestamp from <c>SOURCE_DATE_EPOCH</c> (default 1980-01-01), no
/// platform fields — so the same training gives the same bytes on every machine; see <see cref="ZipNormalizer"/>. Other
/// files and folders are left as they are. An archive that cannot be normalized is left untouched and named in a message:
/// the reproducibility check (MLG503) and the model scan still judge it.
/// </summary>
public sealed class MlGuardNormalizeModelOutputs : MlGuardTask
{
    /// <summary><c>@(MlModelOutput)</c>.</summary>
    public ITaskItem[] Outputs { get; set; } = [];

    /// <summary><c>$(SOURCE_DATE_EPOCH)</c>: seconds since 1970 for every entry's timestamp; empty for 1980-01-01.</summary>
    public string? SourceDateEpoch { get; set; }

    /// <summary>Stamps of outputs already normalized, so an unchanged model is not read again (ignored in Locked mode).</summary>
    public string? CacheFile { get; set; }

    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    protected override string GuardName => "model-output-normalization";

    protected override void Run(List<Finding> findings)
    {
        DateTimeOffset timestamp;
        try
        {
            timestamp = Core.Reproducibility.SourceDateEpoch.Resolve(SourceDateEpoch);
        }
        catch (FormatException e)
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(FullPath(ProjectFile)), null, e.Message));
            return;
        }

        var mode = LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out _);
        var cachePath = mode == Core.Configuration.LockMode.Locked || string.IsNullOrEmpty(CacheFile) ? null : FullPath(CacheFile);
        var cache = ZipNormalizationCache.Load(cachePath);
        foreach (var output in Outputs.Where(o => !string.Equals(o.GetMetadata("Normalize"), "false", StringComparison.OrdinalIgnoreCase)))
        {
            CancellationToken.ThrowIfCancellationRequested();
            var path = FullPath(output.ItemSpec);
            if (!File.Exists(path))
            {
                continue; // folders are not archives; a missing output is the scan's to report
            }

            if (cache.IsKnownNormal(path, timestamp))
            {
                continue;
            }

            var outcome = ZipNormalizer.Normalize(path, timestamp, CancellationToken);
            cache.Remember(path, timestamp);
            switch (outcome.Outcome)
            {
                case ZipNormalizationOutcome.Rewritten:
                    Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard: normalized '{output.ItemSpec}' ({outcome.EntryCount} entries, timestamp {timestamp:yyyy-MM-dd HH:mm:ss}Z).");
                    break;
                case ZipNormalizationOutcome.Refused:
                    Log.LogMessage(MessageImportance.High, $"MlBuildGuard: '{output.ItemSpec}' was not normalized: {outcome.Reason}.");
                    break;
            }
        }

        cache.Save(cachePath);
    }
}
