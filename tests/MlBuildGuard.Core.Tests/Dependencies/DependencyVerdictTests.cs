using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Dependencies.Advisories;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Testing;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

/// <summary>
/// The dependency verdict: an unchanged project's findings are replayed without building the request (so without
/// loading NuGet); any change to what the answer rests on runs the guard again.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class DependencyVerdictTests : IDisposable
{
    private readonly PackageCacheLayout _layout = new();
    private int _built;

    public void Dispose() => _layout.Dispose();

    /// <summary>Real time moved on: the files the layout just wrote are past the window in which a stamp cannot be trusted.</summary>
    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }

    private sealed class NetworkFeeds(NuGetConfigurationFiles configuration, bool fails = false) : IObservableFeeds
    {
        public IReadOnlyList<(string Name, string Source)> PackageSources => [("feed", "https://feed.internal.test/v3/index.json")];

        public bool SourceMappingEnabled => true;

        public NuGetConfigurationFiles Configuration => configuration;

        public bool AskedNetwork { get; private set; }

        public bool HadFailure => fails;

        public IReadOnlyList<FeedAdvisories> GetAdvisories(CancellationToken cancellationToken)
        {
            AskedNetwork = true;
            return [new FeedAdvisories("https://feed.internal.test/v3/index.json", fails ? null : new AdvisorySet(), fails ? "503 Service Unavailable" : null)];
        }

        public PackageDeprecation? GetDeprecation(string id, NuGetVersion version, string? source, CancellationToken cancellationToken) => null;
    }

    private string VerdictPath => Path.Combine(_layout.AppDirectory, "obj", "mlguard", "dependencies.verdict");

    private DependencyVerdictOptions Options(string today = "2026-12-07", bool locked = false, TimeSpan? shift = null, params string[] settings) => new()
    {
        Path = VerdictPath,
        Settings = settings.Length == 0 ? ["Offline=true"] : settings,
        Today = DateOnly.ParseExact(today, "yyyy-MM-dd"),
        Locked = locked,
        WatchedFiles = [_layout.ProjectFile],
        Clock = new ShiftedClock(shift ?? TimeSpan.FromSeconds(10)),
    };

    /// <summary>Offline, with NuGet's real configuration loader (so the configuration files are watched) and no advisory folder: MLG203.</summary>
    private DependencyRequest Build(DependencyVerdict.Setup setup, IPackageFeeds? feeds = null, IReadOnlyList<string>? requirements = null)
    {
        _built++;
        setup.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(_layout.ProjectFile), null, "a finding of the request builder"));
        return _layout.Request(withAdvisories: false, feeds: feeds ?? NuGetPackageFeeds.Load(_layout.AppDirectory), offline: feeds is null, requirements: requirements);
    }

    private DependencyResult Run(DependencyVerdictOptions options, Func<DependencyVerdict.Setup, DependencyRequest>? build = null) =>
        DependencyVerdict.Run(options, build ?? (s => Build(s)));

    /// <summary>Runs once to record the verdict, and shows the second run replays it.</summary>
    private DependencyResult Recorded(Func<DependencyVerdict.Setup, DependencyRequest>? build = null, DependencyVerdictOptions? options = null)
    {
        File.WriteAllText(_layout.ProjectFile, "<Project />\n");
        var first = Run(options ?? Options(), build);
        Assert.False(first.Replayed);
        Assert.True(File.Exists(VerdictPath), "a clean, settled run is remembered");
        var second = Run(options ?? Options(), build);
        Assert.True(second.Replayed);
        Assert.Equal(first.Findings, second.Findings);
        return first;
    }

    [Fact]
    public void An_unchanged_project_replays_the_same_findings_without_building_the_request()
    {
        var first = Recorded();

        Assert.Equal(["MLG002", "MLG203"], first.Findings.Select(f => f.Code));
        Assert.Equal(Severity.Warning, first.Findings[1].Severity);
        Assert.Equal(1, _built); // the replay built no request: NuGet's configuration was not read, nothing was parsed
        var third = Run(Options());
        Assert.True(third.Replayed);
        Assert.Equal(1, third.PackagesFromCache);
        Assert.Equal(first.Findings.Select(f => (f.Rule, f.Severity, f.Message, f.Location, f.Subject, f.SubjectKind)),
            third.Findings.Select(f => (f.Rule, f.Severity, f.Message, f.Location, f.Subject, f.SubjectKind)));
    }

    public static TheoryData<string> Changes() =>
    [
        "lock file", "package file added", "package file changed", "nuget.config created in the project",
        "nuget.config created above the project", "declaring project file", "packages folder removed",
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void Any_changed_input_runs_the_guard_again(string change)
    {
        Recorded();
        var above = Path.Combine(Path.GetDirectoryName(_layout.AppDirectory)!, "nuget.config");
        switch (change)
        {
            case "lock file":
                File.AppendAllText(_layout.LockPath, "\n");
                break;
            case "package file added":
                File.WriteAllText(_layout.InPackage("build/evil.targets"), "<Project />");
                break;
            case "package file changed":
                File.AppendAllText(_layout.InPackage("lib/net10.0/Foo.dll"), "x");
                break;
            case "nuget.config created in the project":
                File.WriteAllText(Path.Combine(_layout.AppDirectory, "nuget.config"), "<configuration />");
                break;
            case "nuget.config created above the project":
                File.WriteAllText(above, "<configuration />");
                break;
            case "declaring project file":
                File.AppendAllText(_layout.ProjectFile, "<!-- edited -->\n");
                break;
            case "packages folder removed":
                Directory.Delete(_layout.PackagesFolder, recursive: true);
                break;
        }

        var after = Run(Options());

        Assert.False(after.Replayed, change);
        Assert.Equal(2, _built);
        if (change == "package file added")
        {
            Assert.Contains(after.Findings, f => f.Code == "MLG105");
        }
    }

    [Fact]
    public void An_advisory_folder_is_watched_file_by_file()
    {
        var options = Options();
        DependencyRequest WithAdvisories(DependencyVerdict.Setup s)
        {
            _built++;
            return _layout.Request(feeds: NuGetPackageFeeds.Load(_layout.AppDirectory), offline: true);
        }

        Assert.Empty(Recorded(WithAdvisories, options).Findings);
        _layout.WriteAdvisory("GHSA-aaaa-bbbb-cccc.json", "{ not json");

        var after = Run(options, WithAdvisories);

        Assert.False(after.Replayed);
        Assert.Contains(after.Findings, f => f.Code == "MLG203");
    }

    [Fact]
    public void Changed_settings_a_new_day_and_a_Locked_build_each_run_the_guard_again()
    {
        Recorded();

        Assert.False(Run(Options(settings: ["Offline=true", "AuditErrorLevel=low"])).Replayed);
        Assert.False(Run(Options(today: "2026-12-08")).Replayed);
        Assert.False(Run(Options(locked: true)).Replayed);
        Assert.Equal(4, _built);

        // A verdict holds for one set of settings on one day: the last ordinary run's.
        Assert.False(Run(Options(today: "2026-12-08", settings: ["Offline=true", "AuditErrorLevel=low"])).Replayed);
        Assert.True(Run(Options(today: "2026-12-08", settings: ["Offline=true", "AuditErrorLevel=low"])).Replayed);
    }

    [Fact]
    public void A_changed_requirements_file_and_an_environment_variable_the_configuration_names_run_it_again()
    {
        var requirements = Path.Combine(_layout.AppDirectory, "requirements.txt");
        var included = Path.Combine(_layout.AppDirectory, "base.txt");
        File.WriteAllText(requirements, "-r base.txt\n");
        File.WriteAllText(included, "numpy==1.26.4\n");
        var variable = "MLGUARD_TEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        File.WriteAllText(Path.Combine(_layout.AppDirectory, "nuget.config"),
            $"<configuration><config><add key=\"http_proxy\" value=\"%{variable}%\" /></config></configuration>");
        DependencyRequest Build2(DependencyVerdict.Setup s) => Build(s, requirements: [requirements]);

        Recorded(Build2);
        File.AppendAllText(included, "pandas==2.2.0\n"); // reached only through -r
        Assert.False(Run(Options(), Build2).Replayed);
        Assert.True(Run(Options(), Build2).Replayed);

        try
        {
            Environment.SetEnvironmentVariable(variable, "http://proxy.internal.test:3128");
            Assert.False(Run(Options(), Build2).Replayed);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void An_answer_from_the_network_holds_for_a_bounded_time_and_a_failed_one_is_not_remembered()
    {
        var configuration = NuGetConfigurationFiles.For(_layout.AppDirectory, [], null, null);
        DependencyRequest Online(DependencyVerdict.Setup s)
        {
            _built++;
            return _layout.Request(withAdvisories: false, feeds: new NetworkFeeds(configuration), offline: false);
        }

        Recorded(Online);
        Assert.True(Run(Options(shift: DependencyVerdict.NetworkAnswerLifetime - TimeSpan.FromMinutes(1)), Online).Replayed);
        Assert.False(Run(Options(shift: DependencyVerdict.NetworkAnswerLifetime + TimeSpan.FromMinutes(1)), Online).Replayed);

        File.Delete(VerdictPath);
        DependencyRequest Failing(DependencyVerdict.Setup s) => _layout.Request(withAdvisories: false, feeds: new NetworkFeeds(configuration, fails: true), offline: false);
        var failed = Run(Options(), Failing);
        Assert.Contains(failed.Findings, f => f.Code == "MLG203" && f.Message.Contains("503", StringComparison.Ordinal));
        Assert.False(File.Exists(VerdictPath), "a feed that failed may answer next time");
    }

    [Fact]
    public void Feeds_that_cannot_say_what_they_read_and_a_vetoed_run_are_not_remembered()
    {
        File.WriteAllText(_layout.ProjectFile, "<Project />\n");
        Run(Options(), s =>
        {
            s.DoNotRemember();
            return Build(s);
        });
        Assert.False(File.Exists(VerdictPath));

        Run(Options(), s => _layout.Request(withAdvisories: false, feeds: new PlainFeeds(), offline: true));
        Assert.False(File.Exists(VerdictPath));
    }

    private sealed class PlainFeeds : IPackageFeeds
    {
        public IReadOnlyList<(string Name, string Source)> PackageSources => [];

        public bool SourceMappingEnabled => false;

        public IReadOnlyList<FeedAdvisories> GetAdvisories(CancellationToken cancellationToken) => [];

        public PackageDeprecation? GetDeprecation(string id, NuGetVersion version, string? source, CancellationToken cancellationToken) => null;
    }

    [Fact]
    public void Inputs_that_changed_moments_ago_are_not_remembered()
    {
        File.WriteAllText(_layout.ProjectFile, "<Project />\n");

        Run(Options(shift: TimeSpan.Zero));

        Assert.False(File.Exists(VerdictPath), "a file written within the last two seconds may change again with the same stamp");
    }

    [Theory]
    [InlineData("")]
    [InlineData("mlguard-dependency-verdict-1\nkey x\n")]
    [InlineData("garbage")]
    public void A_damaged_or_forged_verdict_runs_the_guard(string text)
    {
        Recorded();
        File.WriteAllText(VerdictPath, text);

        Assert.False(Run(Options()).Replayed);
    }

    [Fact]
    public void A_verdict_whose_findings_were_tampered_with_is_not_replayed()
    {
        Recorded();
        var text = File.ReadAllText(VerdictPath);
        File.WriteAllText(VerdictPath, text.Replace("\"Code\":\"MLG203\"", "\"Code\":\"MLG999\"", StringComparison.Ordinal));

        Assert.False(Run(Options()).Replayed);
    }
}
