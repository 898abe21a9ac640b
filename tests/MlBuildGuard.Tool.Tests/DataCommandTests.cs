using System.Text.Json;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

/// <summary><c>mlguard validate</c> and <c>mlguard infer-schema</c>: output shapes and exit codes (SPEC §7).</summary>
public sealed class DataCommandTests : IDisposable
{
    private const string Schema = """
        fields:
          - {name: id, type: integer, constraints: {required: true, unique: true}}
          - {name: age, type: integer, constraints: {minimum: 0, maximum: 120}}
        mlguard: {minRows: 2}
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Valid_data_exits_0_and_prints_no_finding()
    {
        var schema = _dir.Write("schema.yaml", Schema);
        var data = _dir.Write("train.csv", "id,age\n1,30\n2,40\n");

        var (code, stdout, stderr) = Cli.Run("validate", data, "--schema", schema);

        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        Assert.Contains("1 file(s), 0 error(s)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Violations_exit_1_in_canonical_form_per_file()
    {
        var schema = _dir.Write("schema.yaml", Schema);
        var good = _dir.Write("good.tsv", "id\tage\n1\t30\n2\t40\n");
        var bad = _dir.Write("bad.csv", "id,age\n1,300\n");

        var (code, stdout, _) = Cli.Run("validate", good, bad, "--schema", schema);

        Assert.Equal(1, code);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{bad}(2,3): error MLG701: Training input '{bad}', field 'age': 1 value(s) break the maximum rule", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{bad}: error MLG702: Training input '{bad}' fails the expectation mlguard.minRows", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_schema_is_MLG704_with_its_place_and_exit_1()
    {
        var schema = _dir.Write("schema.json", "{\"fields\": [{\"name\": \"id\", \"type\": \"int\"}]}");
        var data = _dir.Write("train.csv", "id\n1\n");

        var (code, stdout, _) = Cli.Run("validate", data, "--schema", schema);

        Assert.Equal(1, code);
        Assert.StartsWith($"{schema}(1,36): error MLG704: The schema '{schema}' is invalid: field 'id': unknown type 'int'", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_data_is_MLG704_and_exit_1()
    {
        var schema = _dir.Write("schema.yaml", Schema);
        var data = _dir.Write("train.parquet", "id,age\n1,2\n");

        var (code, stdout, _) = Cli.Run("validate", data, "--schema", schema);

        Assert.Equal(1, code);
        Assert.Contains("error MLG704: Training input", stdout, StringComparison.Ordinal);
        Assert.Contains("cannot be read as parquet", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("sarif")]
    public void Json_and_sarif_reports_carry_the_findings(string format)
    {
        var schema = _dir.Write("schema.yaml", Schema);
        var bad = _dir.Write("bad.jsonl", "{\"id\": 1, \"age\": -1}\n{\"id\": 1, \"age\": 5}\n");
        var report = _dir.Combine("report." + format);

        var (code, stdout, _) = Cli.Run("validate", bad, "--schema", schema, "--format", format, "--output", report);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        using var document = JsonDocument.Parse(File.ReadAllText(report));
        var text = document.RootElement.ToString();
        Assert.Contains("MLG701", text, StringComparison.Ordinal);
        if (format == "sarif")
        {
            Assert.Equal("2.1.0", document.RootElement.GetProperty("version").GetString());
        }
        else
        {
            var findings = document.RootElement.GetProperty("files")[0].GetProperty("findings");
            Assert.Equal(2, findings.GetArrayLength()); // minimum on age, unique on id
            Assert.Equal([2, 1], findings.EnumerateArray().Select(f => f.GetProperty("line").GetInt32()));
        }
    }

    [Theory]
    [InlineData("missing.csv", true)]
    [InlineData("data.xyz", false)]
    public void Usage_and_io_errors_exit_2(string data, bool missing)
    {
        var schema = _dir.Write("schema.yaml", Schema);
        var path = missing ? _dir.Combine(data) : _dir.Write(data, "id,age\n");

        var (code, _, stderr) = Cli.Run("validate", path, "--schema", schema);

        Assert.Equal(2, code);
        Assert.Contains(missing ? "No such file" : "names no data format", stderr, StringComparison.Ordinal);
        Assert.Equal(2, Cli.Run("validate", path).ExitCode); // --schema is required
        Assert.Equal(2, Cli.Run("validate", _dir.Write("ok.csv", "id,age\n1,2\n"), "--schema", _dir.Combine("none.yaml")).ExitCode);
    }

    [Fact]
    public void The_data_format_option_overrides_the_extension()
    {
        var schema = _dir.Write("schema.yaml", Schema);
        var data = _dir.Write("train.txt", "id\tage\n1\t2\n3\t4\n");

        Assert.Equal(0, Cli.Run("validate", data, "--schema", schema, "--data-format", "tsv").ExitCode);
    }

    [Fact]
    public void Infer_schema_prints_a_schema_that_validates_its_data()
    {
        var data = _dir.Write("train.csv", "id,score,name\n1,0.5,a\n2,1,b\n");

        var (code, stdout, _) = Cli.Run("infer-schema", data);

        Assert.Equal(0, code);
        using var document = JsonDocument.Parse(stdout);
        var fields = document.RootElement.GetProperty("fields");
        Assert.Equal(["integer", "number", "string"], fields.EnumerateArray().Select(f => f.GetProperty("type").GetString()));
        var schema = _dir.Write("inferred.json", stdout);
        Assert.Equal(0, Cli.Run("validate", data, "--schema", schema).ExitCode);
    }

    [Fact]
    public void Infer_schema_writes_a_new_file_and_never_overwrites_one()
    {
        var data = _dir.Write("train.csv", "id\n1\n");
        var output = _dir.Combine("schema.json");

        Assert.Equal(0, Cli.Run("infer-schema", data, "--output", output).ExitCode);
        Assert.Contains("\"integer\"", File.ReadAllText(output), StringComparison.Ordinal);
        var (code, _, stderr) = Cli.Run("infer-schema", data, "--output", output);
        Assert.Equal(2, code);
        Assert.Contains("never overwrites", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Infer_schema_on_unreadable_data_exits_2_with_MLG704()
    {
        var data = _dir.Write("bad.jsonl", "[1, 2]\n");

        var (code, stdout, stderr) = Cli.Run("infer-schema", data);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("error MLG704", stderr, StringComparison.Ordinal);
        Assert.Equal(2, Cli.Run("infer-schema", _dir.Combine("none.csv")).ExitCode);
    }
}
