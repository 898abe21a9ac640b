using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;

namespace MlBuildGuard.Tool.Commands;

/// <summary>One file a checking command looked at, with its findings and, where the command knows them, the formats found in it.</summary>
internal sealed record ReportedFile(string Path, IReadOnlyList<Finding> Findings, IReadOnlyList<string>? Formats = null, bool SkippedAsNotAModel = false)
{
    /// <summary>What a reader of the report acts on first.</summary>
    public string Verdict => Findings.Any(f => f.Severity == Severity.Error) ? "error"
        : Findings.Any(f => f.Severity == Severity.Warning) ? "warning"
        : SkippedAsNotAModel ? "skipped" : "clean";
}

/// <summary>
/// How the checking commands (<c>scan</c>, <c>validate</c>, <c>secrets</c>) report findings: the MSBuild canonical text
/// (followed, for <c>scan</c>, by one line per file with its verdict and formats), a JSON document with one entry per
/// file, or a SARIF 2.1.0 log; to standard output or to a file written atomically.
/// </summary>
internal static class FindingsOutput
{
    public static Option<string> FormatOption()
    {
        var format = new Option<string>("--format") { Description = "text (default), json or sarif.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "sarif");
        return format;
    }

    public static Option<string?> OutputOption() => new("--output") { Description = "Write the report to this file instead of standard output." };

    public static bool Write(IReadOnlyList<(string Path, IReadOnlyList<Finding> Findings)> results, string format, string? output, TextWriter stdout, TextWriter stderr) =>
        Write(results.Select(r => new ReportedFile(r.Path, r.Findings)).ToList(), format, output, stdout, stderr);

    /// <summary>Writes the report; false (after saying why on standard error) when the output file cannot be written.</summary>
    public static bool Write(IReadOnlyList<ReportedFile> files, string format, string? output, TextWriter stdout, TextWriter stderr)
    {
        var all = files.SelectMany(f => f.Findings).ToList();
        var report = format switch
        {
            "json" => Json(files),
            "sarif" => System.Text.Encoding.UTF8.GetString(SarifWriter.ToBytes(all.Select(f => FindingRecord.From(f, f.Severity)).ToList(), Directory.GetCurrentDirectory(), Version)),
            _ => string.Concat(all.Select(f => f.ToCanonicalString() + "\n")) + Listing(files),
        };
        try
        {
            if (output is null)
            {
                stdout.Write(report);
            }
            else
            {
                Core.IO.AtomicFile.WriteAllBytes(output, System.Text.Encoding.UTF8.GetBytes(report));
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {output}: {e.Message}");
            return false;
        }
    }

    /// <summary>One line per file (files whose formats are known): verdict, path, and the formats found or "not a model".</summary>
    private static string Listing(IReadOnlyList<ReportedFile> files)
    {
        var listed = files.Where(f => f.Formats is not null).ToList();
        var width = listed.Count == 0 ? 0 : listed.Max(f => f.Path.Length);
        return string.Concat(listed.Select(f => $"{f.Verdict,-8} {f.Path.PadRight(width)}  {(f.SkippedAsNotAModel ? "not a model" : string.Join(", ", f.Formats!))}\n"));
    }

    /// <summary>The JSON report, written field by field (no reflection, so it works in the ahead-of-time compiled tool).</summary>
    private static string Json(IReadOnlyList<ReportedFile> files)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("tool", "mlguard");
            json.WriteString("version", Version);
            json.WriteStartArray("files");
            foreach (var file in files)
            {
                json.WriteStartObject();
                json.WriteString("path", file.Path);
                json.WriteString("verdict", file.Verdict);
                json.WriteBoolean("clean", file.Findings.All(x => x.Severity == Severity.Message));
                if (file.Formats is not null)
                {
                    json.WriteStartArray("formats");
                    file.Formats.ToList().ForEach(json.WriteStringValue);
                    json.WriteEndArray();
                }

                json.WriteStartArray("findings");
                foreach (var finding in file.Findings)
                {
                    json.WriteStartObject();
                    json.WriteString("code", finding.Code);
                    json.WriteString("severity", finding.Severity.ToString().ToLowerInvariant());
                    json.WriteString("view", finding.Subject);
                    json.WriteString("message", finding.Message);
                    json.WriteNumber("line", finding.Location?.Line ?? 0);
                    json.WriteNumber("column", finding.Location?.Column ?? 0);
                    json.WriteString("help", finding.Rule.HelpUri);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static string Version => typeof(FindingsOutput).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
