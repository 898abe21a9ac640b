using System.Text;
using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class InferenceTests : IDisposable
{
    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void Each_column_gets_the_most_specific_type_all_its_values_fit()
    {
        var path = _data.Write("d.csv", "id,score,ok,day,at,clock,name,empty\n1,0.5,true,2024-01-02,2024-01-02T03:04:05Z,10:11:12,x,\n2,3,False,2024-02-03,2024-01-02T03:04:05Z,10:11:12,y,\n,,,,,,,\n");

        var fields = SchemaInferrer.Infer(path, TableFormat.Csv);

        Assert.Equal(
            [("id", FieldType.Integer), ("score", FieldType.Number), ("ok", FieldType.Boolean), ("day", FieldType.Date), ("at", FieldType.DateTime),
             ("clock", FieldType.Time), ("name", FieldType.String), ("empty", FieldType.String)],
            fields);
    }

    [Theory]
    [InlineData("d.csv", "a,b\n1,x\n2,y\n", TableFormat.Csv)]
    [InlineData("d.jsonl", "{\"a\": 1, \"b\": \"x\"}\n{\"b\": \"y\", \"a\": 2, \"c\": 1.5}\n", TableFormat.JsonLines)]
    public void An_inferred_schema_reads_back_and_its_data_validates_clean(string name, string content, TableFormat format)
    {
        var path = _data.Write(name, content);
        var json = SchemaInferrer.ToJson(SchemaInferrer.Infer(path, format));

        var schema = TableSchemaReader.Parse(json, yaml: false);
        Assert.Equal(FieldType.Integer, schema.Find("a")!.Type);
        Assert.Empty(DataFixture.ValidateFile(path, schema, format).Findings);
        Assert.EndsWith("\n", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Parquet_columns_are_inferred_from_their_values()
    {
        var path = _data.WriteParquet("p.parquet", [1, 2], ["a", "b"]);

        Assert.Equal([("id", FieldType.Integer), ("label", FieldType.String)], SchemaInferrer.Infer(path, TableFormat.Parquet));
    }
}
