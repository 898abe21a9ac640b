using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

public sealed class DependencyTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeBuildEngine _engine = new();

    public void Dispose() => _dir.Dispose();

    private MlGuardVerifyDependencies Task(params ITaskItem[] references) => new()
    {
        BuildEngine = _engine,
        ProjectDirectory = _dir.Path,
        ProjectFile = _dir.Combine("app.csproj"),
        PackageReferences = references,
        RestorePackagesWithLockFile = "true",
        Offline = "true",
        Today = "2026-11-26",
    };

    [Fact]
    public void A_malformed_nuget_config_is_a_coded_finding_not_a_crash()
    {
        _dir.Write("app.csproj", "<Project />");
        _dir.Write("packages.lock.json", "{ \"version\": 1, \"dependencies\": { \"net10.0\": {} } }");
        _dir.Write("nuget.config", "<configuration><packageSources><add key=\"x\" </configuration>");

        var ok = Task().Execute();

        Assert.True(ok, "MLG203 is a warning outside CI");
        var warning = Assert.Single(_engine.Warnings, w => w.Code == "MLG203" && w.Message!.Contains("cannot be read", StringComparison.Ordinal));
        Assert.Contains("NuGet configuration", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_engine.Errors, e => e.Code == "MLG004");
    }

    [Fact]
    public void A_floating_version_points_at_the_line_that_declares_it()
    {
        var project = _dir.Write("app.csproj", "<Project>\n  <ItemGroup>\n    <PackageReference Include=\"Contoso.Good\" Version=\"1.*\" />\n  </ItemGroup>\n</Project>\n");
        _dir.Write("packages.lock.json", "{ \"version\": 1, \"dependencies\": { \"net10.0\": {} } }");
        var task = Task(new TaskItem("Contoso.Good", new Dictionary<string, string> { ["Version"] = "1.*", ["DefiningProjectFullPath"] = project }));
        task.DeclaringFiles = [project];

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("MLG101", project, 3, 6), (error.Code, error.File, error.LineNumber, error.ColumnNumber));
    }

    [Fact]
    public void Invalid_settings_are_MLG002_and_fail_closed()
    {
        _dir.Write("app.csproj", "<Project />");
        _dir.Write("packages.lock.json", "{ \"version\": 1, \"dependencies\": { \"net10.0\": {} } }");
        var task = Task();
        task.AuditErrorLevel = "severe";
        task.DeniedPackages = [new TaskItem("Contoso.Bad", new Dictionary<string, string> { ["Versions"] = "[oops" })];

        Assert.False(task.Execute());

        Assert.Equal(2, _engine.Errors.Count(e => e.Code == "MLG002"));
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("MlGuardAuditErrorLevel is 'severe'", StringComparison.Ordinal));
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("denied in every version", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unchanged_project_replays_its_findings_from_the_verdict()
    {
        var project = _dir.Write("app.csproj", "<Project>\n  <ItemGroup>\n    <PackageReference Include=\"Contoso.Good\" Version=\"1.*\" />\n  </ItemGroup>\n</Project>\n");
        _dir.Write("packages.lock.json", "{ \"version\": 1, \"dependencies\": { \"net10.0\": {} } }");
        MlGuardVerifyDependencies Build(FakeBuildEngine engine)
        {
            var task = Task(new TaskItem("Contoso.Good", new Dictionary<string, string> { ["Version"] = "1.*", ["DefiningProjectFullPath"] = project }));
            task.BuildEngine = engine;
            task.DeclaringFiles = [project];
            task.VerdictFile = _dir.Combine("obj", "mlguard", "dependencies.verdict");
            return task;
        }

        // Files written this moment are not trusted to a verdict (their stamp may not move on the next write): let them age.
        Thread.Sleep(TimeSpan.FromSeconds(2.2));
        Assert.False(Build(_engine).Execute());
        Assert.True(File.Exists(_dir.Combine("obj", "mlguard", "dependencies.verdict")));

        var again = new FakeBuildEngine();
        Assert.False(Build(again).Execute());

        Assert.Contains(again.Messages, m => m.Message!.Contains("nothing changed since the last build", StringComparison.Ordinal));
        Assert.Equal(_engine.Errors.Select(e => (e.Code, e.File, e.LineNumber, e.ColumnNumber, e.Message)), again.Errors.Select(e => (e.Code, e.File, e.LineNumber, e.ColumnNumber, e.Message)));
        Assert.Equal(_engine.Warnings.Select(w => (w.Code, w.Message)), again.Warnings.Select(w => (w.Code, w.Message)));
        Assert.Equal("MLG101", Assert.Single(again.Errors).Code);
        Assert.Contains(again.Warnings, w => w.Code == "MLG203");

        // On CI the verdict is neither read nor written.
        var ci = Build(new FakeBuildEngine());
        ci.ContinuousIntegrationBuild = "true";
        ci.Execute();
        Assert.DoesNotContain(((FakeBuildEngine)ci.BuildEngine).Messages, m => m.Message!.Contains("nothing changed since the last build", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_parameter_that_can_change_the_findings_is_in_the_verdict_key()
    {
        // Parameters that only change how findings are reported (the base task applies them to replayed findings too).
        var reportingOnly = new HashSet<string> { "BuildEngine", "HostObject", "SarifFile", "FindingsDirectory", "WarningsAsMessages", "ConfigurationFailed", "VerdictFile" };
        var parameters = typeof(MlGuardVerifyDependencies).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.CanWrite && !reportingOnly.Contains(p.Name)).ToList();
        Assert.Contains(parameters, p => p.Name == "PackageReferences");
        Assert.Contains(parameters, p => p.Name == "Suppressions");

        foreach (var parameter in parameters)
        {
            var task = Task(new TaskItem("Contoso.Good", new Dictionary<string, string> { ["Version"] = "1.0.0" }));
            var before = task.VerdictSettings();
            object value = parameter.PropertyType == typeof(string) ? "changed"
                : parameter.PropertyType == typeof(string[]) ? new[] { "changed" }
                : parameter.PropertyType == typeof(ITaskItem[]) ? new ITaskItem[] { new TaskItem("changed") }
                : throw new InvalidOperationException($"{parameter.Name}: a parameter of a new type; decide whether it belongs in the verdict key");
            parameter.SetValue(task, value);

            Assert.NotEqual(before, task.VerdictSettings());
        }

        var metadata = Task(new TaskItem("Contoso.Good", new Dictionary<string, string> { ["Version"] = "1.0.0" }));
        var original = metadata.VerdictSettings();
        metadata.PackageReferences[0].SetMetadata("Version", "1.0.1");
        Assert.NotEqual(original, metadata.VerdictSettings());
    }
}
