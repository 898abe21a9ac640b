using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.TrainingInputs;

/// <summary>
/// Two-step writing of <c>mlguard.lock.json</c> from a build: the guard stages the new bytes under <c>obj/</c> while
/// the build is still running; only after the build has succeeded are they written over the lock (atomically). A build
/// that fails anywhere later, in another guard or in compilation, therefore never changes the lock.
/// </summary>
public static class LockCommit
{
    private const string Suffix = ".staged";
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>Writes the new lock to a fresh file in <paramref name="stagingDirectory"/> and returns its path.</summary>
    public static string Stage(string stagingDirectory, ReadOnlySpan<byte> bytes)
    {
        Directory.CreateDirectory(stagingDirectory);
        foreach (var old in Directory.EnumerateFiles(stagingDirectory, "mlguard.lock.*" + Suffix))
        {
            // Left by builds that failed or were cancelled; never committed, so nothing depends on them.
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(old) > StaleAfter)
            {
                TryDelete(old);
            }
        }

        var path = Path.Combine(stagingDirectory, $"mlguard.lock.{Guid.NewGuid():N}{Suffix}");
        AtomicFile.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Writes a staged lock over <paramref name="lockPath"/> and removes the staged file. Model outputs that another build
    /// of the project recorded since this one staged (each framework of a multi-targeted project seals its own model, in
    /// parallel with -m) are kept: entries are only ever added or replaced, so the union loses nothing.
    /// </summary>
    /// <exception cref="LockFileException">The lock on disk became malformed meanwhile; it is never replaced silently.</exception>
    public static void Commit(string stagedPath, string lockPath)
    {
        using (CrossProcessLock.Acquire(lockPath, TimeSpan.FromMinutes(2)))
        {
            var staged = File.ReadAllBytes(stagedPath);
            if (File.Exists(lockPath))
            {
                var current = LockFileReader.Read(lockPath);
                var mine = LockFileReader.Read(stagedPath);
                var outputs = new SortedDictionary<string, LockedFile>(current.ModelOutputs, Utf8OrdinalComparer.Instance);
                foreach (var (key, entry) in mine.ModelOutputs)
                {
                    outputs[key] = entry;
                }

                staged = LockFileWriter.ToBytes(mine.WithModelOutputs(outputs));
            }

            AtomicFile.WriteIfChanged(lockPath, staged);
        }

        TryDelete(stagedPath);
    }

    /// <summary>Drops a staged lock that must not be committed (the build failed).</summary>
    public static void Discard(string stagedPath) => TryDelete(stagedPath);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
