using System.Text;
using MlBuildGuard.Core.Dependencies.Advisories;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class AdvisoryReadersTests
{
    /// <summary>An OSV advisory with one affected NuGet package and the given ranges/versions/extra members.</summary>
    internal static string Osv(string id, string affectedBody, string extra = "", string package = "Contoso.Widget", string ecosystem = "NuGet") => $$"""
        {
          "schema_version": "1.4.0",
          "id": "{{id}}",
          "modified": "2024-05-01T00:00:00Z",
          "summary": "Test advisory",
          {{extra}}
          "affected": [
            {
              "package": { "ecosystem": "{{ecosystem}}", "name": "{{package}}" },
              {{affectedBody}}
            }
          ]
        }
        """;

    internal static string Events(params string[] events) =>
        $$"""
        "ranges": [ { "type": "ECOSYSTEM", "events": [ {{string.Join(", ", events)}} ] } ]
        """;

    private static (AdvisoryDocumentKind Kind, AdvisorySet Set) Read(string json)
    {
        var set = new AdvisorySet();
        var kind = AdvisoryReaders.Read(Encoding.UTF8.GetBytes(json), "test.json", set);
        return (kind, set);
    }

    private static Advisory Only(AdvisorySet set, string package, string version) =>
        Assert.Single(set.Affecting(package, NuGetVersion.Parse(version)));

    private static bool Affects(AdvisorySet set, string version, string package = "Contoso.Widget") =>
        set.Affecting(package, NuGetVersion.Parse(version)).Count > 0;

    [Fact]
    public void OSV_introduced_and_fixed_give_a_half_open_range_and_the_fixed_version()
    {
        var (kind, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "1.0.0" }""", """{ "fixed": "1.2.4" }""")));

        Assert.Equal(AdvisoryDocumentKind.Osv, kind);
        Assert.Equal(1, set.Count);
        var advisory = Only(set, "contoso.widget", "1.2.3");
        Assert.Equal("GHSA-aaaa-bbbb-cccc", advisory.Id);
        Assert.Equal("Contoso.Widget", advisory.PackageId);
        Assert.Equal("1.2.4", advisory.FixedVersion);
        Assert.Equal("test.json", advisory.Origin);
        Assert.True(Affects(set, "1.0.0"));
        Assert.False(Affects(set, "0.9.9"));
        Assert.False(Affects(set, "1.2.4"));
        Assert.False(Affects(set, "2.0.0"));
    }

    [Fact]
    public void OSV_introduced_zero_has_no_lower_bound()
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "0" }""", """{ "fixed": "2.0.0" }""")));

        Assert.True(Affects(set, "0.0.1-alpha"));
        Assert.True(Affects(set, "1.9.9"));
        Assert.False(Affects(set, "2.0.0"));
        Assert.Equal("2.0.0", Only(set, "Contoso.Widget", "1.0.0").FixedVersion);
    }

    [Fact]
    public void OSV_last_affected_closes_the_range_inclusively_without_a_fixed_version()
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "1.0.0" }""", """{ "last_affected": "1.5.0" }""")));

        Assert.True(Affects(set, "1.5.0"));
        Assert.False(Affects(set, "1.5.1"));
        Assert.Null(Only(set, "Contoso.Widget", "1.2.0").FixedVersion);
    }

    [Fact]
    public void OSV_limit_closes_the_range_exclusively_without_a_fixed_version()
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "1.0.0" }""", """{ "limit": "2.0.0" }""")));

        Assert.True(Affects(set, "1.9.9"));
        Assert.False(Affects(set, "2.0.0"));
        Assert.Null(Only(set, "Contoso.Widget", "1.2.0").FixedVersion);
    }

    [Fact]
    public void OSV_introduced_without_an_end_affects_every_later_version()
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "3.0.0" }""")));

        Assert.True(Affects(set, "3.0.0"));
        Assert.True(Affects(set, "99.0.0"));
        Assert.False(Affects(set, "2.9.9"));
    }

    [Fact]
    public void OSV_several_introduced_fixed_pairs_give_several_ranges()
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events(
            """{ "introduced": "1.0.0" }""", """{ "fixed": "1.0.5" }""",
            """{ "introduced": "2.0.0" }""", """{ "fixed": "2.0.3" }""")));

        Assert.True(Affects(set, "1.0.4"));
        Assert.False(Affects(set, "1.5.0"));
        Assert.True(Affects(set, "2.0.2"));
        Assert.False(Affects(set, "2.0.3"));
        Assert.Equal("2.0.3", Only(set, "Contoso.Widget", "2.0.0").FixedVersion);
        Assert.Equal("1.0.5", Only(set, "Contoso.Widget", "1.0.0").FixedVersion);
    }

    [Fact]
    public void OSV_explicit_versions_affect_exactly_those_versions()
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", """ "versions": [ "1.0.0", "1.0.2" ] """));

        Assert.True(Affects(set, "1.0.0"));
        Assert.False(Affects(set, "1.0.1"));
        Assert.True(Affects(set, "1.0.2"));
        Assert.False(Affects(set, "1.0.3"));
    }

    [Fact]
    public void A_withdrawn_OSV_advisory_adds_nothing()
    {
        var (kind, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "0" }"""), """ "withdrawn": "2024-06-01T00:00:00Z", """));

        Assert.Equal(AdvisoryDocumentKind.Osv, kind);
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void OSV_entries_of_other_ecosystems_are_skipped()
    {
        var (_, pypi) = Read(Osv("PYSEC-2024-1", Events("""{ "introduced": "0" }"""), ecosystem: "PyPI"));
        Assert.Equal(0, pypi.Count);

        var (_, mixed) = Read("""
            {
              "id": "OSV-2024-7",
              "modified": "2024-05-01T00:00:00Z",
              "affected": [
                { "package": { "ecosystem": "npm", "name": "widget" }, "ranges": [ { "type": "SEMVER", "events": [ { "introduced": "0" } ] } ] },
                { "package": { "ecosystem": "nuget", "name": "Contoso.Widget" }, "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "fixed": "1.1.0" } ] } ] }
              ]
            }
            """);
        Assert.Equal(1, mixed.Count);
        Assert.True(Affects(mixed, "1.0.0"));
        Assert.Empty(mixed.Affecting("widget", NuGetVersion.Parse("1.0.0")));
    }

    [Fact]
    public void The_url_is_the_GHSA_page_then_the_ADVISORY_reference_then_osv_dev()
    {
        var range = Events("""{ "introduced": "0" }""");
        var (_, ghsa) = Read(Osv("GHSA-aaaa-bbbb-cccc", range));
        var (_, referenced) = Read(Osv("OSV-2024-1", range, """ "references": [ { "type": "WEB", "url": "https://example.test/blog" }, { "type": "ADVISORY", "url": "https://example.test/advisory/1" } ], """));
        var (_, bare) = Read(Osv("OSV-2024-2", range));

        Assert.Equal("https://github.com/advisories/GHSA-aaaa-bbbb-cccc", Only(ghsa, "Contoso.Widget", "1.0.0").Url);
        Assert.Equal("https://example.test/advisory/1", Only(referenced, "Contoso.Widget", "1.0.0").Url);
        Assert.Equal("https://osv.dev/vulnerability/OSV-2024-2", Only(bare, "Contoso.Widget", "1.0.0").Url);
    }

    [Theory]
    [InlineData(""" "database_specific": { "severity": "MODERATE" }, """, AdvisorySeverity.Moderate)]
    [InlineData(""" "database_specific": { "severity": "critical" }, """, AdvisorySeverity.Critical)]
    [InlineData(""" "severity": [ { "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" } ], """, AdvisorySeverity.Critical)]
    [InlineData(""" "severity": [ { "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" } ], """, AdvisorySeverity.High)]
    [InlineData(""" "severity": [ { "type": "CVSS_V3", "score": "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N" } ], """, AdvisorySeverity.Moderate)]
    [InlineData(""" "severity": [ { "type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" } ], """, AdvisorySeverity.Unknown)]
    [InlineData("", AdvisorySeverity.Unknown)]
    public void OSV_severity_comes_from_database_specific_or_a_CVSS_3_vector(string extra, AdvisorySeverity expected)
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", Events("""{ "introduced": "0" }"""), extra));

        Assert.Equal(expected, Only(set, "Contoso.Widget", "1.0.0").Severity);
    }

    [Theory]
    [InlineData(""" "ranges": [ { "type": "GIT", "repo": "https://example.test/widget.git", "events": [ { "introduced": "abc123" } ] } ] """)]
    [InlineData(""" "ecosystem_specific": { "note": "no ranges, no versions" } """)]
    public void An_affected_NuGet_package_without_ranges_or_versions_it_can_order_affects_every_version(string affectedBody)
    {
        var (_, set) = Read(Osv("GHSA-aaaa-bbbb-cccc", affectedBody));

        Assert.True(Affects(set, "0.0.1"));
        Assert.True(Affects(set, "999.0.0"));
        Assert.Null(Only(set, "Contoso.Widget", "1.0.0").FixedVersion);
    }

    [Theory]
    [InlineData(""" "ranges": [ { "type": "CUSTOM", "events": [ { "introduced": "0" } ] } ] """, "range type 'CUSTOM' is not understood")]
    [InlineData(""" "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "patched": "1.0.0" } ] } ] """, "unknown range event 'patched'")]
    [InlineData(""" "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "fixed": "not-a-version" } ] } ] """, "'not-a-version' is not a NuGet version")]
    [InlineData(""" "ranges": [ { "type": "ECOSYSTEM" } ] """, "a range has no events")]
    public void OSV_data_that_cannot_be_understood_is_an_AdvisoryFormatException(string affectedBody, string reason)
    {
        var e = Assert.Throws<AdvisoryFormatException>(() => Read(Osv("GHSA-aaaa-bbbb-cccc", affectedBody)));

        Assert.Contains("GHSA-aaaa-bbbb-cccc", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_VulnerabilityInfo_page_gives_severity_range_and_the_fixed_version()
    {
        var (kind, set) = Read("""
            {
              "Contoso.Widget": [
                { "url": "https://example.test/advisories/1", "severity": 2, "versions": "[1.0.0, 1.2.4)" }
              ],
              "Contoso.Other": []
            }
            """);

        Assert.Equal(AdvisoryDocumentKind.VulnerabilityInfoPage, kind);
        var advisory = Only(set, "contoso.widget", "1.2.3");
        Assert.Equal(AdvisorySeverity.High, advisory.Severity);
        Assert.Equal("1.2.4", advisory.FixedVersion);
        Assert.Equal("https://example.test/advisories/1", advisory.Url);
        Assert.Equal(advisory.Url, advisory.Id);
        Assert.False(Affects(set, "1.2.4"));
        Assert.False(Affects(set, "0.9.0"));
    }

    [Theory]
    [InlineData("0", AdvisorySeverity.Low)]
    [InlineData("1", AdvisorySeverity.Moderate)]
    [InlineData("2", AdvisorySeverity.High)]
    [InlineData("3", AdvisorySeverity.Critical)]
    [InlineData("4", AdvisorySeverity.Unknown)]
    [InlineData("-1", AdvisorySeverity.Unknown)]
    [InlineData("\"high\"", AdvisorySeverity.Unknown)]
    public void VulnerabilityInfo_severity_is_0_to_3(string severity, AdvisorySeverity expected)
    {
        var (_, set) = Read($$"""{ "Contoso.Widget": [ { "url": "https://example.test/a", "severity": {{severity}}, "versions": "[1.0.0, 2.0.0)" } ] }""");

        Assert.Equal(expected, Only(set, "Contoso.Widget", "1.0.0").Severity);
    }

    [Theory]
    [InlineData("(, 1.2.3]")]
    [InlineData("[1.0.0, )")]
    [InlineData("[1.2.3]")]
    public void VulnerabilityInfo_has_no_fixed_version_without_an_exclusive_upper_bound(string versions)
    {
        var (_, set) = Read($$"""{ "Contoso.Widget": [ { "url": "https://example.test/a", "severity": 1, "versions": "{{versions}}" } ] }""");

        Assert.Null(Only(set, "Contoso.Widget", "1.2.3").FixedVersion);
    }

    [Theory]
    [InlineData("""{ "Contoso.Widget": [ { "url": "ftp://example.test/a", "severity": 1, "versions": "[1.0.0, 2.0.0)" } ] }""", "no absolute http(s) 'url'")]
    [InlineData("""{ "Contoso.Widget": [ { "url": "advisories/1", "severity": 1, "versions": "[1.0.0, 2.0.0)" } ] }""", "no absolute http(s) 'url'")]
    [InlineData("""{ "Contoso.Widget": [ { "severity": 1, "versions": "[1.0.0, 2.0.0)" } ] }""", "no absolute http(s) 'url'")]
    [InlineData("""{ "Contoso.Widget": [ { "url": "https://example.test/a", "severity": 1, "versions": "[2.0.0, 1.0.0" } ] }""", "no valid NuGet version range")]
    [InlineData("""{ "Contoso.Widget": [ { "url": "https://example.test/a", "severity": 1 } ] }""", "no valid NuGet version range")]
    [InlineData("""{ "Contoso.Widget": { "url": "https://example.test/a" } }""", "must be an array of advisories")]
    [InlineData("""[ 1, 2 ]""", "not a VulnerabilityInfo index")]
    [InlineData("""  "just a string" """, "neither an OSV advisory nor a VulnerabilityInfo page")]
    public void VulnerabilityInfo_data_that_cannot_be_understood_is_an_AdvisoryFormatException(string json, string reason)
    {
        var e = Assert.Throws<AdvisoryFormatException>(() => Read(json));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_VulnerabilityInfo_index_is_recognised_and_adds_nothing()
    {
        var (kind, set) = Read("""
            [
              { "@name": "base", "@id": "https://example.test/vulnerabilities/base.json", "@updated": "2024-05-01T00:00:00Z", "comment": "The base data" },
              { "@name": "update", "@id": "https://example.test/vulnerabilities/update.json", "@updated": "2024-05-02T00:00:00Z" }
            ]
            """);

        Assert.Equal(AdvisoryDocumentKind.VulnerabilityInfoIndex, kind);
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void An_empty_array_is_accepted_without_advisories()
    {
        var (_, set) = Read("[]");

        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void An_empty_array_is_an_empty_VulnerabilityInfo_page()
    {
        Assert.Equal(AdvisoryDocumentKind.VulnerabilityInfoPage, Read("[]").Kind);
    }

    [Fact]
    public void Malformed_JSON_is_an_AdvisoryFormatException_with_line_and_column()
    {
        var e = Assert.Throws<AdvisoryFormatException>(() => Read("{\n  \"id\": \"GHSA-aaaa-bbbb-cccc\",\n  \"affected\": [,]\n}\n"));

        Assert.Equal(3, e.Line);
        Assert.Equal(16, e.Column);
        Assert.StartsWith("invalid JSON", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_are_not_JSON()
    {
        var e = Assert.Throws<AdvisoryFormatException>(() => Read("// a comment\n{ }"));

        Assert.Equal(1, e.Line);
    }
}
