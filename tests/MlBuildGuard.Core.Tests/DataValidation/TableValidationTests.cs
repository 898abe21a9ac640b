using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class TableValidationTests : IDisposable
{
    private const string Schema = """
        fields:
          - name: id
            type: integer
            constraints: {required: true, unique: true, minimum: 1}
          - name: age
            type: integer
            constraints: {minimum: 0, maximum: 120}
          - name: label
            constraints: {enum: [pos, neg]}
          - name: code
            constraints: {pattern: '[A-Z]+[0-9]*', minLength: 3, maxLength: 3}
        """;

    private const string Good = "id,age,label,code\n1,30,pos,AB1\n2,,neg,CD2\n3,99,pos,EF3\n";

    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData(TableFormat.Csv)]
    [InlineData(TableFormat.Tsv)]
    public void Good_data_is_quiet_and_profiled(TableFormat format)
    {
        var text = format == TableFormat.Tsv ? Good.Replace(',', '\t') : Good;
        var result = _data.Validate("good." + format.Name(), text, Schema, format);

        Assert.Empty(result.Findings);
        Assert.Equal(3, result.Profile!.Rows);
        Assert.Equal(1.0 / 3, result.Profile.Columns["age"].NullFraction, 5);
        Assert.Equal(ColumnKinds.Categorical, result.Profile.Columns["label"].Kind);
    }

    [Fact]
    public void The_digest_is_computed_in_the_same_read_and_equals_a_plain_hash()
    {
        var result = _data.Validate("good.csv", Good, Schema);

        Assert.Equal(Sha256File.Compute(_data.Temp.Combine("good.csv")).Hex, result.Sha256);
        Assert.Equal(Good.Length, result.Digest!.Value.Size);
    }

    [Theory]
    [InlineData("id,age,label,code\n1,abc,pos,AB1\n", "age", "type", 2, 3)]
    [InlineData("id,age,label,code\n,30,pos,AB1\n", "id", "required", 2, 1)]
    [InlineData("id,age,label,code\n0,30,pos,AB1\n", "id", "minimum", 2, 1)]
    [InlineData("id,age,label,code\n1,121,pos,AB1\n", "age", "maximum", 2, 3)]
    [InlineData("id,age,label,code\n1,30,maybe,AB1\n", "label", "enum", 2, 6)]
    [InlineData("id,age,label,code\n1,30,pos,ab1\n", "code", "pattern", 2, 10)]
    [InlineData("id,age,label,code\n1,30,pos,AB\n", "code", "minLength", 2, 10)]
    [InlineData("id,age,label,code\n1,30,pos,AB12\n", "code", "maxLength", 2, 10)]
    [InlineData("id,age,label,code\n1,30,pos,AB1\n1,31,neg,CD2\n", "id", "unique", 3, 1)]
    public void Each_constraint_names_its_field_rule_place_and_count(string csv, string field, string rule, int line, int column)
    {
        var result = _data.Validate("bad.csv", csv, Schema);

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG701", finding.Code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Contains($"field '{field}': 1 value(s) break the {rule} rule", finding.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (finding.Location!.Line, finding.Location.Column));
        Assert.Equal("bad.csv", finding.Subject);
    }

    [Theory]
    [InlineData(TableFormat.Csv)]
    [InlineData(TableFormat.JsonLines)]
    public void Checking_on_a_second_thread_gives_the_same_findings_and_profile(TableFormat format)
    {
        var rows = Enumerable.Range(1, 30_000).Select(i => (Id: i % 29_000, Age: i % 150, Label: i % 7 == 0 ? "maybe" : "pos", Code: i % 11 == 0 ? "x" : "AB1"));
        var text = format == TableFormat.Csv
            ? "id,age,label,code\n" + string.Concat(rows.Select(r => $"{r.Id},{r.Age},{r.Label},{r.Code}\n"))
            : string.Concat(rows.Select(r => $"{{\"id\": {r.Id}, \"age\": {r.Age}, \"label\": \"{r.Label}\", \"code\": \"{r.Code}\"}}\n"));
        var path = _data.Write("big." + format.Name(), text);
        var schema = DataFixture.Schema(Schema);

        var alone = TrainingDataValidator.Validate(new DataValidationRequest { FilePath = path, Format = format, Schema = schema, Pipelined = false });
        var pipelined = TrainingDataValidator.Validate(new DataValidationRequest { FilePath = path, Format = format, Schema = schema, Pipelined = true });

        Assert.Equal(6, alone.Findings.Count); // id minimum and unique, age maximum, label enum, code minLength and pattern
        Assert.Equal(alone.Findings.Select(f => (f.Message, f.Location)), pipelined.Findings.Select(f => (f.Message, f.Location)));
        Assert.True(alone.Profile!.ContentEquals(pipelined.Profile!));
        Assert.Equal(alone.Sha256, pipelined.Sha256);
    }

    [Fact]
    public void Many_violations_give_one_finding_with_the_total_and_the_first_few_places()
    {
        var rows = string.Concat(Enumerable.Range(1, 1000).Select(i => $"{i},200,pos,AB1\n"));
        var result = _data.Validate("many.csv", "id,age,label,code\n" + rows, Schema);

        var finding = Assert.Single(result.Findings);
        Assert.Contains("1000 value(s) break the maximum rule", finding.Message, StringComparison.Ordinal);
        Assert.Contains("first at 2:3, 3:3, 4:3, 5:3, 6:3 and 995 more", finding.Message, StringComparison.Ordinal);
        Assert.True(finding.Message.Length < 400, finding.Message);
    }

    [Fact]
    public void A_long_or_hostile_cell_is_never_echoed_in_full()
    {
        var secret = "sk_live_" + new string('x', 100);
        var result = _data.Validate("x.csv", $"id,age,label,code\n1,30,{secret},AB1\n2,30,\"\u001b]0;evil\u0007\",AB1\n", Schema);

        var finding = Assert.Single(result.Findings);
        Assert.DoesNotContain(secret, finding.Message, StringComparison.Ordinal);
        Assert.Contains("a 108-character value (not shown)", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', finding.Message);
    }

    [Fact]
    public void Composite_primary_keys_and_unique_keys_find_repeated_combinations()
    {
        const string schema = """
            fields:
              - {name: user, type: integer}
              - {name: day, type: date}
              - {name: item}
            primaryKey: [user, day]
            uniqueKeys: [[item, day]]
            """;
        var result = _data.Validate("k.csv", "user,day,item\n1,2024-01-01,a\n1,2024-01-02,a\n1,2024-01-01,b\n2,2024-01-02,a\n,2024-01-03,c\n", schema);

        var messages = result.Findings.Select(f => f.Message).ToList();
        Assert.Contains(messages, m => m.Contains("field 'user, day': 1 value(s) break the primaryKey rule", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("field 'item, day': 1 value(s) break the uniqueKeys rule", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("field 'user': 1 value(s) break the required rule (primary key fields must have a value)", StringComparison.Ordinal));
        Assert.Equal(3, result.Findings.Count);
    }

    [Theory]
    [InlineData("id,age,label\n1,2,pos\n", "missing 'code'")]
    [InlineData("id,age,label,code,extra\n1,2,pos,AB1,x\n", "not in the schema 'extra'")]
    [InlineData("id,Age,label,code\n1,2,pos,AB1\n", "column 2 is 'Age' where the schema has 'age' (renamed?)")]
    [InlineData("age,id,label,code\n2,1,pos,AB1\n", "another order")]
    [InlineData("id,age,label,code\n1,2,pos\n", "1 row(s) have another number of cells than the header's 4")]
    public void The_column_set_and_ragged_rows_are_checked(string csv, string expected)
    {
        var result = _data.Validate("cols.csv", csv, Schema);

        var finding = Assert.Single(result.Findings, f => f.Message.Contains("does not have the columns", StringComparison.Ordinal));
        Assert.Equal("MLG701", finding.Code);
        Assert.Contains(expected, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_values_follow_the_schema()
    {
        const string schema = """
            fields:
              - {name: x, type: number, constraints: {required: true}}
            missingValues: ['NA', '-']
            """;
        var result = _data.Validate("m.csv", "x\n1.5\nNA\n-\n", schema);

        var finding = Assert.Single(result.Findings);
        Assert.Contains("2 value(s) break the required rule", finding.Message, StringComparison.Ordinal);
        Assert.Contains("first at 3:1, 4:1", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_are_validated_with_nulls_absent_keys_and_unknown_keys()
    {
        const string schema = """
            fields:
              - {name: id, type: integer, constraints: {required: true}}
              - {name: tags, type: array}
              - {name: ok, type: boolean}
            """;
        var jsonl = "{\"id\": 1, \"tags\": [1, 2], \"ok\": true}\n{\"id\": null, \"tags\": [], \"ok\": false}\n{\"tags\": {}, \"ok\": true, \"extra\": 3}\n\n";
        var result = _data.Validate("d.jsonl", jsonl, schema, TableFormat.JsonLines);

        Assert.Contains(result.Findings, f => f.Message.Contains("field 'id': 2 value(s) break the required rule", StringComparison.Ordinal));
        Assert.Contains(result.Findings, f => f.Message.Contains("field 'tags': 1 value(s) break the type rule", StringComparison.Ordinal) && f.Location!.Line == 3);
        Assert.Contains(result.Findings, f => f.Message.Contains("key(s) not in the schema: 'extra'", StringComparison.Ordinal));
        Assert.Equal(3, result.Findings.Count);
        Assert.Equal(3, result.Profile!.Rows);
    }

    [Fact]
    public void Json_lines_that_are_good_are_quiet()
    {
        var result = _data.Validate("ok.jsonl", "{\"id\": 1, \"name\": \"a\\nb\"}\r\n{\"name\": \"c\", \"id\": 2}\n",
            "fields:\n  - {name: id, type: integer}\n  - {name: name}\n", TableFormat.JsonLines);

        Assert.Empty(result.Findings);
    }

    [Fact]
    public void Parquet_is_validated_by_row()
    {
        var path = _data.WriteParquet("d.parquet", [1, 2, 2, null], ["pos", "neg", "pos", "maybe"]);
        var schema = DataFixture.Schema("fields:\n  - {name: id, type: integer, constraints: {unique: true, required: true}}\n  - {name: label, constraints: {enum: [pos, neg]}}\n");

        var result = DataFixture.ValidateFile(path, schema, TableFormat.Parquet);

        Assert.Equal(3, result.Findings.Count);
        Assert.Contains(result.Findings, f => f.Message.Contains("field 'id': 1 value(s) break the unique rule (each value at most once); first at row 3", StringComparison.Ordinal));
        Assert.Contains(result.Findings, f => f.Message.Contains("'label': 1 value(s) break the enum rule", StringComparison.Ordinal));
        Assert.Equal(Sha256File.Compute(path).Hex, result.Sha256);
    }

    [Fact]
    public void Good_parquet_is_quiet()
    {
        var path = _data.WriteParquet("ok.parquet", [1, 2, 3], ["pos", "neg", "pos"]);
        var result = DataFixture.ValidateFile(path, DataFixture.Schema("fields:\n  - {name: id, type: integer}\n  - {name: label}\n"), TableFormat.Parquet);

        Assert.Empty(result.Findings);
        Assert.Equal(3, result.Profile!.Rows);
    }

    [Fact]
    public void Table_expectations_fail_as_MLG702()
    {
        const string schema = """
            fields:
              - {name: x, type: integer}
              - {name: label}
            mlguard:
              minRows: 5
              maxNullFraction: {x: 0.25}
              labels: {field: label, minShare: 0.3, values: [a, b, c]}
            """;
        var result = _data.Validate("e.csv", "x,label\n1,a\n,a\n,b\n4,a\n", schema);

        var messages = result.Findings.Where(f => f.Code == "MLG702").Select(f => f.Message).ToList();
        Assert.Equal(3, messages.Count);
        Assert.Contains(messages, m => m.Contains("mlguard.minRows: it has 4 row(s), fewer than 5", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("mlguard.maxNullFraction.x: 2 of 4 values of 'x' are missing (50%), more than 25%", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("\"b\" 25%, \"c\" 0%", StringComparison.Ordinal));
    }

    [Fact]
    public void Table_expectations_that_hold_are_quiet()
    {
        const string schema = """
            fields:
              - {name: x, type: integer}
              - {name: label}
            mlguard: {minRows: 2, maxRows: 10, maxNullFraction: {'*': 0.5}, labels: {field: label, minShare: 0.25}}
            """;
        Assert.Empty(_data.Validate("e.csv", "x,label\n1,a\n,b\n3,a\n4,b\n", schema).Findings);
    }

    [Fact]
    public void A_maxRows_breach_is_MLG702()
    {
        var result = _data.Validate("r.csv", "x\n1\n2\n3\n", "fields:\n  - {name: x}\nmlguard: {maxRows: 2}\n");

        Assert.Contains("more than 2", Assert.Single(result.Findings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unique_checks_fail_closed_beyond_their_memory_bound()
    {
        var rows = string.Concat(Enumerable.Range(1, 50).Select(i => $"{i}\n"));
        var result = _data.Validate("u.csv", "id\n" + rows, "fields:\n  - {name: id, type: integer, constraints: {unique: true}}\nmlguard: {maxUniqueKeys: 10}\n");

        var finding = Assert.Single(result.Findings);
        Assert.Equal("MLG704", finding.Code);
        Assert.Contains("more than 10 distinct values", finding.Message, StringComparison.Ordinal);
    }
}
