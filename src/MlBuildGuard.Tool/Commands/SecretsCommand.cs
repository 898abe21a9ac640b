using System.Collections.Concurrent;
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Baseline;
using MlBuildGuard.Core.Secrets.Files;
using MlBuildGuard.Core.Secrets.PersonalData;
using MlBuildGuard.Core.TrainingData;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard secrets PATH… [--format text|json|sarif] [--output FILE] [--rules FILE] [--baseline FILE] [--update-baseline]</c>:
/// credentials (MLG801) and private keys (MLG606) in files and folders, models and archives included; personal data
/// (MLG802) in tables, as the build reports it for a training input without <c>Pii="allow"</c>; MLG803 for a rule
/// file or baseline that cannot be used. Findings name the place, the rule and a fingerprint, never the secret. Exit 0
/// when nothing is at error level, 1 when something is, 2 on a usage or I/O error (SPEC §7).
/// </summary>
public static class SecretsCommand
{
    public const string DefaultBaseline = "mlguard.secrets-baseline.json";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files or folders (scanned recursively).", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text (default), json or sarif.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "sarif");
        var output = new Option<string?>("--output") { Description = "Write the report to this file instead of standard output." };
        var rules = new Option<string?>("--rules") { Description = "A gitleaks-format TOML file of extra rules." };
        var baseline = new Option<string?>("--baseline") { Description = $"The baseline of accepted findings (default: ./{DefaultBaseline} when it exists)." };
        var update = new Option<bool>("--update-baseline") { Description = "Accept every current finding: write their fingerprints to the baseline." };
        var command = new Command("secrets", "Find credentials and private keys in files, data and models.") { paths, format, output, rules, baseline, update };
        command.SetAction(r => Run(new Options(r.GetValue(paths)!, r.GetValue(format)!, r.GetValue(output), r.GetValue(rules), r.GetValue(baseline), r.GetValue(update)), stdout, stderr));
        return command;
    }

    public sealed record Options(IReadOnlyList<string> Paths, string Format, string? Output, string? Rules, string? Baseline, bool UpdateBaseline);

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        // Fail closed but still useful: a rule file that cannot be used leaves the built-in rules running (MLG803).
        var baselinePath = Path.GetFullPath(options.Baseline ?? DefaultBaseline);
        var loaded = SecretConfiguration.Load(options.Rules, baselinePath);
        var configuration = loaded.Problems.ToList();
        var ruleSet = loaded.Rules;
        var baselineBroken = !loaded.BaselineUsable;
        var baseline = loaded.Baseline;

        var files = new List<string>();
        foreach (var path in options.Paths)
        {
            if (Directory.Exists(path))
            {
                try
                {
                    files.AddRange(FileWalk.Files(path, stderr));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"mlguard: {path}: {e.Message}");
                    return Program.UsageOrIoError;
                }
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                stderr.WriteLine($"mlguard: {path}: No such file or directory");
                return Program.UsageOrIoError;
            }
        }

        var results = new ConcurrentDictionary<int, (SecretFileResult? Result, IReadOnlyList<PiiColumnResult> PersonalData, string? Error)>();
        Parallel.For(0, files.Count, i =>
        {
            try
            {
                // Rule and allowlist paths match the path relative to the current folder (as gitleaks run from a repository root).
                var rulePath = BaselineMatcher.KeyOf(files[i], Directory.GetCurrentDirectory()) ?? Path.GetFullPath(files[i]).Replace('\\', '/');
                results[i] = TableFormats.TryResolve(null, files[i], out var table, out _)
                    ? ScanTable(files[i], table, ruleSet, loaded.RulesKey, rulePath)
                    : (SecretFileScanner.Scan(files[i], ruleSet, rulePath), [], null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                results[i] = (null, [], e.Message);
            }
        });

        var baselineFolder = Path.GetDirectoryName(baselinePath)!;
        var findings = new List<(string File, Finding Finding)>(configuration.Select(f => (f.Location!.FilePath, f)));
        var entries = new List<BaselineEntry>();
        var accepted = 0;
        var ioFailed = false;
        for (var i = 0; i < files.Count; i++)
        {
            var (result, personalData, error) = results[i];
            if (result is null)
            {
                stderr.WriteLine($"mlguard: {files[i]}: {error}");
                ioFailed = true;
                continue;
            }

            foreach (var problem in result.Problems)
            {
                stderr.WriteLine($"mlguard: {files[i]}: {problem}");
            }

            if (result.Omitted > 0)
            {
                stderr.WriteLine($"mlguard: {files[i]}: {result.Omitted} more match(es) not listed (at most {SecretScanner.MaxMatches} per file)");
            }

            var outcome = BaselineMatcher.Apply(baseline, BaselineMatcher.KeyOf(files[i], baselineFolder), files[i], result.Matches);
            findings.AddRange(outcome.Findings.Select(f => (files[i], f)));
            findings.AddRange(PiiColumnScanner.FindingsOf(personalData, files[i], allowed: false).Select(f => (files[i], f)));
            entries.AddRange(outcome.Entries);
            accepted += outcome.Accepted;
        }

        if (options.UpdateBaseline)
        {
            if (baselineBroken)
            {
                stderr.WriteLine($"mlguard: {baselinePath} was not rewritten: fix or delete it first (MLG803).");
            }
            else
            {
                var scanned = files.Select(f => BaselineMatcher.KeyOf(f, baselineFolder)).OfType<string>().ToHashSet(StringComparer.Ordinal);
                var kept = baseline.Entries.Where(e => !scanned.Contains(e.File)); // other files' reviews stay
                try
                {
                    var changed = SecretsBaseline.Write(baselinePath, kept.Concat(entries));
                    stderr.WriteLine($"mlguard: {(changed ? "wrote" : "unchanged:")} {baselinePath} ({entries.Distinct().Count()} finding(s) of the scanned files accepted). Review and commit it.");
                    findings.RemoveAll(f => f.Finding.Code != RuleCatalog.SecretConfigurationInvalid.Code);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"mlguard: {baselinePath}: {e.Message}");
                    return Program.UsageOrIoError;
                }
            }
        }

        if (!WriteReport(options, findings, stdout, stderr))
        {
            return Program.UsageOrIoError;
        }

        var errors = findings.Count(f => f.Finding.Severity == Severity.Error);
        stderr.WriteLine($"mlguard secrets: {files.Count} file(s), {errors} error(s){(accepted > 0 ? $", {accepted} accepted by the baseline" : string.Empty)}.");
        return ioFailed ? Program.UsageOrIoError : errors > 0 ? 1 : 0;
    }

    /// <summary>
    /// A table (CSV, TSV, JSON Lines, Parquet by extension) is checked as the build checks a training input, in one read:
    /// credentials in every byte (MLG801) and personal data per column (MLG802). A table that cannot be parsed is still
    /// scanned for credentials; its columns are unknown, so no MLG802 names one.
    /// </summary>
    private static (SecretFileResult?, IReadOnlyList<PiiColumnResult>, string?) ScanTable(string path, TableFormat format, SecretRuleSet rules, string rulesKey, string rulePath)
    {
        var check = new TrainingInputContentCheck(rules, rulesKey, rulePath, format);
        check.Read(path, CancellationToken.None);
        var problems = check.Findings.TableProblem is { } p ? [$"not read as {p.Format}: {p.Reason}; scanned for credentials only"] : new List<string>();
        return (new SecretFileResult(path, check.Findings.Secrets, problems, check.Findings.SecretsOmitted), check.Findings.PersonalData, null);
    }

    private static bool WriteReport(Options options, List<(string File, Finding Finding)> findings, TextWriter stdout, TextWriter stderr) =>
        FindingsOutput.Write(findings.GroupBy(f => f.File, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<Finding>)g.Select(f => f.Finding).ToList())).ToList(), options.Format, options.Output, stdout, stderr);

}
