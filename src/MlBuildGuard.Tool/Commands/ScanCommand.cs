using System.CommandLine;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;

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
        var format = FindingsOutput.FormatOption();
        var output = FindingsOutput.OutputOption();
        var strict = new Option<bool>("--strict") { Description = "Imports not on the allowlist are errors (the default, as in the build); --strict false makes them warnings.", DefaultValueFactory = _ => true };
        var allow = new Option<string[]>("--allow") { Description = "Also allow this global (module.name or module.*); repeatable.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("scan", "Scan model files for code that would run when they are loaded.") { paths, format, output, strict, allow };
        command.SetAction(r => Run(r.GetValue(paths)!, r.GetValue(format)!, r.GetValue(output), r.GetValue(strict), r.GetValue(allow) ?? [], stdout, stderr));
        return command;
    }

    public static int Run(IReadOnlyList<string> paths, string format, string? output, bool strict, IReadOnlyList<string> allowed, TextWriter stdout, TextWriter stderr)
    {
        var options = new ScanOptions { Strict = strict, AllowedGlobals = allowed };
        var files = new List<ReportedFile>();
        foreach (var path in paths)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                stderr.WriteLine($"mlguard: {path}: No such file or directory");
                return Program.UsageOrIoError;
            }

            var result = ModelScanner.Scan(path, options, mustBeModel: true);
            var folder = Directory.Exists(path);
            files.AddRange(result.Files.Select(f => new ReportedFile(folder ? Path.Combine(path, f.Path) : path, f.Findings, f.Formats, f.SkippedAsNotAModel)));
        }

        var all = files.SelectMany(f => f.Findings).ToList();
        if (!FindingsOutput.Write(files, format, output, stdout, stderr))
        {
            return Program.UsageOrIoError;
        }

        stderr.WriteLine($"mlguard scan: {files.Count} file(s), {all.Count(f => f.Severity == Severity.Error)} error(s), {all.Count(f => f.Severity == Severity.Warning)} warning(s).");
        return all.Any(f => f.Severity == Severity.Error) ? 1 : 0;
    }
}
