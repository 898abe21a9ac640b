using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Reporting;

/// <summary>
/// Writes a SARIF 2.1.0 log with one run: the MlBuildGuard driver, the rules that have results (with help links), and one
/// result per finding with its physical location. Paths inside the project are relative to the <c>PROJECTROOT</c> base.
/// </summary>
public static class SarifWriter
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";
    private const string ProjectRoot = "PROJECTROOT";

    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Whether a log names <paramref name="toolVersion"/> as the MlBuildGuard that wrote it (as <see cref="ToBytes"/> writes it).</summary>
    public static bool IsFrom(ReadOnlySpan<byte> sarif, string toolVersion) =>
        toolVersion.AsSpan().IndexOfAny("\"\\") < 0 && toolVersion.All(c => c >= ' ' && c < 0x7f)
        && sarif.IndexOf(System.Text.Encoding.UTF8.GetBytes($"\"semanticVersion\": \"{toolVersion}\"")) >= 0;

    public static byte[] ToBytes(IReadOnlyList<FindingRecord> findings, string projectDirectory, string toolVersion)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectDirectory));
        var codes = findings.Select(f => f.Code).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("$schema", SchemaUri);
            w.WriteString("version", "2.1.0");
            w.WriteStartArray("runs");
            w.WriteStartObject();

            w.WriteStartObject("tool");
            w.WriteStartObject("driver");
            w.WriteString("name", "MlBuildGuard");
            w.WriteString("semanticVersion", toolVersion);
            w.WriteString("informationUri", "https://github.com/MlBuildGuard/MlBuildGuard");
            w.WriteStartArray("rules");
            foreach (var code in codes)
            {
                var rule = RuleCatalog.Find(code);
                w.WriteStartObject();
                w.WriteString("id", code);
                if (rule is not null)
                {
                    w.WriteStartObject("shortDescription");
                    w.WriteString("text", rule.Title);
                    w.WriteEndObject();
                    w.WriteString("helpUri", rule.HelpUri);
                    w.WriteStartObject("defaultConfiguration");
                    w.WriteString("level", rule.DefaultSeverity switch
                    {
                        Severity.Error => "error",
                        Severity.Warning => "warning",
                        _ => "note",
                    });
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject("originalUriBaseIds");
            w.WriteStartObject(ProjectRoot);
            w.WriteString("uri", new Uri(root + Path.DirectorySeparatorChar).AbsoluteUri);
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartArray("results");
            foreach (var f in findings)
            {
                w.WriteStartObject();
                w.WriteString("ruleId", f.Code);
                w.WriteNumber("ruleIndex", codes.IndexOf(f.Code));
                w.WriteString("level", f.Level);
                w.WriteStartObject("message");
                w.WriteString("text", f.Message);
                w.WriteEndObject();
                if (f.File is not null)
                {
                    w.WriteStartArray("locations");
                    w.WriteStartObject();
                    w.WriteStartObject("physicalLocation");
                    w.WriteStartObject("artifactLocation");
                    var full = TryFullPath(f.File);
                    if (full is null)
                    {
                        w.WriteString("uri", Uri.EscapeDataString(f.File)); // not a usable path; keep it visible, escaped
                    }
                    else if (IO.PathSafety.IsUnder(full, root))
                    {
                        w.WriteString("uri", EscapeRelative(Path.GetRelativePath(root, full)));
                        w.WriteString("uriBaseId", ProjectRoot);
                    }
                    else
                    {
                        w.WriteString("uri", new Uri(full).AbsoluteUri);
                    }

                    w.WriteEndObject();
                    if (f.Line > 0)
                    {
                        w.WriteStartObject("region");
                        w.WriteNumber("startLine", f.Line);
                        if (f.Column > 0)
                        {
                            w.WriteNumber("startColumn", f.Column);
                        }

                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }

                if (f.SuppressionJustification is not null)
                {
                    w.WriteStartArray("suppressions");
                    w.WriteStartObject();
                    w.WriteString("kind", f.SuppressionJustification == "NoWarn" ? "external" : "inSource");
                    w.WriteString("justification", f.SuppressionJustification);
                    w.WriteEndObject();
                    w.WriteEndArray();
                }

                if (f.Subject is not null)
                {
                    w.WriteStartObject("properties");
                    w.WriteString("subject", f.Subject);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static string? TryFullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    private static string EscapeRelative(string relative) =>
        string.Join('/', relative.Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));
}
