using System.Text;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Testing;
using Parquet;
using Parquet.Schema;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>Writes small data files and schemas into a temp folder and validates them.</summary>
internal sealed class DataFixture : IDisposable
{
    public TempDirectory Temp { get; } = new("mlguard-data");

    public static TableSchema Schema(string yaml) => TableSchemaReader.Parse(Encoding.UTF8.GetBytes(yaml), yaml: true, path: "schema.yaml");

    public string Write(string name, string content) => Temp.Write(name, content);

    public string WriteBytes(string name, byte[] content)
    {
        var path = Temp.Combine(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public DataValidationResult Validate(string name, string content, string schemaYaml, TableFormat format = TableFormat.Csv,
        DataProfile? locked = null, DriftThresholds? maxDrift = null) =>
        ValidateFile(Write(name, content), Schema(schemaYaml), format, locked, maxDrift);

    public static DataValidationResult ValidateFile(string path, TableSchema schema, TableFormat format = TableFormat.Csv,
        DataProfile? locked = null, DriftThresholds? maxDrift = null, DataVerdictCache? cache = null, string? knownSha = null) =>
        TrainingDataValidator.Validate(new DataValidationRequest
        {
            FilePath = path,
            Subject = Path.GetFileName(path),
            Format = format,
            Schema = schema,
            LockedProfile = locked,
            MaxDrift = maxDrift,
            Cache = cache,
            KnownSha256 = knownSha,
        });

    /// <summary>A Parquet file with an integer id column and a nullable string label column.</summary>
    public string WriteParquet(string name, int?[] ids, string?[] labels)
    {
        var schema = new ParquetSchema(new DataField<int?>("id"), new DataField<string>("label"));
        var path = Temp.Combine(name);
        using var stream = File.Create(path);
        Task.Run(async () =>
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(schema.DataFields[0], ids);
            await group.WriteAsync(schema.DataFields[1], labels);
        }).GetAwaiter().GetResult();
        return path;
    }

    public static IReadOnlyList<Finding> Codes(DataValidationResult result, string code) => result.Findings.Where(f => f.Code == code).ToList();

    public void Dispose() => Temp.Dispose();
}
