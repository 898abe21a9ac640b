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
        Assert.Contains("'1.*'", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Version=\"1.4.2\"", finding.Message, StringComparison.Ordinal);
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
}
