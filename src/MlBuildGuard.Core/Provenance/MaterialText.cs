using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NuGet.Versioning;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// What the provenance statement and the ML-BOM share: one JSON layout, one order of materials, one way to check digests
/// and paths and to name packages, so that the two documents describe a build identically and byte-for-byte repeatably.
/// </summary>
internal static class MaterialText
{
    /// <summary>The characters of a URL scheme (RFC 3986 §3.1).</summary>
    private static readonly SearchValues<char> SchemeChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

    /// <summary>UTF-8 JSON written by <paramref name="write"/>, in the layout of the lock file.</summary>
    public static byte[] Document(Action<Utf8JsonWriter> write) => IO.CanonicalJson.Write(write);

    /// <summary>Lowercase hex of exactly <paramref name="bytes"/> bytes; anything else is a caller bug, not data to publish.</summary>
    public static string Hex(string value, int bytes, string what)
    {
        if (value.Length != bytes * 2 || !value.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"The {what} '{value}' is not {bytes * 2} hex digits.");
        }

        return value.ToLowerInvariant();
    }

    /// <summary>A '/'-separated relative path; an absolute path would leak the build machine's layout into the documents.</summary>
    public static string Relative(string path, string what)
    {
        if (path.Length == 0 || path.Contains('\\') || path[0] == '/' || Path.IsPathRooted(path)
            || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
        {
            throw new ArgumentException($"The {what} '{path}' is not a relative path with '/' separators.");
        }

        return path;
    }

    /// <summary>The package URL <c>pkg:nuget/Id@Version</c> (purl spec: name and version percent-encoded).</summary>
    public static string NuGetPurl(string id, string version) => $"pkg:nuget/{PurlEncode(id)}@{PurlEncode(version)}";

    public static IReadOnlyList<ProducedModel> Ordered(IEnumerable<ProducedModel> models) =>
        Unique(models, m => m.Name, "model").OrderBy(m => m.Name, StringComparer.Ordinal).ToList();

    public static IReadOnlyList<TrainingInputMaterial> Ordered(IEnumerable<TrainingInputMaterial> inputs) =>
        Unique(inputs, i => i.Name, "training input").OrderBy(i => i.Name, StringComparer.Ordinal).ToList();

    public static IReadOnlyList<ConsumedModelMaterial> Ordered(IEnumerable<ConsumedModelMaterial> models) =>
        Unique(models, m => m.Name, "consumed model").OrderBy(m => m.Name, StringComparer.Ordinal).ToList();

    /// <summary>By file, then metric name, then value (one metric may have several thresholds).</summary>
    public static IReadOnlyList<MetricMaterial> Ordered(IEnumerable<MetricMaterial> metrics) =>
        metrics.Distinct().OrderBy(m => m.File, StringComparer.Ordinal).ThenBy(m => m.Metric, StringComparer.Ordinal)
            .ThenBy(m => m.Passed).ToList();

    /// <summary>By id (case-insensitively, then exactly), then by version precedence.</summary>
    public static IReadOnlyList<PackageMaterial> Ordered(IEnumerable<PackageMaterial> packages) =>
        Unique(packages, p => NuGetPurl(p.Id, p.Version), "package")
            .OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Id, StringComparer.Ordinal)
            .ThenBy(p => p.Version, VersionOrder.Instance)
            .ToList();

    /// <summary>
    /// A URL fit to publish: user info (<c>user:token@</c>), query (SAS signatures, <c>access_token=</c>) and fragment
    /// removed. Text that is not an absolute URL is returned unchanged.
    /// </summary>
    public static string WithoutCredentials(string value)
    {
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0 || value.AsSpan(0, schemeEnd).ContainsAnyExcept(SchemeChars))
        {
            return value;
        }

        var authority = schemeEnd + 3;
        var authorityEnd = value.IndexOfAny(['/', '?', '#'], authority);
        if (authorityEnd < 0)
        {
            authorityEnd = value.Length;
        }

        var at = value.AsSpan(authority, authorityEnd - authority).LastIndexOf('@');
        var result = at < 0 ? value : value[..authority] + value[(authority + at + 1)..];
        var cut = result.IndexOfAny(['?', '#'], authority);
        return cut < 0 ? result : result[..cut];
    }

    /// <summary>The ISO-8601 UTC form of a <c>SOURCE_DATE_EPOCH</c>, second precision.</summary>
    public static string Timestamp(long sourceDateEpoch) =>
        DateTimeOffset.FromUnixTimeSeconds(sourceDateEpoch).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Repeated identical entries collapse to one; two different entries under one name are refused, because picking
    /// either would make the document depend on the order the caller happened to list them in.
    /// </summary>
    private static List<T> Unique<T>(IEnumerable<T> items, Func<T, string> name, string what)
    {
        var unique = items.Distinct().ToList();
        var conflict = unique.GroupBy(name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return conflict is null ? unique : throw new ArgumentException($"The {what} '{conflict.Key}' is listed twice with different details.");
    }

    private static string PurlEncode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// NuGet precedence (1.10.0 after 1.9.0) among versions that parse, ties and unparsable versions (sorted last) by
    /// ordinal text, so the order is total and independent of the input order.
    /// </summary>
    private sealed class VersionOrder : IComparer<string>
    {
        public static readonly VersionOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var xParses = NuGetVersion.TryParse(x, out var a);
            var yParses = NuGetVersion.TryParse(y, out var b);
            if (xParses != yParses)
            {
                return xParses ? -1 : 1;
            }

            var byPrecedence = xParses ? a!.CompareTo(b) : 0;
            return byPrecedence != 0 ? byPrecedence : string.CompareOrdinal(x, y);
        }
    }
}
