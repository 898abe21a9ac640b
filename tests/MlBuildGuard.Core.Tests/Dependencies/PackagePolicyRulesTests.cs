using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class PackagePolicyRulesTests
{
    private static DependencyRequest Request(
        IReadOnlyList<string>? known = null,
        IReadOnlyList<DeniedPackageRule>? denied = null,
        IReadOnlyList<PackageReferenceItem>? references = null) => new()
        {
            ProjectDirectory = "/src/app",
            ProjectFile = "/src/app/App.csproj",
            KnownPackages = known ?? [],
            DeniedPackages = denied ?? [],
            PackageReferences = references ?? [],
        };

    private static List<Finding> Typosquats(DependencyRequest request, params LockEntry[] entries)
    {
        var findings = new List<Finding>();
        PackagePolicyRules.CheckTyposquats(request, NuGetLockJson.Graph(entries), findings);
        return findings;
    }

    private static List<Finding> Denied(DependencyRequest request, params LockEntry[] entries)
    {
        var findings = new List<Finding>();
        PackagePolicyRules.CheckDenied(request, NuGetLockJson.Graph(entries), findings);
        return findings;
    }

    [Theory]
    [InlineData("Newtonsoft.Jsom", 1, "Newtonsoft.Json")]
    [InlineData("Microsoft.ML.FastTrees", 1, "Microsoft.ML.FastTree")]
    [InlineData("Newtonsoft.Jsno", 1, "Newtonsoft.Json")]
    [InlineData("Newtonsofft.Jsom", 2, "Newtonsoft.Json")]
    [InlineData("newtonsoft.jsom", 1, "Newtonsoft.Json")]
    [InlineData("xunitt", 1, "xunit")]
    public void Ids_one_or_two_edits_from_a_well_known_package_are_MLG108(string id, int distance, string known)
    {
        var finding = Assert.Single(Typosquats(Request(), LockEntry.Direct(id, "1.0.0")));

        Assert.Equal("MLG108", finding.Code);
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal(id, finding.Subject);
        Assert.Equal(SubjectKind.Package, finding.SubjectKind);
        Assert.StartsWith($"Package '{id}' is {distance} edit(s) away from the well-known package '{known}'", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xunit")]
    [InlineData("NUnit")]
    [InlineData("nunit")]
    [InlineData("NuGet.Commands")]
    [InlineData("NuGet.Common")]
    [InlineData("Microsoft.ML.FastTree")]
    [InlineData("Contoso.Widgets")]
    [InlineData("xuniitt")] // two edits from a short id: short ids allow only one
    [InlineData("Newtonsofft.Jsomm")] // three edits
    public void Well_known_ids_and_distant_ones_are_not_MLG108(string id)
    {
        Assert.Empty(Typosquats(Request(), LockEntry.Direct(id, "1.0.0")));
    }

    [Fact]
    public void A_package_the_user_vouches_for_is_not_MLG108()
    {
        var request = Request(known: [" newtonsoft.jsom "]);

        Assert.Empty(Typosquats(request, LockEntry.Direct("Newtonsoft.Jsom", "1.0.0")));
        Assert.Single(Typosquats(request, LockEntry.Direct("Microsoft.ML.FastTrees", "1.0.0")));
    }

    [Fact]
    public void The_users_own_known_packages_are_protected_from_look_alikes()
    {
        var request = Request(known: ["Contoso.Features"]);

        var finding = Assert.Single(Typosquats(request,
            LockEntry.Direct("Contoso.Features", "1.0.0"),
            LockEntry.Direct("Contoso.Feature", "9.9.9")));

        Assert.Equal("Contoso.Feature", finding.Subject);
        Assert.StartsWith("Package 'Contoso.Feature' is 1 edit(s) away from the well-known package 'Contoso.Features'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transitive_look_alike_points_at_the_reference_that_brings_it_in()
    {
        var request = Request(references: [new PackageReferenceItem("PackageVersion", "Contoso.App", "2.0.0", DefiningFile: "/src/Directory.Packages.props")]);

        var finding = Assert.Single(Typosquats(request,
            LockEntry.Direct("Contoso.App", "2.0.0", "Newtonsoft.Jsom"),
            LockEntry.Transitive("Newtonsoft.Jsom", "13.0.1")));

        Assert.Equal("Newtonsoft.Jsom", finding.Subject);
        Assert.Equal("/src/Directory.Packages.props", finding.Location!.FilePath);
    }

    [Fact]
    public void A_look_alike_in_two_versions_is_reported_once()
    {
        var graph = PackageGraph.FromLockFile(NuGetLockJson.Parse(NuGetLockJson.Build(new Dictionary<string, LockEntry[]>
        {
            ["net8.0"] = [LockEntry.Direct("Newtonsoft.Jsom", "1.0.0")],
            ["net10.0"] = [LockEntry.Direct("Newtonsoft.Jsom", "2.0.0")],
        })));
        var findings = new List<Finding>();

        PackagePolicyRules.CheckTyposquats(Request(), graph, findings);

        Assert.Single(findings);
    }

    [Fact]
    public void A_denied_direct_package_is_MLG107_with_the_reason()
    {
        var request = Request(denied: [new DeniedPackageRule(" contoso.leaky ", null, null, " sends telemetry to a third party ")]);

        var finding = Assert.Single(Denied(request, LockEntry.Direct("Contoso.Leaky", "3.1.0"), LockEntry.Direct("Contoso.Fine", "1.0.0")));

        Assert.Equal("MLG107", finding.Code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Equal("Contoso.Leaky", finding.Subject);
        Assert.Equal(SubjectKind.Package, finding.SubjectKind);
        Assert.Equal("Package Contoso.Leaky 3.1.0 is denied by MlDeniedPackage 'contoso.leaky': sends telemetry to a third party.", finding.Message);
    }

    [Fact]
    public void A_denied_transitive_package_names_the_path_that_brings_it_in()
    {
        var request = Request(
            denied: [new DeniedPackageRule("Contoso.Leaky", null, null, "leaks")],
            references: [new PackageReferenceItem("PackageReference", "Contoso.App", "2.0.0", DefiningFile: "/src/app/App.csproj")]);

        var finding = Assert.Single(Denied(request,
            LockEntry.Direct("Contoso.App", "2.0.0", "Contoso.Middle"),
            LockEntry.Transitive("Contoso.Middle", "1.5.0", "Contoso.Leaky"),
            LockEntry.Transitive("Contoso.Leaky", "3.1.0")));

        Assert.Equal(
            "Package Contoso.Leaky 3.1.0 (via Contoso.App 2.0.0 -> Contoso.Middle 1.5.0 -> Contoso.Leaky 3.1.0) is denied by MlDeniedPackage 'Contoso.Leaky': leaks.",
            finding.Message);
        Assert.Equal("/src/app/App.csproj", finding.Location!.FilePath);
    }

    [Fact]
    public void A_denied_version_range_only_matches_versions_inside_it()
    {
        var rule = new DeniedPackageRule("Contoso.Leaky", VersionRange.Parse("[1.0.0, 2.0.0)"), "[1.0.0, 2.0.0)", null);

        var inside = Assert.Single(Denied(Request(denied: [rule]), LockEntry.Direct("Contoso.Leaky", "1.9.9")));
        Assert.Empty(Denied(Request(denied: [rule]), LockEntry.Direct("Contoso.Leaky", "2.0.0")));
        Assert.Empty(Denied(Request(denied: [rule]), LockEntry.Direct("Contoso.Leaky", "0.9.0")));

        Assert.Equal("Package Contoso.Leaky 1.9.9 is denied by MlDeniedPackage 'Contoso.Leaky' (versions [1.0.0, 2.0.0)).", inside.Message);
    }

    [Fact]
    public void Denied_packages_are_reported_by_the_guard_from_the_lock_file()
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var lockPath = dir.Write("packages.lock.json", NuGetLockJson.Build(
            LockEntry.Direct("Contoso.App", "2.0.0", "Contoso.Leaky"),
            LockEntry.Transitive("Contoso.Leaky", "3.1.0")));
        var request = new DependencyRequest
        {
            ProjectDirectory = dir.Path,
            ProjectFile = dir.Combine("App.csproj"),
            NuGetLockFile = lockPath,
            RestorePackagesWithLockFile = "true",
            DeniedPackages = [new DeniedPackageRule("Contoso.Leaky", null, null, "leaks")],
        };

        var result = DependencyGuard.Run(request);

        var finding = Assert.Single(result.Findings, f => f.Code == "MLG107");
        Assert.Contains("(via Contoso.App 2.0.0 -> Contoso.Leaky 3.1.0)", finding.Message, StringComparison.Ordinal);
    }
}
