using MlBuildGuard.Core.IO;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests;

/// <summary>Readers see the old bytes or the new bytes, and what a killed writer left behind is cleaned up.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _dir = new("mlguard-atomic");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_failed_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        var path = _dir.Write("out/provenance.json", "old");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteIfChanged(path, stream =>
        {
            stream.Write("half of the new con"u8);
            throw new InvalidOperationException("the writer failed");
        }));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Combine("out")));
    }

    [Fact]
    public void Temporary_files_a_killed_writer_left_are_removed_and_a_live_writer_s_stay()
    {
        var path = _dir.Write("mlguard.lock.json", "{}");
        // Named by a process that no longer runs (pid 2^31-2 is never given out), written more than two seconds ago.
        var killed = _dir.Write($".mlguard.lock.json.{int.MaxValue - 1}-0123abcd.tmp", "torn");
        File.SetLastWriteTimeUtc(killed, DateTime.UtcNow.AddSeconds(-10));
        var abandoned = _dir.Write($".mlguard.lock.json.{Environment.ProcessId}-89abcdef.tmp", "left by this process long ago");
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));
        var inFlight = _dir.Write($".mlguard.lock.json.{Environment.ProcessId}-ba987654.tmp", "being written");
        var unrelated = _dir.Write($".other.json.{int.MaxValue - 1}-0123abcd.tmp", "not ours");
        File.SetLastWriteTimeUtc(unrelated, DateTime.UtcNow.AddHours(-2));

        AtomicFile.WriteAllBytes(path, "{ \"new\": true }"u8);

        Assert.False(File.Exists(killed));
        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(inFlight)); // its writer may still rename it
        Assert.True(File.Exists(unrelated));
        Assert.Equal("{ \"new\": true }", File.ReadAllText(path));
        AtomicFile.RemoveLeftovers(path, TimeSpan.Zero); // a writer that holds the file's only lock
        Assert.False(File.Exists(inFlight));
    }
}
