using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

public sealed class ZipNormalizationCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_remembered_file_is_known_until_it_is_rewritten_or_the_timestamp_changes()
    {
        var model = _dir.Write("bin/model.zip", "normalized bytes");
        var cacheFile = _dir.Combine("obj", "normalized.cache");
        var epoch = SourceDateEpoch.Minimum;
        var first = ZipNormalizationCache.Load(cacheFile);
        Assert.False(first.IsKnownNormal(model, epoch));
        first.Remember(model, epoch);
        first.Save(cacheFile);

        var second = ZipNormalizationCache.Load(cacheFile);
        var known = second.IsKnownNormal(model, epoch);
        var otherEpoch = second.IsKnownNormal(model, epoch.AddDays(1));
        File.WriteAllText(model, "retrained bytes!");
        var rewritten = ZipNormalizationCache.Load(cacheFile).IsKnownNormal(model, epoch);

        Assert.True(known);
        Assert.False(otherEpoch);
        Assert.False(rewritten);
    }

    [Fact]
    public void A_damaged_or_foreign_cache_is_empty()
    {
        var model = _dir.Write("m.zip", "x");
        var cacheFile = _dir.Write("cache", "not a cache\n" + new string('a', 64) + "\n");

        Assert.False(ZipNormalizationCache.Load(cacheFile).IsKnownNormal(model, SourceDateEpoch.Minimum));
        Assert.False(ZipNormalizationCache.Load(_dir.Combine("missing")).IsKnownNormal(model, SourceDateEpoch.Minimum));
    }
}
