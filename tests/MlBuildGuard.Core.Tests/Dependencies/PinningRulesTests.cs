using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class PinningRulesTests
{
    [Theory]
    [InlineData("*")]
    [InlineData("1.*")]
    [InlineData("1.0.*-*")]
    [InlineData(" 2.* ")]
    public void Floating_versions_are_flagged_as_floating(string version)
    {
        var problem = PinningRules.Problem(version);

        Assert.NotNull(problem);
        Assert.StartsWith("floats", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1.0,)")]
    [InlineData("(1.0,)")]
    public void Ranges_without_an_upper_bound_are_flagged(string version)
    {
        Assert.Equal("is open-ended (no upper bound)", PinningRules.Problem(version));
    }

    [Fact]
    public void A_range_without_a_lower_bound_is_flagged()
    {
        Assert.Equal("is open-ended (no lower bound)", PinningRules.Problem("(,2.0]"));
    }

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("[1.2.3]")]
    [InlineData("[1.0,2.0)")]
    [InlineData("1.2.3-beta.1")]
    public void Pinned_and_bounded_versions_are_not_flagged(string version)
    {
        Assert.Null(PinningRules.Problem(version));
    }

    [Theory]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("[1.0")]
    [InlineData("1.0..2")]
    public void Strings_that_are_not_versions_are_left_to_restore(string version)
    {
        Assert.Null(PinningRules.Problem(version));
    }

    [Fact]
    public void A_floating_PackageReference_is_MLG101_suggesting_the_version_restore_resolved()
    {
        var request = new DependencyRequest
        {
            ProjectDirectory = "/src/app",
            ProjectFile = "/src/app/App.csproj",
            PackageReferences = [new PackageReferenceItem("PackageReference", "Contoso.Widget", "1.*", DefiningFile: "/src/app/App.csproj")],
        };
        var graph = NuGetLockJson.Graph(LockEntry.Direct("Contoso.Widget", "1.4.2"));
        var findings = new List<Finding>();

        PinningRules.CheckVersions(request, graph, findings);

        var finding = Assert.Single(findings);
        Assert.Equal("MLG101", finding.Code);
        Assert.Equal("Contoso.Widget", finding.Subject);
        Assert.Equal(SubjectKind.Package, finding.SubjectKind);
        Assert.StartsWith("PackageReference 'Contoso.Widget' has Version=\"1.*\", which floats", finding.Message, StringComparison.Ordinal);
        Assert.Contains("(Version=\"1.4.2\")", finding.Message, StringComparison.Ordinal);
        Assert.Equal("/src/app/App.csproj", finding.Location!.FilePath);
    }

    [Fact]
    public void An_open_ended_VersionOverride_is_MLG101_naming_the_attribute()
    {
        var request = new DependencyRequest
        {
            ProjectDirectory = "/src/app",
            ProjectFile = "/src/app/App.csproj",
            PackageReferences = [new PackageReferenceItem("PackageReference", "Contoso.Widget", null, VersionOverride: "[2.0.0, )")],
        };
        var findings = new List<Finding>();

        PinningRules.CheckVersions(request, null, findings);

        var finding = Assert.Single(findings);
        Assert.StartsWith("PackageReference 'Contoso.Widget' has VersionOverride=\"[2.0.0, )\", which is open-ended (no upper bound)", finding.Message, StringComparison.Ordinal);
        Assert.Contains("(VersionOverride=\"2.0.0\")", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Implicit_references_and_pinned_ones_are_not_MLG101()
    {
        var request = new DependencyRequest
        {
            ProjectDirectory = "/src/app",
            ProjectFile = "/src/app/App.csproj",
            PackageReferences =
            [
                new PackageReferenceItem("PackageReference", "Microsoft.NET.ILLink.Tasks", "*", IsImplicit: true),
                new PackageReferenceItem("PackageReference", "Contoso.Widget", "1.4.2"),
            ],
        };
        var findings = new List<Finding>();

        PinningRules.CheckVersions(request, null, findings);

        Assert.Empty(findings);
    }

    private static DependencyRequest LockRequest(string dir, bool optedIn = true, bool ci = false, string? lockedMode = null, string? lockFile = null) => new()
    {
        ProjectDirectory = dir,
        ProjectFile = Path.Combine(dir, "My App.csproj"),
        NuGetLockFile = lockFile,
        RestorePackagesWithLockFile = optedIn ? " True " : null,
        ContinuousIntegration = ci,
        RestoreLockedMode = lockedMode,
    };

    [Fact]
    public void No_lock_file_is_MLG102_saying_why()
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var notOptedIn = new List<Finding>();
        var optedIn = new List<Finding>();

        Assert.Null(PinningRules.CheckLockFile(LockRequest(dir.Path, optedIn: false), notOptedIn));
        Assert.Null(PinningRules.CheckLockFile(LockRequest(dir.Path), optedIn));

        var first = Assert.Single(notOptedIn);
        Assert.Equal("MLG102", first.Code);
        Assert.Equal(new SourceLocation(dir.Combine("My App.csproj")), first.Location);
        Assert.StartsWith("The project has no NuGet lock file", first.Message, StringComparison.Ordinal);
        Assert.StartsWith("RestorePackagesWithLockFile is true but 'packages.lock.json' does not exist", Assert.Single(optedIn).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_project_named_lock_file_is_preferred_then_packages_lock_json()
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var plain = dir.Write("packages.lock.json", NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")));
        Assert.Equal(plain, PinningRules.CheckLockFile(LockRequest(dir.Path), []));

        var named = dir.Write("packages.My_App.lock.json", NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")));
        Assert.Equal(named, PinningRules.CheckLockFile(LockRequest(dir.Path), []));

        var custom = dir.Write("locks/app.lock.json", NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")));
        Assert.Equal(custom, PinningRules.CheckLockFile(LockRequest(dir.Path, lockFile: "locks/app.lock.json"), []));
    }

    [Fact]
    public void A_lock_file_used_without_RestorePackagesWithLockFile_true_is_MLG102_and_still_checked()
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var lockPath = dir.Write("packages.lock.json", NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")));
        var request = new DependencyRequest { ProjectDirectory = dir.Path, ProjectFile = dir.Combine("App.csproj"), RestorePackagesWithLockFile = "false" };
        var findings = new List<Finding>();

        Assert.Equal(lockPath, PinningRules.CheckLockFile(request, findings));

        var finding = Assert.Single(findings);
        Assert.Equal("MLG102", finding.Code);
        Assert.Contains("only because the file happens to be there", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", true)]
    [InlineData(" true ", false)]
    public void CI_without_locked_mode_is_MLG103(string? lockedMode, bool reported)
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        dir.Write("packages.lock.json", NuGetLockJson.Build(LockEntry.Direct("Contoso.App", "1.0.0")));
        var findings = new List<Finding>();

        PinningRules.CheckLockFile(LockRequest(dir.Path, ci: true, lockedMode: lockedMode), findings);
        PinningRules.CheckLockFile(LockRequest(dir.Path, ci: false, lockedMode: lockedMode), findings);

        Assert.Equal(reported ? new[] { "MLG103" } : [], findings.Select(f => f.Code));
    }
}
