using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.TrainingInputs;

/// <summary>
/// Two-step writing of <c>mlguard.lock.json</c> from a build: the guard stages the new bytes under <c>obj/</c> while
/// the build is still running; only after the build has succeeded are they written over the lock (atomically). A build
/// that fails anywhere later, in another guard or in compilation, therefore never changes the lock.
/// <para>
/// Several builds of one project may stage at once (each framework of a multi-targeted project, in parallel with -m).
/// So a staged lock carries the lock it was made from (its base), and committing applies only what this build changed
/// against that base to the lock as it is on disk then: a change another build committed meanwhile is kept.
/// </para>
/// </summary>
public static class LockCommit
{
    private const string Suffix = ".staged";
    private const string BaseSuffix = ".base";
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// Writes the new lock to a fresh file in <paramref name="stagingDirectory"/> and returns its path.
    /// <paramref name="baseLock"/> is the lock the new one was made from (null: there was none).
    /// </summary>
    public static string Stage(string stagingDirectory, ReadOnlySpan<byte> bytes, LockFile? baseLock)
    {
        Directory.CreateDirectory(stagingDirectory);
        foreach (var old in Directory.EnumerateFiles(stagingDirectory, "mlguard.lock.*" + Suffix))
        {
            // Left by builds that failed or were cancelled; never committed, so nothing depends on them.
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(old) > StaleAfter)
            {
                Discard(old);
            }
        }

        var path = Path.Combine(stagingDirectory, $"mlguard.lock.{Guid.NewGuid():N}{Suffix}");
        AtomicFile.WriteAllBytes(path + BaseSuffix, LockFileWriter.ToBytes(baseLock ?? new LockFile()));
        AtomicFile.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The lock a staged lock was made from (empty when it was made without one).</summary>
    public static LockFile BaseOf(string stagedPath) =>
        File.Exists(stagedPath + BaseSuffix) ? LockFileReader.Read(stagedPath + BaseSuffix) : new LockFile();

    /// <summary>Applies a staged lock's changes to <paramref name="lockPath"/> and removes the staged files.</summary>
    /// <exception cref="LockFileException">The lock on disk became malformed meanwhile; it is never replaced silently.</exception>
    public static void Commit(string stagedPath, string lockPath)
    {
        using (CrossProcessLock.Acquire(lockPath, TimeSpan.FromMinutes(2)))
        {
            var mine = LockFileReader.Read(stagedPath);
            var result = File.Exists(lockPath) ? Merge(LockFileReader.Read(lockPath), mine, BaseOf(stagedPath)) : mine;
            AtomicFile.WriteIfChanged(lockPath, LockFileWriter.ToBytes(result));
        }

        Discard(stagedPath);
    }

    /// <summary>Drops a staged lock that must not be committed (the build failed, or a newer one replaces it).</summary>
    public static void Discard(string stagedPath)
    {
        TryDelete(stagedPath);
        TryDelete(stagedPath + BaseSuffix);
    }

    /// <summary>
    /// <paramref name="current"/> with what <paramref name="mine"/> changed against <paramref name="baseLock"/>: the
    /// training inputs as a whole (one guard decides them for the project), model outputs entry by entry.
    /// </summary>
    internal static LockFile Merge(LockFile current, LockFile mine, LockFile baseLock)
    {
        var inputs = SameSection(mine.TrainingInputs, baseLock.TrainingInputs) ? current.TrainingInputs : mine.TrainingInputs;
        var outputs = new SortedDictionary<string, LockedFile>(current.ModelOutputs, Utf8OrdinalComparer.Instance);
        foreach (var (key, entry) in mine.ModelOutputs)
        {
            if (!baseLock.ModelOutputs.TryGetValue(key, out var before) || !Same(before, entry))
            {
                outputs[key] = entry;
            }
        }

        foreach (var key in baseLock.ModelOutputs.Keys.Where(k => !mine.ModelOutputs.ContainsKey(k)))
        {
            outputs.Remove(key);
        }

        return new LockFile().WithTrainingInputs(inputs).WithModelOutputs(outputs);
    }

    private static bool SameSection(SortedDictionary<string, LockedFile> a, SortedDictionary<string, LockedFile> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var other) && Same(e.Value, other));

    private static bool Same(LockedFile a, LockedFile b) =>
        a.Sha256 == b.Sha256 && a.Size == b.Size && a.Source == b.Source
        && (a.Entries is null ? b.Entries is null : b.Entries is not null && a.Entries.Count == b.Entries.Count
            && a.Entries.All(e => b.Entries.TryGetValue(e.Key, out var digest) && digest == e.Value));

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
