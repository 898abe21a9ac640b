using System.Text;
using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class SchemaReaderTests
{
    private const string FullJson = """
        {
          "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": true, "unique": true, "minimum": 1}},
            {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
            {"name": "label", "type": "string", "constraints": {"enum": ["pos", "neg"], "minLength": 3, "maxLength": 3, "pattern": "[a-z]+"}},
            {"name": "day", "type": "date", "format": "%d/%m/%Y"},
            {"name": "flag", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]}
          ],
          "missingValues": ["", "NA"],
          "primaryKey": ["id", "day"],
          "uniqueKeys": [["label", "day"]],
          "mlguard": {"minRows": 10, "maxRows": 1000, "maxNullFraction": {"score": 0.1, "*": 0.5},
                      "labels": {"field": "label", "minShare": 0.2, "values": ["pos", "neg"]},
                      "drift": {"psi": 0.2, "js": 0.05, "linf": 0.3}, "maxUniqueKeys": 1000}
        }
        """;

    [Fact]
    public void A_full_json_schema_is_read_with_its_constraints_keys_and_expectations()
    {
        var schema = TableSchemaReader.Parse(Encoding.UTF8.GetBytes(FullJson), yaml: false);

        Assert.Equal(["id", "score", "label", "day", "flag"], schema.Fields.Select(f => f.Name));
        Assert.Equal(FieldType.Date, schema.Fields[3].Type);
        Assert.True(schema.Fields[0].Constraints.Required);
        Assert.Equal(1, schema.Fields[0].Constraints.Minimum!.Value.Integer);
        Assert.Equal(["", "NA"], schema.MissingValues);
        Assert.Equal(["id", "day"], schema.PrimaryKey);
        Assert.Single(schema.UniqueKeys);
        Assert.Equal(10, schema.Expectations.MinRows);
        Assert.Equal(0.1, schema.Expectations.MaxNullFractionOf("score"));
        Assert.Equal(0.5, schema.Expectations.MaxNullFractionOf("label"));
        Assert.Equal(new DriftThresholds(0.2, 0.05, 0.3), schema.Expectations.Drift);
        Assert.Equal(1000, schema.Expectations.MaxUniqueKeys);
        Assert.Equal(64, schema.Digest.Length);
    }

    [Fact]
    public void Yaml_and_json_give_the_same_schema()
    {
        const string yaml = """
            fields:
              - name: id
                type: integer
                constraints: {required: true, maximum: 5}
              - name: note
            primaryKey: id
            """;
        var schema = TableSchemaReader.Parse(Encoding.UTF8.GetBytes(yaml), yaml: true);

        Assert.Equal(FieldType.String, schema.Fields[1].Type); // the default type
        Assert.Equal(["id"], schema.PrimaryKey);
        Assert.Equal(5, schema.Fields[0].Constraints.Maximum!.Value.Integer);
    }

    [Theory]
    [InlineData("{\"fields\": [ {\"name\": \"a\",} ]}", false, 1, 27, "invalid JSON")]
    [InlineData("{\n  \"fields\": [\n    {\"name\": \"a\", \"type\": \"intger\"}\n  ]\n}", false, 3, 27, "unknown type 'intger'")]
    [InlineData("fields:\n  - name: a\n    constraints:\n      minimun: 1\n", true, 4, 7, "unknown constraint 'minimun'")]
    [InlineData("fields:\n  - name: a\n    type: string\n    constraints: {minimum: 1}\n", true, 4, 19, "'minimum' does not apply to type 'string'")]
    [InlineData("fields:\n  - name: a\n    type: integer\n    constraints: {minimum: x}\n", true, 4, 28, "'minimum' value 'x' is not a integer")]
    [InlineData("fields:\n  - name: a\n    type: integer\n    constraints: {minimum: 5, maximum: 1}\n", true, 4, 18, "is above 'maximum'")]
    [InlineData("fields:\n  - name: a\n    constraints: {pattern: '(a)\\1'}\n", true, 3, 28, "linear-time")]
    [InlineData("fields:\n  - name: a\n    constraints: {enum: []}\n", true, 3, 25, "non-empty array")]
    [InlineData("fields:\n  - name: a\nprimaryKey: [b]\n", true, 3, 13, "names 'b'")]
    [InlineData("fields:\n  - name: a\n  - name: a\n", true, 3, 5, "two fields are named 'a'")]
    [InlineData("fields:\n  - name: a\nforeignKeys: []\n", true, 3, 14, "not supported")]
    [InlineData("fields:\n  - name: a\nmlguard:\n  minrows: 3\n", true, 4, 3, "unknown expectation 'mlguard.minrows'")]
    [InlineData("fields:\n  - name: a\nmlguard:\n  maxNullFraction: {a: 1.5}\n", true, 4, 24, "between 0 and 1")]
    [InlineData("fields:\n  - name: a\nmlguard:\n  labels: {field: b, minShare: 0.1}\n", true, 4, 19, "not a field of the schema")]
    [InlineData("fields:\n  - name: a\n  bad: [\n", true, 3, 3, "invalid YAML")]
    [InlineData("fields:\n  - name: a\nfields: []\n", true, 3, 1, "duplicate key 'fields'")]
    [InlineData("[1, 2]", false, 1, 1, "not an array")]
    [InlineData("fields:\n  - name: d\n    type: date\n    format: '%Q'\n", true, 4, 13, "%Q")]
    public void A_malformed_schema_is_refused_with_line_and_column(string text, bool yaml, int line, int column, string reason)
    {
        var e = Assert.Throws<SchemaException>(() => TableSchemaReader.Parse(Encoding.UTF8.GetBytes(text), yaml));

        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void A_yaml_alias_bomb_exhausts_the_node_budget_not_the_memory()
    {
        var yaml = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 0; i < 8; i++)
        {
            yaml.Append($"b{i}: &b{i} [*{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}, *{(i == 0 ? "a" : $"b{i - 1}")}]\n");
        }

        var e = Assert.Throws<SchemaException>(() => DocumentParser.ParseYaml(Encoding.UTF8.GetBytes(yaml.ToString())));

        Assert.Contains("more than", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_file_larger_than_the_limit_is_refused()
    {
        using var temp = new Testing.TempDirectory();
        var path = temp.Combine("big.json");
        File.WriteAllBytes(path, new byte[DocumentParser.MaxSize + 1]);

        var e = Assert.Throws<SchemaException>(() => TableSchemaReader.ReadFile(path));

        Assert.Contains("MiB", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.2", 0.2, 0.2, null)]
    [InlineData("psi=0.1; js=0.05", 0.1, 0.05, null)]
    [InlineData("linf=0.3", 0.25, 0.1, 0.3)]
    public void MaxDrift_metadata_sets_the_thresholds(string text, double psi, double js, double? linf)
    {
        Assert.True(DriftThresholds.TryParse(text, DriftThresholds.Default, out var t, out var error), error);
        Assert.Equal(new DriftThresholds(psi, js, linf), t);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("psi")]
    [InlineData("kl=0.1")]
    public void Invalid_MaxDrift_metadata_is_refused(string text)
    {
        Assert.False(DriftThresholds.TryParse(text, DriftThresholds.Default, out _, out var error));
        Assert.NotNull(error);
    }
}
