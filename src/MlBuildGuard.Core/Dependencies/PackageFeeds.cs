using MlBuildGuard.Core.Dependencies.Advisories;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging.Core;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>Vulnerability data one feed supplied, or why it supplied none.</summary>
public sealed record FeedAdvisories(string Source, AdvisorySet? Advisories, string? Error);

/// <summary>A package's deprecation as its feed publishes it.</summary>
public sealed record PackageDeprecation(IReadOnlyList<string> Reasons, string? Message, string? AlternatePackage);

/// <summary>The user's NuGet configuration and the feeds it names.</summary>
public interface IPackageFeeds
{
    /// <summary>The enabled package sources (name, URL or folder).</summary>
    IReadOnlyList<(string Name, string Source)> PackageSources { get; }

    /// <summary>Whether nuget.config maps packages to sources (package source mapping).</summary>
    bool SourceMappingEnabled { get; }

    /// <summary>Vulnerability data from the audit sources (or, when none are configured, the package sources).</summary>
    IReadOnlyList<FeedAdvisories> GetAdvisories(CancellationToken cancellationToken);

    /// <summary>Deprecation of one package version from the feed it came from; null when not deprecated or unknown.</summary>
    PackageDeprecation? GetDeprecation(string id, NuGetVersion version, string? source, CancellationToken cancellationToken);
}

/// <summary>
/// Feeds that can say what their answers depended on, so a run's verdict can be kept (<see cref="DependencyVerdict"/>):
/// the configuration files read, and whether anything came from the network. Feeds that cannot say are never remembered.
/// </summary>
public interface IObservableFeeds : IPackageFeeds
{
    /// <summary>What was read to learn the sources: see <see cref="NuGetConfigurationFiles"/>.</summary>
    NuGetConfigurationFiles Configuration { get; }

    /// <summary>Whether an answer came (now or earlier in this process) from a feed over the network.</summary>
    bool AskedNetwork { get; }

    /// <summary>Whether a feed failed to answer: a passing failure must not be remembered as the answer.</summary>
    bool HadFailure { get; }
}

/// <summary>
/// <see cref="IPackageFeeds"/> over NuGet's own libraries: nuget.config through NuGet.Configuration (sources,
/// credentials, <c>auditSources</c>, package source mapping), feeds through NuGet.Protocol's VulnerabilityInfo and
/// package-metadata resources. HTTP responses go through NuGet's HTTP cache (30 minutes by default) and are kept per
/// process for the build, so a build asks each feed at most once.
/// </summary>
public sealed class NuGetPackageFeeds : IObservableFeeds
{
    private static readonly TimeSpan RequestBudget = TimeSpan.FromSeconds(100);
    private static readonly Dictionary<string, (DateTime At, FeedAdvisories Result)> AdvisoryMemo = new(StringComparer.Ordinal);
    private static readonly TimeSpan MemoLifetime = TimeSpan.FromMinutes(10);

    private readonly IReadOnlyList<PackageSource> _packageSources;
    private readonly IReadOnlyList<PackageSource> _auditSources;

    private NuGetPackageFeeds(IReadOnlyList<PackageSource> packageSources, IReadOnlyList<PackageSource> auditSources, bool mapping, NuGetConfigurationFiles configuration)
    {
        _packageSources = packageSources;
        _auditSources = auditSources;
        SourceMappingEnabled = mapping;
        Configuration = configuration;
    }

    public NuGetConfigurationFiles Configuration { get; }

    public bool AskedNetwork { get; private set; }

    public bool HadFailure { get; private set; }

    public IReadOnlyList<(string Name, string Source)> PackageSources => _packageSources.Select(s => (s.Name, s.Source)).ToList();

    public bool SourceMappingEnabled { get; }

    /// <summary>Loads the NuGet configuration that applies to <paramref name="projectDirectory"/>; throws <see cref="DependencyDataException"/> on a malformed nuget.config.</summary>
    public static NuGetPackageFeeds Load(string projectDirectory)
    {
        try
        {
            var settings = Settings.LoadDefaultSettings(projectDirectory);
            var provider = new PackageSourceProvider(settings);
            var sources = provider.LoadPackageSources().Where(s => s.IsEnabled).ToList();
            var audit = provider.LoadAuditSources().Where(s => s.IsEnabled).ToList();
            var configuration = NuGetConfigurationFiles.For(projectDirectory, settings.GetConfigFilePaths(),
                NuGetEnvironment.GetFolderPath(NuGetFolderPath.UserSettingsDirectory), NuGetEnvironment.GetFolderPath(NuGetFolderPath.MachineWideConfigDirectory));
            return new NuGetPackageFeeds(sources, audit, PackageSourceMapping.GetPackageSourceMapping(settings).IsEnabled, configuration);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // NuGet.Configuration reports most damage as NuGetConfigurationException, but not all of it (an element without
            // the attribute it needs can surface as KeyNotFoundException): whatever it throws, the file cannot be read.
            throw new DependencyDataException($"the NuGet configuration cannot be read: {e.Message}");
        }
    }

    public IReadOnlyList<FeedAdvisories> GetAdvisories(CancellationToken cancellationToken)
    {
        var sources = _auditSources.Count > 0 ? _auditSources : _packageSources;
        var results = sources.Select(s => GetAdvisories(s, cancellationToken)).ToList();
        AskedNetwork |= sources.Any(s => s.IsHttp);
        HadFailure |= results.Any(r => r.Error is not null);
        return results;
    }

    private static FeedAdvisories GetAdvisories(PackageSource source, CancellationToken cancellationToken)
    {
        lock (AdvisoryMemo)
        {
            if (AdvisoryMemo.TryGetValue(source.Source, out var memo) && DateTime.UtcNow - memo.At < MemoLifetime)
            {
                return memo.Result;
            }
        }

        var result = Fetch(source, cancellationToken);
        if (result.Error is null)
        {
            lock (AdvisoryMemo)
            {
                AdvisoryMemo[source.Source] = (DateTime.UtcNow, result);
            }
        }

        return result;
    }

    private static FeedAdvisories Fetch(PackageSource source, CancellationToken cancellationToken)
    {
        if (!source.IsHttp)
        {
            return new FeedAdvisories(source.Source, null, null); // a folder feed has no vulnerability resource
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestBudget);
        try
        {
            var repository = Repository.Factory.GetCoreV3(source);
            var resource = repository.GetResourceAsync<IVulnerabilityInfoResource>(timeout.Token).GetAwaiter().GetResult();
            if (resource is null)
            {
                return new FeedAdvisories(source.Source, null, null);
            }

            using var cache = new SourceCacheContext();
            var info = resource.GetVulnerabilityInfoAsync(cache, NullLogger.Instance, timeout.Token).GetAwaiter().GetResult();
            if (info.Exceptions is { } errors)
            {
                return new FeedAdvisories(source.Source, null, string.Join("; ", errors.InnerExceptions.Select(e => OneLine(e.Message)).Distinct()));
            }

            var set = new AdvisorySet();
            foreach (var page in info.KnownVulnerabilities ?? [])
            {
                foreach (var (id, list) in page)
                {
                    foreach (var v in list)
                    {
                        var url = v.Url.AbsoluteUri;
                        var fixedVersion = v.Versions.HasUpperBound && !v.Versions.IsMaxInclusive ? v.Versions.MaxVersion!.ToNormalizedString() : null;
                        set.Add(new Advisory(url, url, id, v.Versions, (AdvisorySeverity)(int)v.Severity, fixedVersion, source.Source));
                    }
                }
            }

            return new FeedAdvisories(source.Source, set, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FeedAdvisories(source.Source, null, $"no answer within {RequestBudget.TotalSeconds:0} seconds");
        }
        catch (Exception e) when (e is FatalProtocolException or HttpRequestException or IOException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return new FeedAdvisories(source.Source, null, OneLine(e.Message));
        }
    }

    public PackageDeprecation? GetDeprecation(string id, NuGetVersion version, string? source, CancellationToken cancellationToken)
    {
        var candidates = _packageSources.Where(s => s.IsHttp && (source is null || SameSource(s.Source, source))).ToList();
        AskedNetwork |= candidates.Count > 0;
        foreach (var feed in candidates)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestBudget);
            try
            {
                var metadata = Repository.Factory.GetCoreV3(feed).GetResourceAsync<PackageMetadataResource>(timeout.Token).GetAwaiter().GetResult();
                if (metadata is null)
                {
                    continue;
                }

                using var cache = new SourceCacheContext();
                var found = metadata.GetMetadataAsync(new PackageIdentity(id, version), cache, NullLogger.Instance, timeout.Token).GetAwaiter().GetResult();
                var deprecation = found?.GetDeprecationMetadataAsync().GetAwaiter().GetResult();
                if (deprecation is not null)
                {
                    var alternate = deprecation.AlternatePackage is { } alt
                        ? (alt.Range is null || alt.Range.Equals(NuGet.Versioning.VersionRange.All) ? alt.PackageId : $"{alt.PackageId} {alt.Range.ToNormalizedString()}")
                        : null;
                    return new PackageDeprecation(deprecation.Reasons?.ToList() ?? [], deprecation.Message, alternate);
                }
            }
            catch (Exception e) when (e is FatalProtocolException or HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
            {
                // Deprecation is advisory information; a feed that cannot answer leaves it unknown (and this run is not remembered).
                HadFailure = true;
            }
        }

        return null;
    }

    public static bool SameSource(string a, string b) =>
        string.Equals(a.Trim().TrimEnd('/'), b.Trim().TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private static string OneLine(string text)
    {
        var cut = text.IndexOfAny(['\r', '\n']);
        return cut >= 0 ? text[..cut] : text;
    }
}
