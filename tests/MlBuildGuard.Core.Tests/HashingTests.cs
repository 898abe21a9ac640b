using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

public class HashingTests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Matches_the_fips_180_test_vectors(string input, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("f", input);

        var digest = Sha256File.Compute(path);

        Assert.Equal(expected, digest.Hex);
        Assert.Equal(input.Length, digest.Size);
    }

    [Fact]
    public void Streams_files_larger_than_its_buffer()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[(Sha256File.BufferSize * 3) + 12345];
        new Random(7).NextBytes(bytes);
        var path = dir.Combine("big.bin");
        File.WriteAllBytes(path, bytes);

        var digest = Sha256File.Compute(path);

        Assert.Equal(SHA256.HashData(bytes), digest.Sha256);
        Assert.Equal(bytes.Length, digest.Size);
    }

    [Fact]
    public void The_digest_only_path_gives_the_same_digest_and_size_across_buffers_and_leaves_key_detection_undecided()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[(Sha256File.BufferSize * 2) + 777];
        new Random(11).NextBytes(bytes);
        var key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"u8.ToArray();
        key.CopyTo(bytes, 100);
        var path = dir.Combine("mixed.bin");
        File.WriteAllBytes(path, bytes);
        var empty = dir.Write("empty", "");

        var full = Sha256File.Compute(path);
        var only = Sha256File.ComputeDigestOnly(path);

        Assert.Equal(SHA256.HashData(bytes), only.Sha256);
        Assert.Equal(full.Sha256, only.Sha256);
        Assert.Equal(bytes.Length, only.Size);
        Assert.True(full.HoldsPrivateKey);
        Assert.False(only.HoldsPrivateKey);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256File.ComputeDigestOnly(empty).Hex);
    }

    [Fact]
    public void Hashing_many_files_without_key_detection_reports_the_same_digests_missing_files_and_folders()
    {
        using var dir = new TempDirectory();
        var paths = Enumerable.Range(0, 20).Select(i => dir.Write($"d{i % 3}/f{i}.txt", new string('y', i * 3000))).ToList();
        paths.Add(dir.Combine("missing.txt"));
        paths.Add(dir.Combine("d0"));

        var with = FileSetHasher.Hash(paths, cache: null);
        var without = FileSetHasher.Hash(paths, cache: null, detectPrivateKeys: false);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(with[i].Digest!.Value.Hex, without[i].Digest!.Value.Hex);
        }

        Assert.True(without[20].Missing);
        Assert.Contains("folder", without[21].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Hashes_many_files_in_input_order_and_reports_missing_and_special_files()
    {
        using var dir = new TempDirectory();
        var paths = Enumerable.Range(0, 50).Select(i => dir.Write($"d{i % 5}/f{i}.txt", new string('x', i * 1000))).ToList();
        paths.Add(dir.Combine("missing.txt"));
        paths.Add(dir.Combine("d0"));

        var results = FileSetHasher.Hash(paths, cache: null);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(new string('x', i * 1000)))), results[i].Digest!.Value.Hex);
            Assert.False(results[i].FromCache);
        }

        Assert.True(results[50].Missing);
        Assert.Contains("folder", results[51].Error, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task A_fifo_is_reported_and_never_opened()
    {
        using var dir = new TempDirectory();
        var fifo = dir.Combine("pipe");
        using (var p = System.Diagnostics.Process.Start("mkfifo", fifo)!)
        {
            p.WaitForExit();
        }

        // Opening a FIFO with no writer blocks forever; the hasher must answer at once.
        var results = await Task.Run(() => FileSetHasher.Hash([fifo], cache: null)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("not a regular file", results[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unchanged_file_is_answered_from_the_cache_without_reading_it()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.csv", "1,2,3\n");
        SetOld(path);
        Assert.True(FileStamp.TryGet(path, out var stamp));
        var cache = HashCache.Empty();
        var planted = new FileDigest(new byte[32], stamp.Size); // a digest the file cannot have
        cache.Set(path, stamp, planted, DateTime.UtcNow.AddHours(1));

        var result = FileSetHasher.Hash([path], cache, clock: Later.Instance)[0];

        // Only a lookup that did not read the file can return the planted digest.
        Assert.True(result.FromCache);
        Assert.Equal(planted.Sha256, result.Digest!.Value.Sha256);
    }

    [LinuxFact]
    public void A_changed_file_is_read_again_even_when_its_modification_time_is_restored()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.csv", "1,2,3\n");
        SetOld(path);
        var cache = HashCache.Empty();
        var first = FileSetHasher.Hash([path], cache, clock: Later.Instance)[0];
        Assert.Equal(1, cache.Count);
        var mtime = File.GetLastWriteTimeUtc(path);

        File.WriteAllText(path, "9,9,9\n"); // same size
        File.SetLastWriteTimeUtc(path, mtime);
        var second = FileSetHasher.Hash([path], cache, clock: Later.Instance)[0];

        Assert.False(second.FromCache);
        Assert.NotEqual(first.Digest!.Value.Hex, second.Digest!.Value.Hex);
    }

    [Fact]
    public void A_freshly_written_file_is_not_trusted_to_the_cache()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.csv", "fresh");
        var cache = HashCache.Empty();

        FileSetHasher.Hash([path], cache);

        Assert.Equal(0, cache.Count); // modified within the racy window: it must be read again next time
    }

    [Fact]
    public void The_cache_survives_a_round_trip_and_a_damaged_cache_is_empty()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.csv", "data");
        SetOld(path);
        var cache = HashCache.Empty();
        FileSetHasher.Hash([path], cache, clock: Later.Instance);
        var file = dir.Combine("obj", "cache.bin");
        cache.Save(file);

        var loaded = HashCache.Load(file);
        Assert.True(FileStamp.TryGet(path, out var stamp));
        Assert.True(loaded.TryGet(path, stamp, out _));

        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        Assert.Equal(0, HashCache.Load(file).Count);
        File.WriteAllText(file, "not a cache");
        Assert.Equal(0, HashCache.Load(file).Count);
        Assert.Equal(0, HashCache.Load(dir.Combine("nothing-here")).Count);
    }

    [Fact]
    public void Pruning_drops_files_that_are_no_longer_inputs()
    {
        using var dir = new TempDirectory();
        var a = dir.Write("a", "a");
        var b = dir.Write("b", "b");
        SetOld(a);
        SetOld(b);
        var cache = HashCache.Empty();
        FileSetHasher.Hash([a, b], cache, clock: Later.Instance);

        cache.Prune(new HashSet<string> { a });

        Assert.Equal(1, cache.Count);
        Assert.True(cache.IsDirty);
    }

    internal static void SetOld(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-10));
}

/// <summary>A clock an hour ahead: files written by the test look settled, as they would on a later build.</summary>
internal sealed class Later : TimeProvider
{
    public static Later Instance { get; } = new();

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddHours(1);
}
