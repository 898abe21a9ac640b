using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Reporting;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard scan PATH… [--format text|json|sarif] [--output FILE] [--strict]</c>: the build's model scan on files and
/// folders. Exit 0 when nothing is at error level, 1 when something is, 2 on a usage or I/O error (SPEC §7).
/// </summary>
public static class ScanCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Model files or folders.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text (default), json or sarif.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "sarif");
        var output = new Option<string?>("--output") { Description = "Write the report to this file instead of standard output." };
        var strict = new Option<bool>("--strict") { Description = "Imports not on the allowlist are errors (the default, as in the build); --strict false makes them warnings.", DefaultValueFactory = _ => true };
        var allow = new Option<string[]>("--allow") { Description = "Also allow this global (module.name or module.*); repeatable.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("scan", "Scan model files for code that would run when they are loaded.") { paths, format, output, strict, allow };
        command.SetAction(r => Run(r.GetValue(paths)!, r.GetValue(format)!, r.GetValue(output), r.GetValue(strict), r.GetValue(allow) ?? [], stdout, stderr));
        return command;
    }

    public static int Run(IReadOnlyList<string> paths, string format, string? output, bool strict, IReadOnlyList<string> allowed, TextWriter stdout, TextWriter stderr)
    {
        var options = new ScanOptions { Strict = strict, AllowedGlobals = allowed };
        var results = new List<(string Path, IReadOnlyList<Finding> Findings)>();
        foreach (var path in paths)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                stderr.WriteLine($"mlguard: {path}: No such file or directory");
                return Program.UsageOrIoError;
            }

            results.Add((path, ModelScanner.ScanPath(path, options, mustBeModel: true)));
        }

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
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {output}: {e.Message}");
            return Program.UsageOrIoError;
        }

        var all = results.SelectMany(r => r.Findings).ToList();
        stderr.WriteLine($"mlguard scan: {paths.Count} path(s), {all.Count(f => f.Severity == Severity.Error)} error(s), {all.Count(f => f.Severity == Severity.Warning)} warning(s).");
        return all.Any(f => f.Severity == Severity.Error) ? 1 : 0;
    }

    private static string Json(List<(string Path, IReadOnlyList<Finding> Findings)> results)
    {
        var document = new
        {
            tool = "mlguard",
            version = Version,
            files = results.Select(r => new
            {
                path = r.Path,
                clean = r.Findings.All(f => f.Severity == Severity.Message),
                findings = r.Findings.Select(f => new { code = f.Code, severity = f.Severity.ToString().ToLowerInvariant(), view = f.Subject, message = f.Message, help = f.Rule.HelpUri }),
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static string Version => typeof(ScanCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
