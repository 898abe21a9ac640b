using System.Text.Json;
using MlBuildGuard.Core.IO;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Dependencies.Advisories;

/// <summary>An advisory document that cannot be read as OSV or as a NuGet VulnerabilityInfo page.</summary>
public sealed class AdvisoryFormatException(string message, int line = 0, int column = 0) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>What kind of advisory document a JSON file is.</summary>
public enum AdvisoryDocumentKind
{
    /// <summary>An OSV advisory (the GitHub Advisory Database format).</summary>
    Osv,

    /// <summary>A NuGet VulnerabilityInfo page: <c>{ "package.id": [ { url, severity, versions } ] }</c>.</summary>
    VulnerabilityInfoPage,

    /// <summary>A NuGet VulnerabilityInfo index (lists pages; holds no advisories itself).</summary>
    VulnerabilityInfoIndex,
}

/// <summary>Reads one advisory document into an <see cref="AdvisorySet"/>, strictly.</summary>
public static class AdvisoryReaders
{
    public static AdvisoryDocumentKind Read(ReadOnlyMemory<byte> json, string origin, AdvisorySet into)
    {
        JsonDocument document;
        try
        {
            document = JsonInput.Parse(json, maxDepth: 32);
        }
        catch (JsonInputException e)
        {
            throw new AdvisoryFormatException(e.Message, e.Line, e.Column);
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement, origin, into);
            }
            catch (Exception e) when (JsonInput.IsShapeError(e))
            {
                throw new AdvisoryFormatException(JsonInput.Describe(e));
            }
        }
    }

    private static AdvisoryDocumentKind Read(JsonElement root, string origin, AdvisorySet into)
    {
        {
            if (root.ValueKind == JsonValueKind.Array)
            {
                if (root.GetArrayLength() == 0)
                {
                    return AdvisoryDocumentKind.VulnerabilityInfoPage; // NuGet's documentation calls [] an empty page
                }

                if (root.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("@name", out _) && e.TryGetProperty("@id", out _)))
                {
                    return AdvisoryDocumentKind.VulnerabilityInfoIndex;
                }

                throw new AdvisoryFormatException("a JSON array that is not a VulnerabilityInfo index");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new AdvisoryFormatException("neither an OSV advisory nor a VulnerabilityInfo page");
            }

            if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && (root.TryGetProperty("affected", out _) || root.TryGetProperty("schema_version", out _) || root.TryGetProperty("modified", out _)))
            {
                ReadOsv(root, origin, into);
                return AdvisoryDocumentKind.Osv;
            }

            ReadPage(root, origin, into);
            return AdvisoryDocumentKind.VulnerabilityInfoPage;
        }
    }

    /// <summary>An OSV advisory: NuGet <c>affected</c> entries, ECOSYSTEM ranges and explicit versions; withdrawn ones are skipped.</summary>
    private static void ReadOsv(JsonElement root, string origin, AdvisorySet into)
    {
        var id = root.GetProperty("id").GetString()!;
        if (root.TryGetProperty("withdrawn", out var withdrawn) && withdrawn.ValueKind == JsonValueKind.String)
        {
            return;
        }

        var url = AdvisoryUrl(root, id);
        var documentSeverity = OsvSeverity(root);
        if (!root.TryGetProperty("affected", out var affected))
        {
            return;
        }

        if (affected.ValueKind != JsonValueKind.Array)
        {
            throw new AdvisoryFormatException($"{id}: 'affected' must be an array");
        }

        foreach (var entry in affected.EnumerateArray())
        {
            if (!entry.TryGetProperty("package", out var package)
                || !package.TryGetProperty("ecosystem", out var ecosystem) || ecosystem.ValueKind != JsonValueKind.String
                || !string.Equals(ecosystem.GetString(), "NuGet", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!package.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(nameElement.GetString()))
            {
                throw new AdvisoryFormatException($"{id}: an affected NuGet package has no name");
            }

            var name = nameElement.GetString()!.Trim();
            var severity = OsvSeverity(entry) is var s && s != AdvisorySeverity.Unknown ? s : documentSeverity;
            var matched = false;
            if (entry.TryGetProperty("ranges", out var ranges) && ranges.ValueKind == JsonValueKind.Array)
            {
                foreach (var range in ranges.EnumerateArray())
                {
                    var type = range.TryGetProperty("type", out var t) ? t.GetString() : null;
                    if (type is "GIT")
                    {
                        continue;
                    }

                    if (type is not ("ECOSYSTEM" or "SEMVER"))
                    {
                        throw new AdvisoryFormatException($"{id}: range type '{type}' is not understood");
                    }

                    foreach (var (affectedRange, fixedVersion) in OsvRanges(id, range))
                    {
                        into.Add(new Advisory(id, url, name, affectedRange, severity, fixedVersion, origin));
                        matched = true;
                    }
                }
            }

            if (entry.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Array)
            {
                foreach (var v in versions.EnumerateArray())
                {
                    var version = ParseVersion(id, v.GetString());
                    into.Add(new Advisory(id, url, name, new VersionRange(version, true, version, true), severity, null, origin));
                    matched = true;
                }
            }

            if (!matched)
            {
                // The advisory names the package but no versions this reader can order: fail closed, every version is affected.
                into.Add(new Advisory(id, url, name, VersionRange.All, severity, null, origin));
            }
        }
    }

    /// <summary>OSV events in order: introduced opens a range; fixed, last_affected or limit closes it.</summary>
    private static IEnumerable<(VersionRange Range, string? Fixed)> OsvRanges(string id, JsonElement range)
    {
        if (!range.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            throw new AdvisoryFormatException($"{id}: a range has no events");
        }

        NuGetVersion? introduced = null;
        var open = false;
        var result = new List<(VersionRange, string?)>();
        foreach (var e in events.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object || e.GetPropertyCount() != 1)
            {
                throw new AdvisoryFormatException($"{id}: a range event must be an object with one property");
            }

            var property = e.EnumerateObject().First();
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
            switch (property.Name)
            {
                case "introduced":
                    introduced = value == "0" ? null : ParseVersion(id, value);
                    open = true;
                    break;
                case "fixed":
                    result.Add((new VersionRange(introduced, true, ParseVersion(id, value), false), ParseVersion(id, value).ToNormalizedString()));
                    open = false;
                    break;
                case "last_affected":
                    result.Add((new VersionRange(introduced, true, ParseVersion(id, value), true), null));
                    open = false;
                    break;
                case "limit":
                    result.Add((new VersionRange(introduced, true, value == "*" ? null : ParseVersion(id, value), false), null));
                    open = false;
                    break;
                default:
                    throw new AdvisoryFormatException($"{id}: unknown range event '{property.Name}'");
            }
        }

        if (open)
        {
            result.Add((new VersionRange(introduced, true, null, false), null));
        }

        return result;
    }

    private static AdvisorySeverity OsvSeverity(JsonElement element)
    {
        if (element.TryGetProperty("database_specific", out var specific) && specific.ValueKind == JsonValueKind.Object
            && specific.TryGetProperty("severity", out var named) && named.ValueKind == JsonValueKind.String
            && AdvisorySeverityNames.TryParse(named.GetString(), out var fromName))
        {
            return fromName;
        }

        if (element.TryGetProperty("severity", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in list.EnumerateArray())
            {
                if (s.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.String && Cvss.BaseScoreV3(score.GetString()!) is { } baseScore)
                {
                    return AdvisorySeverityNames.FromCvssScore(baseScore);
                }
            }
        }

        return AdvisorySeverity.Unknown;
    }

    private static string AdvisoryUrl(JsonElement root, string id)
    {
        if (id.StartsWith("GHSA-", StringComparison.Ordinal))
        {
            return "https://github.com/advisories/" + id;
        }

        if (root.TryGetProperty("references", out var references) && references.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in references.EnumerateArray())
            {
                if (r.TryGetProperty("type", out var type) && type.GetString() == "ADVISORY" && r.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String)
                {
                    return url.GetString()!;
                }
            }
        }

        return "https://osv.dev/vulnerability/" + id;
    }

    /// <summary>A NuGet VulnerabilityInfo page: package id → [{ url, severity 0–3, versions (a NuGet range) }].</summary>
    private static void ReadPage(JsonElement root, string origin, AdvisorySet into)
    {
        foreach (var package in root.EnumerateObject())
        {
            if (package.Value.ValueKind != JsonValueKind.Array)
            {
                throw new AdvisoryFormatException($"the entry for '{package.Name}' must be an array of advisories");
            }

            foreach (var item in package.Value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String
                    || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http"))
                {
                    throw new AdvisoryFormatException($"an advisory for '{package.Name}' has no absolute http(s) 'url'");
                }

                if (!item.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.String
                    || !VersionRange.TryParse(versions.GetString()!, out var range))
                {
                    throw new AdvisoryFormatException($"the advisory {uri} for '{package.Name}' has no valid NuGet version range in 'versions'");
                }

                var severity = item.TryGetProperty("severity", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out var n) && n is >= 0 and <= 3
                    ? (AdvisorySeverity)n
                    : AdvisorySeverity.Unknown;
                var fixedVersion = range.HasUpperBound && !range.IsMaxInclusive ? range.MaxVersion!.ToNormalizedString() : null;
                into.Add(new Advisory(uri.AbsoluteUri, uri.AbsoluteUri, package.Name, range, severity, fixedVersion, origin));
            }
        }
    }

    private static NuGetVersion ParseVersion(string id, string? text) =>
        NuGetVersion.TryParse(text, out var v) ? v : throw new AdvisoryFormatException($"{id}: '{text}' is not a NuGet version");
}
