using MlBuildGuard.Core.Dependencies.Advisories;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class CvssAndAdvisorySetTests
{
    // Base scores as published by NVD / the FIRST CVSS v3.1 calculator.
    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1)]
    [InlineData("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8)] // temporal metrics do not change the base score
    public void Computes_the_published_CVSS_3_base_scores(string vector, double expected)
    {
        var score = Cvss.BaseScoreV3(vector);

        Assert.NotNull(score);
        Assert.Equal(expected, score.Value, 3);
    }

    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")] // no A
    [InlineData("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")] // unknown value
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:P")] // no scope
    [InlineData("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A")]
    [InlineData("")]
    public void Is_null_for_what_is_not_a_complete_CVSS_3_vector(string vector)
    {
        Assert.Null(Cvss.BaseScoreV3(vector));
    }

    [Theory]
    [InlineData(9.8, AdvisorySeverity.Critical)]
    [InlineData(9.0, AdvisorySeverity.Critical)]
    [InlineData(8.9, AdvisorySeverity.High)]
    [InlineData(7.0, AdvisorySeverity.High)]
    [InlineData(6.9, AdvisorySeverity.Moderate)]
    [InlineData(4.0, AdvisorySeverity.Moderate)]
    [InlineData(3.9, AdvisorySeverity.Low)]
    [InlineData(0.1, AdvisorySeverity.Low)]
    [InlineData(0.0, AdvisorySeverity.Unknown)]
    public void Scores_map_to_the_qualitative_ratings(double score, AdvisorySeverity expected)
    {
        Assert.Equal(expected, AdvisorySeverityNames.FromCvssScore(score));
    }

    private static Advisory Advisory(string url, AdvisorySeverity severity, string range = "[1.0.0, 2.0.0)", string? fixedVersion = "2.0.0", string id = "ADV-1", string package = "Contoso.Widget") =>
        new(id, url, package, VersionRange.Parse(range), severity, fixedVersion, "test");

    [Fact]
    public void Affecting_keeps_one_advisory_per_url_with_the_worst_severity()
    {
        var set = new AdvisorySet();
        set.Add(Advisory("https://example.test/adv/1", AdvisorySeverity.Moderate, id: "from-feed"));
        set.Add(Advisory("HTTPS://EXAMPLE.TEST/adv/1", AdvisorySeverity.Critical, id: "from-osv"));
        set.Add(Advisory("https://example.test/adv/1", AdvisorySeverity.Low, id: "from-page"));

        var advisory = Assert.Single(set.Affecting("contoso.widget", NuGetVersion.Parse("1.5.0")));

        Assert.Equal(AdvisorySeverity.Critical, advisory.Severity);
        Assert.Equal("from-osv", advisory.Id);
        Assert.Equal(3, set.Count);
    }

    [Fact]
    public void Affecting_prefers_the_copy_that_knows_the_fixed_version_at_equal_severity()
    {
        var set = new AdvisorySet();
        set.Add(Advisory("https://example.test/adv/1", AdvisorySeverity.High, range: "[1.5.0]", fixedVersion: null, id: "versions-list"));
        set.Add(Advisory("https://example.test/adv/1", AdvisorySeverity.High, id: "range"));

        Assert.Equal("2.0.0", Assert.Single(set.Affecting("Contoso.Widget", NuGetVersion.Parse("1.5.0"))).FixedVersion);
    }

    [Fact]
    public void Affecting_returns_distinct_advisories_worst_first_and_only_for_matching_versions()
    {
        var set = new AdvisorySet();
        set.Add(Advisory("https://example.test/adv/low", AdvisorySeverity.Low, id: "B"));
        set.Add(Advisory("https://example.test/adv/high", AdvisorySeverity.High, id: "A"));
        set.Add(Advisory("https://example.test/adv/old", AdvisorySeverity.Critical, range: "[0.1.0, 1.0.0)", id: "C"));
        set.Add(Advisory("https://example.test/adv/other", AdvisorySeverity.Critical, package: "Contoso.Other", id: "D"));

        Assert.Equal(["A", "B"], set.Affecting("Contoso.Widget", NuGetVersion.Parse("1.5.0")).Select(a => a.Id));
        Assert.Empty(set.Affecting("Contoso.Widget", NuGetVersion.Parse("2.0.0")));
        Assert.Empty(set.Affecting("Contoso.Unknown", NuGetVersion.Parse("1.5.0")));
    }

    [Fact]
    public void AddRange_copies_every_advisory()
    {
        var first = new AdvisorySet();
        first.Add(Advisory("https://example.test/adv/1", AdvisorySeverity.High));
        var second = new AdvisorySet();
        second.Add(Advisory("https://example.test/adv/2", AdvisorySeverity.Low, package: "Contoso.Other"));

        second.AddRange(first);

        Assert.Equal(2, second.Count);
        Assert.Single(second.Affecting("Contoso.Widget", NuGetVersion.Parse("1.0.0")));
    }
}
