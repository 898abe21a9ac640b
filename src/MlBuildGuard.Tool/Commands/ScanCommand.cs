using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Reporting;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard scan PATH… [--format text|json|sarif] [--output FILE] [--strict]</c>: the build's model scan on files and
/// folders. Exit 0 when nothing is at error level, 1 when something is, 2 on a usage or I/O error (SPEC §7). Text and JSON
/// list every file looked at with its verdict and the formats found in it, or that it was skipped as not a model.
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
        var files = new List<ScannedFile>();
        foreach (var path in paths)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                stderr.WriteLine($"mlguard: {path}: No such file or directory");
                return Program.UsageOrIoError;
            }

            var result = ModelScanner.Scan(path, options, mustBeModel: true);
            var folder = Directory.Exists(path);
            files.AddRange(result.Files.Select(f => f with { Path = folder ? Path.Combine(path, f.Path) : path }));
        }

        var all = files.SelectMany(f => f.Findings).ToList();
        var report = format switch
        {
            "json" => Json(files),
            "sarif" => System.Text.Encoding.UTF8.GetString(SarifWriter.ToBytes(
                all.Select(f => FindingRecord.From(f, f.Severity)).ToList(), Directory.GetCurrentDirectory(), Version)),
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
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {output}: {e.Message}");
            return Program.UsageOrIoError;
        }

        stderr.WriteLine($"mlguard scan: {files.Count} file(s), {all.Count(f => f.Severity == Severity.Error)} error(s), {all.Count(f => f.Severity == Severity.Warning)} warning(s).");
        return all.Any(f => f.Severity == Severity.Error) ? 1 : 0;
    }

    /// <summary>The verdict of one file: what a reader of the listing acts on first.</summary>
    private static string Verdict(ScannedFile file) =>
        file.Findings.Any(f => f.Severity == Severity.Error) ? "error"
        : file.Findings.Any(f => f.Severity == Severity.Warning) ? "warning"
        : file.SkippedAsNotAModel ? "skipped" : "clean";

    /// <summary>One line per file: verdict, path, and the formats found (or why it was skipped).</summary>
    private static string Listing(IReadOnlyList<ScannedFile> files)
    {
        var width = files.Count == 0 ? 0 : files.Max(f => f.Path.Length);
        var lines = files.Select(f => $"{Verdict(f),-8} {f.Path.PadRight(width)}  {(f.SkippedAsNotAModel ? "not a model" : string.Join(", ", f.Formats))}\n");
        return string.Concat(lines);
    }

    private static string Json(IReadOnlyList<ScannedFile> files)
    {
        var document = new
        {
            tool = "mlguard",
            version = Version,
            files = files.Select(f => new
            {
                path = f.Path,
                verdict = Verdict(f),
                clean = f.Findings.All(x => x.Severity == Severity.Message),
                formats = f.Formats,
                findings = f.Findings.Select(x => new { code = x.Code, severity = x.Severity.ToString().ToLowerInvariant(), view = x.Subject, message = x.Message, help = x.Rule.HelpUri }),
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static string Version => typeof(ScanCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
