using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>The personal-data kinds staged under obj/ for the framework builds of a multi-targeted project.</summary>
public sealed class StagedPersonalDataTests : IDisposable
{
    private readonly TempDirectory _dir = new("mlguard-pd");

    public void Dispose() => _dir.Dispose();

    private string File => _dir.Combine("obj", "mlguard", "personal-data.json");

    [Fact]
    public void Kinds_round_trip_in_a_canonical_file_and_an_empty_result_overwrites_older_kinds()
    {
        StagedPersonalData.Write(File, new Dictionary<string, IReadOnlyList<string>> { ["data/b.csv"] = ["phone", "email"], ["data/a.csv"] = ["iban"] });
        var read = StagedPersonalData.Read(File);
        var bytes = System.IO.File.ReadAllBytes(File);
        StagedPersonalData.Write(File, read);

        Assert.Equal(["data/a.csv", "data/b.csv"], read.Keys);
        Assert.Equal(["email", "phone"], read["data/b.csv"]);
        Assert.Equal(bytes, System.IO.File.ReadAllBytes(File)); // rewriting the same kinds yields the same bytes

        StagedPersonalData.Write(File, new Dictionary<string, IReadOnlyList<string>>());

        Assert.Empty(StagedPersonalData.Read(File));
    }

    [Fact]
    public void No_file_is_no_kinds_and_a_damaged_file_is_an_error_not_an_empty_answer()
    {
        Assert.Empty(StagedPersonalData.Read(File));

        foreach (var damaged in new[] { "{ \"format\": ", "[]", "{\"format\": \"other\", \"inputs\": {}}", "{\"format\": \"mlguard-personal-data-1\", \"inputs\": {\"a\": [1]}}" })
        {
            _dir.Write("obj/mlguard/personal-data.json", damaged);
            Assert.Throws<InvalidDataException>(() => StagedPersonalData.Read(File));
        }
    }
}
