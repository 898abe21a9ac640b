using System.Text;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>
/// Robustness of the data and metrics readers: random and mutated inputs (fixed seeds, so failures reproduce) end in a
/// coded result — findings of the data rules, or the reader's own exception type (which the callers turn into MLG704,
/// MLG712 or MLG407) — never another exception. <c>MLGUARD_FUZZ_INPUTS</c> raises the count for long runs.
/// </summary>
public class DataFuzzTests : IDisposable
{
    private static readonly int Inputs = int.TryParse(Environment.GetEnvironmentVariable("MLGUARD_FUZZ_INPUTS"), out var n) ? n : 1500;

    private const string SchemaYaml = """
        fields:
          - name: id
            type: integer
            constraints: {required: true, unique: true, minimum: 0}
          - {name: score, type: number, constraints: {maximum: 1}}
          - {name: label, constraints: {enum: [a, b], pattern: '[a-z]', maxLength: 4}}
          - {name: day, type: date}
        primaryKey: id
        missingValues: ['', NA]
        mlguard: {minRows: 1, maxNullFraction: {'*': 0.5}, labels: {field: label, minShare: 0.1}}
        """;

    private static readonly TableSchema Schema = DataFixture.Schema(SchemaYaml);

    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    private static void AssertDataRulesOnly(Action<ITableSink> read)
    {
        var validator = new TableValidator(Schema, "fuzz", "fuzz");
        try
        {
            read(validator);
        }
        catch (DataFormatException)
        {
            return;
        }

        var (findings, profile) = validator.Complete();
        Assert.All(findings, f => Assert.Contains(f.Code, new[] { "MLG701", "MLG702", "MLG703", "MLG704" }));
        Assert.NotNull(profile);
    }

    [Fact]
    public void The_schema_reader_survives_mutated_json_and_yaml()
    {
        var random = new Random(20261206);
        var yaml = Encoding.UTF8.GetBytes(SchemaYaml);
        var json = Encoding.UTF8.GetBytes("""{"fields": [{"name": "a", "type": "integer", "constraints": {"minimum": 1, "enum": [1, 2]}}, {"name": "b", "format": "email"}], "primaryKey": ["a"], "mlguard": {"drift": {"psi": 0.2}}}""");
        for (var i = 0; i < Inputs; i++)
        {
            var yamlInput = InputMutator.Mutate(random, yaml);
            var jsonInput = InputMutator.Mutate(random, json);
            try
            {
                TableSchemaReader.Parse(yamlInput, yaml: true);
            }
            catch (SchemaException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Reason));
            }

            try
            {
                TableSchemaReader.Parse(jsonInput, yaml: false);
            }
            catch (SchemaException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Reason));
            }
        }
    }

    [Fact]
    public void The_csv_tsv_and_json_lines_readers_survive_mutated_tables()
    {
        var random = new Random(4242);
        var csv = Encoding.UTF8.GetBytes("id,score,label,day\n1,0.5,a,2024-01-01\n2,NA,\"b\nb\",2024-02-30\n3,2,c,\n\"4\",0.1,\"a\"\"\",2024-03-01\n");
        var jsonl = Encoding.UTF8.GetBytes("{\"id\": 1, \"score\": 0.5, \"label\": \"a\", \"day\": \"2024-01-01\"}\n{\"id\": 2, \"score\": null, \"label\": [1], \"x\": {}}\n");
        var columns = Schema.Fields.Select(f => f.Name).ToArray();
        for (var i = 0; i < Inputs; i++)
        {
            var a = InputMutator.Mutate(random, csv);
            var b = InputMutator.Mutate(random, jsonl);
            AssertDataRulesOnly(sink => SeparatedValuesReader.Read(new MemoryStream(a), ',', sink));
            AssertDataRulesOnly(sink => SeparatedValuesReader.Read(new MemoryStream(a), '\t', sink));
            AssertDataRulesOnly(sink => JsonLinesReader.Read(new MemoryStream(b), columns, sink));
        }
    }

    [Fact]
    public void The_parquet_reader_survives_mutated_files()
    {
        var random = new Random(1234);
        var sample = File.ReadAllBytes(_data.WriteParquet("s.parquet", [1, 2, null, 4], ["a", null, "b", "c"]));
        for (var i = 0; i < Inputs / 3; i++)
        {
            var input = InputMutator.Mutate(random, sample, prefix: "PAR1"u8.ToArray());
            AssertDataRulesOnly(sink => ParquetTableReader.Read(new MemoryStream(input), sink));
        }
    }

    [Fact]
    public void The_metrics_reader_and_the_lock_sections_survive_mutated_input()
    {
        var random = new Random(99);
        var metrics = Encoding.UTF8.GetBytes("{\"accuracy\": 0.91, \"test\": {\"auc\": 0.8, \"n\": 1e3}, \"model\": \"x\"}");
        var lockFile = new LockFile();
        lockFile.DataProfiles["a.csv"] = _data.Validate("a.csv", "id,score,label,day\n1,0.5,a,2024-01-01\n2,0.7,b,\n", SchemaYaml).Profile!;
        lockFile.ModelMetrics["m.json"] = new LockedMetrics(new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance) { ["acc"] = 0.9 },
            new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance) { ["t.csv"] = new string('a', 64) });
        var locked = LockFileWriter.ToBytes(lockFile);
        for (var i = 0; i < Inputs; i++)
        {
            try
            {
                MetricsFile.Parse(InputMutator.Mutate(random, metrics));
            }
            catch (SchemaException)
            {
            }

            try
            {
                LockFileReader.Parse(InputMutator.Mutate(random, locked));
            }
            catch (LockFileException)
            {
            }
        }
    }
}
