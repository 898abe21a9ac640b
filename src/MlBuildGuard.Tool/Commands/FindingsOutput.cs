using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// How the checking commands (<c>scan</c>, <c>validate</c>) report findings: the MSBuild canonical text, a JSON document
/// per file, or a SARIF 2.1.0 log, to standard output or to a file written atomically.
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

    /// <summary>Writes the report; false (after saying why on standard error) when the output file cannot be written.</summary>
    public static bool Write(IReadOnlyList<(string Path, IReadOnlyList<Finding> Findings)> results, string format, string? output, TextWriter stdout, TextWriter stderr)
    {
        var report = format switch
        {
            "json" => Json(results),
            "sarif" => System.Text.Encoding.UTF8.GetString(SarifWriter.ToBytes(
                results.SelectMany(r => r.Findings).Select(f => FindingRecord.From(f, f.Severity)).ToList(), Directory.GetCurrentDirectory(), Version)),
            _ => string.Concat(results.SelectMany(r => r.Findings).Select(f => f.ToCanonicalString() + "\n")),
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

    private static string Json(IReadOnlyList<(string Path, IReadOnlyList<Finding> Findings)> results)
    {
        var document = new
        {
            tool = "mlguard",
            version = Version,
            files = results.Select(r => new
            {
                path = r.Path,
                clean = r.Findings.All(f => f.Severity == Severity.Message),
                findings = r.Findings.Select(f => new
                {
                    code = f.Code,
                    severity = f.Severity.ToString().ToLowerInvariant(),
                    view = f.Subject,
                    message = f.Message,
                    line = f.Location?.Line ?? 0,
                    column = f.Location?.Column ?? 0,
                    help = f.Rule.HelpUri,
                }),
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    public static string Version => typeof(FindingsOutput).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
