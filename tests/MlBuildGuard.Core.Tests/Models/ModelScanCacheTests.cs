using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models;

public sealed class ModelScanCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Findings_and_not_a_model_verdicts_survive_a_save_and_load()
    {
        var cacheFile = _dir.Combine("obj", "scan.cache");
        Directory.CreateDirectory(_dir.Combine("obj"));
        var cache = ModelScanCache.Empty();
        var finding = Finding.Create(RuleCatalog.ModelUnparsable, new SourceLocation("/p/m.pkl"), "m.pkl", "m.pkl", "its format is not one MlBuildGuard recognises");
        cache.Set("/p/m.pkl", "fp-1", [finding, finding with { Subject = null }]);
        cache.RecordNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 5));
        cache.Save(cacheFile);

        var loaded = ModelScanCache.Load(cacheFile);
        var replayed = loaded.TryGet("/p/m.pkl", "fp-1");

        Assert.NotNull(replayed);
        Assert.Equal([("MLG303", "m.pkl"), ("MLG303", (string?)null)], replayed!.Select(f => (f.Code, f.Subject)));
        Assert.Equal(finding.Message, replayed[0].Message);
        Assert.Null(loaded.TryGet("/p/m.pkl", "fp-2")); // another stamp: scan again
        Assert.True(loaded.KnownNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 5)));
        Assert.False(loaded.KnownNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 6)));
    }

    [Fact]
    public void A_damaged_truncated_or_foreign_cache_is_empty()
    {
        var cacheFile = _dir.Combine("scan.cache");
        var cache = ModelScanCache.Empty();
        cache.RecordNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 5));
        cache.Save(cacheFile);
        var bytes = File.ReadAllBytes(cacheFile);

        File.WriteAllBytes(cacheFile, bytes[..^3]);
        var truncated = ModelScanCache.Load(cacheFile);
        File.WriteAllText(cacheFile, "{\"/p/data.bin\":{\"Fingerprint\":\"not-a-model|stamp\",\"Findings\":[]}}");
        var oldJson = ModelScanCache.Load(cacheFile);

        Assert.False(truncated.KnownNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 5)));
        Assert.False(oldJson.KnownNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 5)));
        Assert.False(ModelScanCache.Load(_dir.Combine("missing")).KnownNotModel("/p/data.bin", new FileStamp(1, 2, 3, 4, 5)));
    }
}
