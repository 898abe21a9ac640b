using MlBuildGuard.Core.Dependencies.Advisories;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>Offline vulnerability data: OSV JSON, OSV zip exports, NuGet VulnerabilityInfo pages and indexes (MLG203).</summary>
public sealed class AdvisoryFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Osv_json_is_read_or_refused()
    {
        Fuzzer.Run(output, "OSV JSON", [Samples.Osv(), Samples.OsvWithEverything()],
            input => Oracle.OnlyThrows<AdvisoryFormatException>(() => AdvisoryReaders.Read(input, "osv.json", new AdvisorySet())), JsonMutator.Mutate);
    }

    [Fact]
    public void VulnerabilityInfo_pages_are_read_or_refused()
    {
        Fuzzer.Run(output, "VulnerabilityInfo page", [Samples.VulnerabilityPage(), Samples.VulnerabilityIndex()],
            input => Oracle.OnlyThrows<AdvisoryFormatException>(() => AdvisoryReaders.Read(input, "page.json", new AdvisorySet())), JsonMutator.Mutate);
    }

    [Fact]
    public void Osv_zip_exports_are_read_or_their_problems_listed()
    {
        using var folder = new TempDirectory("mlguard-fuzz-osvzip");
        var path = folder.Combine("all.zip");
        var stamp = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var sample = Samples.Zip(("GHSA-447r-wph3-92pm.json", Samples.Osv()), ("GHSA-aaaa-bbbb-cccc.json", Samples.OsvWithEverything()));
        Fuzzer.Run(output, "OSV zip", [sample], input =>
        {
            File.WriteAllBytes(path, input);
            File.SetLastWriteTimeUtc(path, stamp = stamp.AddTicks(1)); // a new fingerprint: the folder is parsed again
            OfflineAdvisoryDatabase.Load(folder.Path);
        }, (random, zip) => Samples.Zip(("a.json", JsonMutator.Mutate(random, Samples.Osv())), ("b.json", JsonMutator.Mutate(random, Samples.OsvWithEverything()))));
    }
}
