using System.CommandLine;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard validate DATA… --schema FILE [--data-format csv|tsv|jsonl|parquet] [--format text|json|sarif] [--output FILE]</c>:
/// the build's data rules (MLG701–MLG704) on files. Exit 0 when nothing is at error level, 1 when something is (an
/// invalid schema is MLG704, a finding like the others), 2 on a usage or I/O error (SPEC §7).
/// </summary>
public static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("DATA") { Description = "CSV, TSV, JSON Lines or Parquet files.", Arity = ArgumentArity.OneOrMore };
        var schema = new Option<string>("--schema") { Description = "The Frictionless Table Schema (JSON, or YAML for .yaml/.yml).", Required = true };
        var dataFormat = new Option<string?>("--data-format") { Description = "csv, tsv, jsonl or parquet (default: from each file's extension)." };
        dataFormat.AcceptOnlyFromAmong("csv", "tsv", "jsonl", "parquet");
        var format = FindingsOutput.FormatOption();
        var output = FindingsOutput.OutputOption();
        var command = new Command("validate", "Validate training data against a Table Schema and its expectations.") { paths, schema, dataFormat, format, output };
        command.SetAction(r => Run(r.GetValue(paths)!, r.GetValue(schema)!, r.GetValue(dataFormat), r.GetValue(format)!, r.GetValue(output), stdout, stderr));
        return command;
    }

    public static int Run(IReadOnlyList<string> paths, string schemaPath, string? dataFormat, string format, string? output, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(schemaPath))
        {
            stderr.WriteLine($"mlguard: {schemaPath}: No such file");
            return Program.UsageOrIoError;
        }

        var results = new List<(string Path, IReadOnlyList<Finding> Findings)>();
        TableSchema? schema = null;
        try
        {
            schema = TableSchemaReader.ReadFile(schemaPath);
        }
        catch (SchemaException e)
        {
            results.Add((schemaPath, [Finding.Create(RuleCatalog.DataSchemaInvalid, new SourceLocation(schemaPath, e.Line, e.Column), schemaPath, schemaPath, e.Reason)]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {schemaPath}: {e.Message}");
            return Program.UsageOrIoError;
        }

        if (schema is not null)
        {
            foreach (var path in paths)
            {
                if (!File.Exists(path))
                {
                    stderr.WriteLine($"mlguard: {path}: No such file");
                    return Program.UsageOrIoError;
                }

                if (!TableFormats.TryResolve(dataFormat, path, out var tableFormat, out var error))
                {
                    stderr.WriteLine($"mlguard: {path}: {error} (use --data-format)");
                    return Program.UsageOrIoError;
                }

                try
                {
                    var result = TrainingDataValidator.Validate(new DataValidationRequest { FilePath = path, Subject = path, Format = tableFormat, Schema = schema });
                    results.Add((path, result.Findings));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"mlguard: {path}: {e.Message}");
                    return Program.UsageOrIoError;
                }
            }
        }

        if (!FindingsOutput.Write(results, format, output, stdout, stderr))
        {
            return Program.UsageOrIoError;
        }

        var all = results.SelectMany(r => r.Findings).ToList();
        stderr.WriteLine($"mlguard validate: {paths.Count} file(s), {all.Count(f => f.Severity == Severity.Error)} error(s), {all.Count(f => f.Severity == Severity.Warning)} warning(s).");
        return all.Any(f => f.Severity == Severity.Error) ? 1 : 0;
    }
}
