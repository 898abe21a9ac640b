using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public class HashProgressTests
{
    [Fact]
    public void A_run_over_the_threshold_says_what_it_hashes_and_its_throughput_at_the_end()
    {
        using var dir = new TempDirectory();
        var paths = Enumerable.Range(0, 3).Select(i => dir.Write($"f{i}.bin", new string('x', 300_000))).ToList();
        var lines = new List<string>();

        using (var log = new HashProgressLog("MlBuildGuard training-inputs", lines.Add, threshold: 500_000))
        {
            FileSetHasher.Hash(paths, cache: null, progress: log.Progress);
            Assert.Equal(900_000, log.Progress.DoneBytes);
            Assert.Equal(900_000, log.Progress.TotalBytes);
        }

        Assert.Equal("MlBuildGuard training-inputs: hashing 3 files, 900 kB…", lines[0]);
        Assert.StartsWith("MlBuildGuard training-inputs: hashed 900 kB in ", lines[^1], StringComparison.Ordinal);
        Assert.EndsWith("/s)", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_under_the_threshold_and_files_answered_from_the_cache_say_nothing()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("small.bin", new string('x', 1000));
        var lines = new List<string>();

        using (var log = new HashProgressLog("mlguard hash", lines.Add, threshold: 1001))
        {
            FileSetHasher.Hash([path], cache: null, progress: log.Progress);
            Assert.Equal(1000, log.Progress.DoneBytes);
        }

        Assert.Empty(lines);
    }

    [Fact]
    public void Signing_counts_the_model_bytes_it_hashes()
    {
        using var dir = new TempDirectory();
        var model = dir.Write("m/weights.bin", new string('w', 70_000));
        dir.Write("m/config.json", "{}");
        var progress = new HashProgress();

        Core.Signing.ModelHasher.Hash(Path.GetDirectoryName(model)!, new Core.Signing.ModelHashOptions { Progress = progress });

        Assert.Equal(70_002, progress.DoneBytes);
        Assert.Equal(2, progress.FilesToRead);
    }

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(3_400_000, "3.4 MB")]
    [InlineData(2_147_483_648, "2.15 GB")]
    public void Sizes_read_as_people_quote_them(double bytes, string expected) => Assert.Equal(expected, HashProgress.Bytes(bytes));
}
