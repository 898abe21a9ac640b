using System.CommandLine;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Tool.Commands;

/// <summary>
/// <c>mlguard infer-schema DATA [--data-format csv|tsv|jsonl|parquet] [--output FILE]</c>: prints a Table Schema inferred
/// from the data (a valid Table Schema to edit and commit). Exit 0, or 2 on a usage or I/O error or unreadable data.
/// </summary>
public static class InferSchemaCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var path = new Argument<string>("DATA") { Description = "A CSV, TSV, JSON Lines or Parquet file." };
        var dataFormat = new Option<string?>("--data-format") { Description = "csv, tsv, jsonl or parquet (default: from the file's extension)." };
        dataFormat.AcceptOnlyFromAmong("csv", "tsv", "jsonl", "parquet");
        var output = new Option<string?>("--output") { Description = "Write the schema to this file (never over an existing one) instead of standard output." };
        var command = new Command("infer-schema", "Print a Table Schema inferred from a data file.") { path, dataFormat, output };
        command.SetAction(r => Run(r.GetValue(path)!, r.GetValue(dataFormat), r.GetValue(output), stdout, stderr));
        return command;
    }

    public static int Run(string path, string? dataFormat, string? output, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(path))
        {
            stderr.WriteLine($"mlguard: {path}: No such file");
            return Program.UsageOrIoError;
        }

        if (!TableFormats.TryResolve(dataFormat, path, out var format, out var error))
        {
            stderr.WriteLine($"mlguard: {path}: {error} (use --data-format)");
            return Program.UsageOrIoError;
        }

        try
        {
            var schema = SchemaInferrer.ToJson(SchemaInferrer.Infer(path, format));
            if (output is null)
            {
                stdout.Write(System.Text.Encoding.UTF8.GetString(schema));
            }
            else if (File.Exists(output))
            {
                stderr.WriteLine($"mlguard: {output}: already exists; infer-schema never overwrites a schema");
                return Program.UsageOrIoError;
            }
            else
            {
                Core.IO.AtomicFile.WriteAllBytes(output, schema);
            }

            return 0;
        }
        catch (DataFormatException e)
        {
            var finding = Finding.Create(RuleCatalog.DataUnreadable, new SourceLocation(path, (int)Math.Min(e.Line, int.MaxValue), e.Column), path, path, format.Name(), e.Reason);
            stderr.WriteLine(finding.ToCanonicalString());
            return Program.UsageOrIoError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"mlguard: {e.Message}");
            return Program.UsageOrIoError;
        }
    }
}
