using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>What a dependency run's answer depends on besides files: the build's settings, and where the verdict lives.</summary>
public sealed class DependencyVerdictOptions
{
    /// <summary>The verdict file under <c>obj/</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Every parameter and item the guard was given, as the build gave them (one string each, in a fixed order).</summary>
    public required IReadOnlyList<string> Settings { get; init; }

    /// <summary>The date suppressions and advisories are judged on: a verdict holds for one day at most.</summary>
    public required DateOnly Today { get; init; }

    /// <summary>
    /// A CI or <c>Locked</c> build: no verdict is used or written, every file is read again. Anyone who can write
    /// <c>obj/</c> could forge a verdict, and a CI cache can carry one over from another build.
    /// </summary>
    public bool Locked { get; init; }

    /// <summary>Files the build read for the run besides the guard's own (the project files that declare the items).</summary>
    public IReadOnlyList<string> WatchedFiles { get; init; } = [];

    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// Remembers a dependency run's findings with the stamps (size, times, file identity) of every file its answer rests on:
/// <c>project.assets.json</c>, the NuGet lock file, every NuGet configuration file NuGet would read (those that do not
/// exist yet too), the offline advisory folder, each package's folder in the global packages folder, the requirements
/// files and the files that declare the items; with the build's settings, the date, MlBuildGuard's build and the
/// environment variables that change what NuGet reads. While all are the same the findings are replayed, and NuGet's
/// libraries are not even loaded. Vulnerability and deprecation data from a feed over the network can change with no
/// local file changing: such a verdict lasts <see cref="NetworkAnswerLifetime"/>, and a run in which a feed failed is
/// not remembered. A run whose inputs changed less than <see cref="RacyWindow"/> ago is not remembered either (a file can
/// change again within the same timestamp).
/// </summary>
public static class DependencyVerdict
{
    /// <summary>How long an answer that came from the network is reused: what this guard already reuses a feed's answer for in one process.</summary>
    public static readonly TimeSpan NetworkAnswerLifetime = TimeSpan.FromMinutes(10);

    internal static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>Environment variables that move NuGet's configuration or caches (besides every <c>NUGET_*</c> one).</summary>
    private static readonly string[] NuGetEnvironment =
    [
        "HOME", "USERPROFILE", "DOTNET_CLI_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "APPDATA", "LOCALAPPDATA",
        "PROGRAMDATA", "PROGRAMFILES", "PROGRAMFILES(X86)", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    ];

    /// <summary>Hands the request builder the findings list (for problems found while building it) and a way to veto the verdict.</summary>
    public sealed class Setup
    {
        public List<Finding> Findings { get; } = new();

        internal bool Unrepeatable { get; private set; }

        /// <summary>The run rests on something no verdict can watch (an unreadable NuGet configuration): it is not remembered.</summary>
        public void DoNotRemember() => Unrepeatable = true;
    }

    /// <summary>
    /// Replays the previous run when nothing it depended on changed; otherwise builds the request (this is where NuGet's
    /// libraries load), runs <see cref="DependencyGuard"/> and remembers the answer. The findings of the request builder
    /// come first, as if the guard had found them.
    /// </summary>
    /// <param name="options">Null for no verdict (tools, tests).</param>
    public static DependencyResult Run(DependencyVerdictOptions? options, Func<Setup, DependencyRequest> request, CancellationToken cancellationToken = default)
    {
        string? why = null;
        if (options is { Locked: false } && TryReplay(options, out why) is { } replayed)
        {
            return replayed;
        }

        var result = RunAndRecord(options, request, cancellationToken);
        if (why is not null)
        {
            result.Notes.Add($"the verdict of the last build was not used: {why}");
        }

        return result;
    }

    /// <summary>Kept out of <see cref="Run"/> so that compiling it loads none of the NuGet types the guard uses.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DependencyResult RunAndRecord(DependencyVerdictOptions? options, Func<Setup, DependencyRequest> request, CancellationToken cancellationToken)
    {
        var setup = new Setup();
        var built = request(setup);
        var result = DependencyGuard.Run(built, cancellationToken);
        result.Findings.InsertRange(0, setup.Findings);
        if (options is { Locked: false } && !built.ContinuousIntegration && !setup.Unrepeatable)
        {
            Record(options, built, result);
        }

        return result;
    }

    /// <summary>The previous run's result, or null when anything it depended on changed (or the verdict is missing or damaged).</summary>
    internal static DependencyResult? TryReplay(DependencyVerdictOptions options, out string why)
    {
        string[] lines;
        try
        {
            if (!File.Exists(options.Path))
            {
                why = "there is none";
                return null;
            }

            lines = File.ReadAllLines(options.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return null;
        }

        var verdict = VerdictText.Parse(lines);
        if (verdict is null || verdict.Key != Key(options))
        {
            why = verdict is null ? "it cannot be read" : "the settings, the date or MlBuildGuard's build changed";
            return null;
        }

        if (verdict.ExpiresTicks != 0 && options.Clock.GetUtcNow().UtcTicks >= verdict.ExpiresTicks)
        {
            why = "its feed answers are older than " + NetworkAnswerLifetime.TotalMinutes + " minutes";
            return null;
        }

        var stamps = WatchedStamps.Of(verdict.Watches, verdict.EnvironmentNames);
        if (stamps is null || stamps.Digest != verdict.StampDigest)
        {
            why = "a file it rests on or an environment variable changed";
            return null;
        }

        var findings = RecordedFindings.FromJson(verdict.FindingsJson);
        if (findings is null)
        {
            why = "its findings cannot be read";
            return null;
        }

        why = "";
        var result = new DependencyResult { PackagesFromCache = verdict.Packages, Replayed = true };
        result.Findings.AddRange(findings);
        return result;
    }

    private static void Record(DependencyVerdictOptions options, DependencyRequest request, DependencyResult result)
    {
        var watches = Watches(options, request, result, out var environment);
        if (watches is null || RecordedFindings.ToJson(result.Findings) is not { } json)
        {
            return;
        }

        var stamps = WatchedStamps.Of(watches, environment);
        var now = options.Clock.GetUtcNow().UtcTicks;
        if (stamps is null || now - stamps.NewestTicks < RacyWindow.Ticks)
        {
            return; // something it rests on cannot be stamped, or changed so recently that it may change again unseen
        }

        var network = request is { Offline: false, Feeds: IObservableFeeds { AskedNetwork: true } };
        var text = new VerdictText(Key(options), network ? now + NetworkAnswerLifetime.Ticks : 0, result.PackagesVerified + result.PackagesFromCache,
            watches, environment, stamps.Digest, json);
        try
        {
            AtomicFile.WriteIfChanged(options.Path, Encoding.UTF8.GetBytes(text.ToText()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only saves time on the next build.
        }
    }

    /// <summary>Everything the run read, as watch entries; null when something it rests on cannot be watched.</summary>
    private static List<Watch>? Watches(DependencyVerdictOptions options, DependencyRequest request, DependencyResult result, out List<string> environment)
    {
        environment = [.. NuGetEnvironment];
        var watches = new List<Watch>();
        void File(string? path)
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                watches.Add(new Watch(WatchKind.File, Path.GetFullPath(path, request.ProjectDirectory)));
            }
        }

        switch (request.Feeds)
        {
            case null:
                break;
            case IObservableFeeds { HadFailure: false, Configuration.Complete: true } feeds:
                feeds.Configuration.Files.ToList().ForEach(File);
                watches.AddRange(feeds.Configuration.Folders.Select(f => new Watch(WatchKind.Folder, f)));
                environment.AddRange(feeds.Configuration.EnvironmentNames);
                break;
            default:
                return null; // feeds that cannot say what they read, or an answer that failed: nothing to rest a verdict on
        }

        File(request.AssetsFile);
        if (!string.IsNullOrWhiteSpace(request.NuGetLockFile))
        {
            File(request.NuGetLockFile);
        }
        else
        {
            // Which lock file NuGet uses depends on which exist (PinningRules.LockFilePath): both are watched.
            File($"packages.{Path.GetFileNameWithoutExtension(request.ProjectFile).Replace(' ', '_')}.lock.json");
            File("packages.lock.json");
        }

        options.WatchedFiles.ToList().ForEach(File);
        request.Declarations.Select(d => d.Location.FilePath).ToList().ForEach(File);
        request.PackageReferences.Select(p => p.DefiningFile).ToList().ForEach(File);
        result.RequirementFiles.ForEach(File);
        if (!string.IsNullOrWhiteSpace(request.AdvisoryDatabase))
        {
            watches.Add(new Watch(WatchKind.Tree, Path.GetFullPath(request.AdvisoryDatabase, request.ProjectDirectory)));
        }

        watches.AddRange(result.PackageFolders.Select(f => new Watch(WatchKind.Tree, f)));
        if (!string.IsNullOrWhiteSpace(request.PackagesFolder))
        {
            watches.Add(new Watch(WatchKind.Presence, request.PackagesFolder)); // integrity is only checked when it exists
        }

        var distinct = watches.Distinct().ToList();
        return distinct.Any(w => w.Path.AsSpan().IndexOfAny('\r', '\n') >= 0) ? null : distinct;
    }

    /// <summary>The settings, the date and MlBuildGuard's build, as one digest.</summary>
    private static string Key(DependencyVerdictOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string part) => hash.AppendData(Encoding.UTF8.GetBytes($"{part.Length}:{part}\n"));
        Add(typeof(DependencyVerdict).Assembly.ManifestModule.ModuleVersionId.ToString());
        Add(options.Today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        foreach (var setting in options.Settings)
        {
            Add(setting);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
