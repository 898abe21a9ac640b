using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

public sealed class AuditCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Cli.Run(args);

    private string LockWith(string id, string version) => _dir.Write("app/packages.lock.json", $$"""
        {
          "version": 1,
          "dependencies": {
            "net10.0": {
              "{{id}}": { "type": "Direct", "requested": "[{{version}}, )", "resolved": "{{version}}", "contentHash": "AAAA" }
            }
          }
        }
        """);

    private string Advisories()
    {
        _dir.Write("osv/ADV-1.json", """
            { "id": "ADV-1", "modified": "2026-01-01T00:00:00Z",
              "affected": [ { "package": { "ecosystem": "NuGet", "name": "Contoso.Vulnerable" },
                              "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "fixed": "2.0.0" } ] } ] } ],
              "database_specific": { "severity": "CRITICAL" } }
            """);
        return _dir.Combine("osv");
    }

    [Fact]
    public void A_vulnerable_locked_package_is_reported_in_canonical_form_with_exit_code_1()
    {
        var lockFile = LockWith("Contoso.Vulnerable", "1.5.0");

        var (code, stdout, _) = Run("audit", lockFile, "--advisories", Advisories(), "--offline");

        Assert.Equal(1, code);
        Assert.Contains($"{lockFile}: error MLG201: Package Contoso.Vulnerable 1.5.0 has a known vulnerability of critical severity, ADV-1", stdout, StringComparison.Ordinal);
        Assert.Contains("first fixed in 2.0.0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clean_lock_exits_0()
    {
        var lockFile = LockWith("Contoso.Vulnerable", "2.0.0");

        var (code, stdout, stderr) = Run("audit", lockFile, "--advisories", Advisories(), "--offline");

        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        Assert.Contains("0 error(s), 0 warning(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_advisories_offline_there_is_no_vulnerability_data_MLG203()
    {
        var (code, stdout, _) = Run("audit", LockWith("Contoso.Good", "1.0.0"), "--offline");

        Assert.Equal(0, code);
        Assert.Contains("warning MLG203", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_lock_is_MLG104_with_a_position()
    {
        var lockFile = _dir.Write("app/packages.lock.json", "{\n  \"version\": 1,\n  \"dependencies\": {\n");

        var (code, stdout, _) = Run("audit", lockFile, "--offline", "--advisories", Advisories());

        Assert.Equal(1, code);
        Assert.Contains($"{lockFile}(4,1): error MLG104", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("audit")]
    [InlineData("audit", "/no/such/project.csproj")]
    public void Usage_and_io_errors_exit_2(params string[] args)
    {
        var (code, _, stderr) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains("mlguard", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_project_that_was_never_restored_is_exit_2_with_the_reason()
    {
        var project = _dir.Write("app/app.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />");

        var (code, _, stderr) = Run("audit", project, "--offline");

        Assert.Equal(2, code);
        Assert.Contains("restore the project first", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_project_is_audited_with_the_settings_MSBuild_evaluates_for_it_Directory_Build_props_included()
    {
        var advisories = Advisories();
        _dir.Write("Directory.Build.props", $"""
            <Project>
              <PropertyGroup>
                <MlGuardOffline>true</MlGuardOffline>
                <MlGuardAdvisoryDatabase>{advisories}</MlGuardAdvisoryDatabase>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Contoso.Vulnerable" Version="1.5.0" />
              </ItemGroup>
            </Project>
            """);
        var project = _dir.Write("app/app.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        _dir.Write("app/obj/project.assets.json", $$"""
            {
              "version": 3,
              "targets": { "net10.0": { "Contoso.Vulnerable/1.5.0": { "type": "package" } } },
              "libraries": { "Contoso.Vulnerable/1.5.0": { "sha512": "AAAA", "type": "package", "path": "contoso.vulnerable/1.5.0", "files": [] } },
              "projectFileDependencyGroups": { "net10.0": [ "Contoso.Vulnerable >= 1.5.0" ] },
              "packageFolders": { "{{_dir.Combine("packages").Replace("\\", "/")}}/": {} },
              "project": { "version": "1.0.0", "restore": { "projectName": "app", "projectPath": "{{project.Replace("\\", "/")}}", "projectStyle": "PackageReference" },
                "frameworks": { "net10.0": { "targetAlias": "net10.0", "dependencies": { "Contoso.Vulnerable": { "target": "Package", "version": "[1.5.0, )" } } } } }
            }
            """);

        var (code, stdout, stderr) = Run("audit", project); // no --advisories, no --offline: both come from Directory.Build.props

        Assert.True(code == 1, stdout + stderr);
        Assert.DoesNotContain("MLG203", stdout, StringComparison.Ordinal);
        var vulnerable = Assert.Single(stdout.Split('\n'), l => l.Contains("error MLG201", StringComparison.Ordinal));
        Assert.StartsWith(_dir.Combine("Directory.Build.props") + "(7,", vulnerable, StringComparison.Ordinal); // where the reference is written
    }
}
