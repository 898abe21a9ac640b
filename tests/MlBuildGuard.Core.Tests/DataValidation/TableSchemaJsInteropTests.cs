using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>
/// A second opinion from Frictionless's own JavaScript library (npm <c>tableschema</c> 1.12.6): the schemas MlBuildGuard
/// infers are valid Table Schemas for it, and on a shared set of valid and invalid files both say the same. Patterns are
/// written anchored (^…$): the JavaScript library searches unanchored, while the specification (and MlBuildGuard) match
/// the whole value.
/// </summary>
public class TableSchemaJsInteropTests : IDisposable
{
    private const string Schema = """
        {
          "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": true, "unique": true, "minimum": 1}},
            {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
            {"name": "label", "type": "string", "constraints": {"enum": ["pos", "neg"]}},
            {"name": "code", "type": "string", "constraints": {"pattern": "^[A-Z]{2}[0-9]$", "minLength": 3, "maxLength": 3}},
            {"name": "day", "type": "date"},
            {"name": "ok", "type": "boolean"}
          ],
          "missingValues": ["", "NA"]
        }
        """;

    private const string Header = "id,score,label,code,day,ok\n";

    private readonly TempDirectory _temp = new("mlguard-tsjs");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string, bool> Cases => new()
    {
        { "clean", "1,0.5,pos,AB1,2024-01-31,true\n2,NA,neg,CD2,,false\n3,1,pos,EF3,2024-02-29,1\n", true },
        { "quoted and empty cells", "1,\"0.25\",\"pos\",\"AB1\",2024-01-01,0\n2,,neg,CD2,2024-12-31,\n", true },
        { "not an integer", "x,0.5,pos,AB1,2024-01-31,true\n", false },
        { "not a number", "1,half,pos,AB1,2024-01-31,true\n", false },
        { "required missing", "NA,0.5,pos,AB1,2024-01-31,true\n", false },
        { "duplicate id", "1,0.5,pos,AB1,2024-01-31,true\n1,0.7,neg,CD2,2024-01-31,true\n", false },
        { "below minimum", "0,0.5,pos,AB1,2024-01-31,true\n", false },
        { "above maximum", "1,1.5,pos,AB1,2024-01-31,true\n", false },
        { "not in enum", "1,0.5,maybe,AB1,2024-01-31,true\n", false },
        { "pattern", "1,0.5,pos,ab1,2024-01-31,true\n", false },
        { "too short", "1,0.5,pos,A1,2024-01-31,true\n", false },
        { "invalid date", "1,0.5,pos,AB1,2023-02-29,true\n", false },
        { "not a boolean", "1,0.5,pos,AB1,2024-01-31,maybe\n", false },
        { "renamed column", "1,0.5,pos,AB1,2024-01-31,true\n", false },
    };

    [Fact]
    public void Frictionless_and_MlBuildGuard_agree_on_valid_and_invalid_files()
    {
        var schemaFile = _temp.Write("schema.json", Schema);
        var schema = TableSchemaReader.ReadFile(schemaFile);
        var files = Cases.Select(c => (Name: (string)c[0], Valid: (bool)c[2], Path: _temp.Write($"{((string)c[0]).Replace(' ', '-')}.csv",
            ((string)c[0] == "renamed column" ? Header.Replace("label", "class", StringComparison.Ordinal) : Header) + (string)c[1]))).ToArray();

        var (exitCode, output) = SchemaValidator.TableSchemaData(schemaFile, files.Select(f => f.Path).ToArray());

        Assert.True(exitCode is 0 or 1, output);
        foreach (var (name, valid, path) in files)
        {
            var theirs = output.Split('\n').Single(l => l.StartsWith($"valid {path}", StringComparison.Ordinal) || l.StartsWith($"invalid {path}", StringComparison.Ordinal));
            var ours = TrainingDataValidator.Validate(new DataValidationRequest { FilePath = path, Format = TableFormat.Csv, Schema = schema });
            Assert.True(valid == theirs.StartsWith("valid ", StringComparison.Ordinal), $"{name}: tableschema says {theirs}");
            Assert.True(valid == (ours.Findings.Count == 0), $"{name}: MlBuildGuard says {string.Join(" | ", ours.Findings.Select(f => f.Message))}");
        }
    }

    [Fact]
    public void An_inferred_schema_is_a_valid_Table_Schema_and_both_accept_its_data()
    {
        var data = _temp.Write("train.csv", "id,amount,flag,day,at,clock,name,blank\n1,2.5,true,2024-01-02,2024-01-02T03:04:05Z,10:11:12,a b,\n2,-3,FALSE,2025-12-31,2025-12-31T23:59:59Z,00:00:00,\"c, d\",\n");
        var schemaFile = _temp.Combine("inferred.json");
        File.WriteAllBytes(schemaFile, SchemaInferrer.ToJson(SchemaInferrer.Infer(data, TableFormat.Csv)));

        var (schemaExit, schemaOutput) = SchemaValidator.TableSchemaDescriptor(schemaFile);
        var (dataExit, dataOutput) = SchemaValidator.TableSchemaData(schemaFile, data);

        Assert.True(schemaExit == 0, schemaOutput);
        Assert.True(dataExit == 0, dataOutput);
        Assert.Empty(TrainingDataValidator.Validate(new DataValidationRequest { FilePath = data, Format = TableFormat.Csv, Schema = TableSchemaReader.ReadFile(schemaFile) }).Findings);
    }

    [Fact]
    public void A_schema_the_JavaScript_library_refuses_is_refused_here_too()
    {
        var schemaFile = _temp.Write("bad.json", "{\"fields\": [{\"name\": \"a\", \"type\": \"integr\"}]}");

        Assert.Equal(1, SchemaValidator.TableSchemaDescriptor(schemaFile).ExitCode);
        Assert.Throws<SchemaException>(() => TableSchemaReader.ReadFile(schemaFile));
    }
}
