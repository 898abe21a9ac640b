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
}
