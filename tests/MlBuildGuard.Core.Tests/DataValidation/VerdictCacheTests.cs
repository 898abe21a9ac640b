using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class VerdictCacheTests : IDisposable
{
    private const string Schema = "fields:\n  - {name: x, type: integer, constraints: {maximum: 5}}\n";

    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void An_unchanged_input_and_schema_are_answered_from_the_cache_without_reading()
    {
        var cache = new DataVerdictCache(_data.Temp.Combine("obj", "verdicts"));
        var path = _data.Write("d.csv", "x\n1\n9\n");
        var schema = DataFixture.Schema(Schema);
        var first = DataFixture.ValidateFile(path, schema, cache: cache);

        File.WriteAllText(path, "x\n1\n2\n"); // would be clean if it were read; the caller's digest says it did not change
        var second = DataFixture.ValidateFile(path, schema, cache: cache, knownSha: first.Sha256);

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Findings.Select(f => (f.Code, f.Message, f.Location)), second.Findings.Select(f => (f.Code, f.Message, f.Location)));
        Assert.True(first.Profile!.ContentEquals(second.Profile!));
    }

    [Fact]
    public void Another_schema_tool_input_or_baseline_misses_the_cache()
    {
        var cache = new DataVerdictCache(_data.Temp.Combine("verdicts"));
        var path = _data.Write("d.csv", "x\n1\n9\n");
        var first = DataFixture.ValidateFile(path, DataFixture.Schema(Schema), cache: cache);

        var otherSchema = DataFixture.ValidateFile(path, DataFixture.Schema(Schema.Replace("5", "10")), cache: cache, knownSha: first.Sha256);
        var otherDigest = DataFixture.ValidateFile(path, DataFixture.Schema(Schema), cache: cache, knownSha: new string('0', 64));
        var withBaseline = DataFixture.ValidateFile(path, DataFixture.Schema(Schema), cache: cache, knownSha: first.Sha256, locked: first.Profile);

        Assert.False(otherSchema.FromCache);
        Assert.Empty(otherSchema.Findings);
        Assert.False(otherDigest.FromCache);
        Assert.False(withBaseline.FromCache);
    }

    [Fact]
    public void A_damaged_cache_entry_reads_as_absent()
    {
        var directory = _data.Temp.Combine("verdicts");
        var cache = new DataVerdictCache(directory);
        var path = _data.Write("d.csv", "x\n1\n9\n");
        var first = DataFixture.ValidateFile(path, DataFixture.Schema(Schema), cache: cache);
        foreach (var entry in Directory.GetFiles(directory))
        {
            File.WriteAllText(entry, "{\"findings\": [{\"code\": 7}]}");
        }

        var again = DataFixture.ValidateFile(path, DataFixture.Schema(Schema), cache: cache, knownSha: first.Sha256);

        Assert.False(again.FromCache);
        Assert.Single(again.Findings);
    }
}
