using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

public sealed class BuildSettingsRulesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private BuildSettings Settings(string? deterministic = "true", string? ci = null, string? ciBuild = null) => new()
    {
        ProjectDirectory = _dir.Combine("repo", "src", "app"),
        ProjectFile = _dir.Combine("repo", "src", "app", "app.csproj"),
        Deterministic = deterministic,
        CiIndicator = ci,
        ContinuousIntegrationBuild = ciBuild,
        SdkVersion = "10.0.401",
        DeclaringFiles = [_dir.Combine("repo", "src", "app", "app.csproj")],
    };

    private void Project(string properties = "") =>
        _dir.Write("repo/src/app/app.csproj", $"<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n{properties}  </PropertyGroup>\n</Project>\n");

    [Fact]
    public void A_pinned_deterministic_local_build_is_quiet()
    {
        Project();
        _dir.Write("repo/global.json", "{\n  // comments are allowed, as the SDK allows them\n  \"sdk\": { \"version\": \"10.0.401\", \"rollForward\": \"latestPatch\", },\n}\n");

        Assert.Empty(BuildSettingsRules.Check(Settings()));
        Assert.Empty(BuildSettingsRules.Check(Settings(ci: "CI", ciBuild: "True")));
    }

    [Fact]
    public void Deterministic_false_is_MLG501_at_the_line_that_sets_it()
    {
        Project("    <Deterministic>false</Deterministic>\n");
        _dir.Write("repo/global.json", "{ \"sdk\": { \"version\": \"10.0.401\" } }");

        var finding = Assert.Single(BuildSettingsRules.Check(Settings(deterministic: "false")));

        Assert.Equal("MLG501", finding.Code);
        Assert.Equal((_dir.Combine("repo", "src", "app", "app.csproj"), 3), (finding.Location!.FilePath, finding.Location.Line));
        Assert.Contains("Deterministic is 'false'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MLG501_points_at_the_property_not_at_a_longer_name_that_starts_the_same()
    {
        Project("    <DeterministicSourcePaths>true</DeterministicSourcePaths>\n    <Deterministic Condition=\"'$(X)' == ''\">false</Deterministic>\n");
        _dir.Write("repo/global.json", "{ \"sdk\": { \"version\": \"10.0.401\" } }");

        var finding = Assert.Single(BuildSettingsRules.Check(Settings(deterministic: "false")));

        Assert.Equal(4, finding.Location!.Line);
    }

    [Fact]
    public void A_CI_variable_without_ContinuousIntegrationBuild_is_MLG502_naming_the_variable()
    {
        Project();
        _dir.Write("repo/global.json", "{ \"sdk\": { \"version\": \"10.0.401\" } }");

        var finding = Assert.Single(BuildSettingsRules.Check(Settings(ci: "TF_BUILD", ciBuild: "")));

        Assert.Equal("MLG502", finding.Code);
        Assert.Contains("(TF_BUILD is set)", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "No global.json was found")]
    [InlineData("{ \"msbuild-sdks\": {} }", "has no \"sdk\" section")]
    [InlineData("{ \"sdk\": { \"rollForward\": \"latestPatch\" } }", "sets no sdk.version")]
    [InlineData("{ \"sdk\": { \"version\": \"10.0.401\", \"rollForward\": \"latestFeature\" } }", "roll forward to any 'latestFeature' SDK")]
    [InlineData("{ \"sdk\": { \"version\": \"10.0.401\", \"rollForward\": \"LatestMajor\" } }", "roll forward to any 'LatestMajor' SDK")]
    [InlineData("{ \"sdk\": { \"version\": ", "is not valid JSON")]
    public void An_unpinned_SDK_is_MLG504_with_the_reason(string? globalJson, string reason)
    {
        Project();
        if (globalJson is not null)
        {
            _dir.Write("repo/global.json", globalJson);
        }

        var finding = Assert.Single(BuildSettingsRules.Check(Settings()));

        Assert.Equal("MLG504", finding.Code);
        Assert.Contains(reason, finding.Message, StringComparison.Ordinal);
        Assert.Contains("\"version\": \"10.0.401\"", finding.Message, StringComparison.Ordinal); // the fix names this SDK
    }

    [Theory]
    [InlineData("patch")]
    [InlineData("disable")]
    public void Patch_level_roll_forward_counts_as_pinned(string rollForward)
    {
        Project();
        _dir.Write("repo/global.json", $"{{ \"sdk\": {{ \"version\": \"10.0.401\", \"rollForward\": \"{rollForward}\" }} }}");

        Assert.Empty(BuildSettingsRules.Check(Settings()));
    }

    [Fact]
    public void The_nearest_global_json_wins_as_for_the_SDK()
    {
        Project();
        _dir.Write("repo/global.json", "{ \"sdk\": { \"version\": \"10.0.401\" } }");
        var nearer = _dir.Write("repo/src/global.json", "{ \"sdk\": { \"version\": \"10.0.401\", \"rollForward\": \"major\" } }");

        var finding = Assert.Single(BuildSettingsRules.Check(Settings()));

        Assert.Equal(nearer, finding.Location!.FilePath);
    }
}
