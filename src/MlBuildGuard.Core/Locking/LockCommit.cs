using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Locking;

/// <summary>What committing a build's staged parts did to the lock.</summary>
public enum LockCommitOutcome
{
    /// <summary>No part: the build had nothing to record.</summary>
    NothingStaged,

    /// <summary>The parts changed nothing the lock does not already say (another build recorded the same).</summary>
    Unchanged,

    /// <summary>The lock did not exist and was written.</summary>
    Created,

    /// <summary>The lock was rewritten.</summary>
    Updated,
}

/// <summary>The outcome and the parts that made it, for the build's one message about the lock.</summary>
public sealed record LockCommitResult(LockCommitOutcome Outcome, IReadOnlyList<StagedLockPart> Parts)
{
    /// <summary>
    /// The build's one story about the lock, or nothing: "wrote LOCK: training inputs: …; model outputs (net9.0): ….
    /// Commit it." followed by a line per changed entry.
    /// </summary>
    public IReadOnlyList<string> Story(string lockName)
    {
        if (Outcome is LockCommitOutcome.NothingStaged or LockCommitOutcome.Unchanged)
        {
            return [];
        }

        var created = Outcome == LockCommitOutcome.Created ? " (created)" : "";
        var summary = string.Join("; ", Parts.Select(p => $"{p.Name}: {p.Summary}"));
        return [$"wrote {lockName}{created}: {summary}. Commit it.", .. Parts.SelectMany(p => p.Changes)];
    }
}

/// <summary>
/// Writes <c>mlguard.lock.json</c> from a build, all at once. While the build runs, each guard that records something
/// in the lock stages its part under <c>obj/</c> (<see cref="StagedLockPart"/>); only once the whole build has succeeded
/// are all of its parts applied to the lock together and written in one atomic replacement. A build that fails anywhere,
/// in a guard, in compilation or in a step after the seal, never reaches the commit and changes nothing: the lock never
/// holds a new model beside the data of an older training.
/// <para>
/// A part carries the lock it was made from (its base), and committing applies only what the part changed against its
/// base, entry by entry, to the lock as it is on disk then, under a lock shared by all processes. So parallel builds of
/// one project (each framework of a multi-targeted project with -m, or several builds at once) never undo each other's
/// entries, and a lock that became malformed meanwhile is refused (<see cref="LockFileException"/>), never replaced.
/// </para>
/// <para>
/// A new section of the lock joins by getting a line in <see cref="Merge"/> (and its guard staging a part); the commit,
/// the one-story message and the all-or-nothing rule need nothing else.
/// </para>
/// </summary>
public static class LockCommit
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Applies every staged part to <paramref name="lockPath"/> in one write, then removes the parts.</summary>
    /// <exception cref="LockFileException">The lock on disk is malformed; it is left as it is.</exception>
    /// <exception cref="InvalidDataException">A staged part cannot be read; nothing is written.</exception>
    public static LockCommitResult Commit(IReadOnlyList<string> partPaths, string lockPath, CancellationToken cancellationToken = default)
    {
        var paths = partPaths.Distinct(StringComparer.Ordinal).Where(File.Exists).ToList();
        if (paths.Count == 0)
        {
            return new LockCommitResult(LockCommitOutcome.NothingStaged, []);
        }

        try
        {
            var parts = paths.Select(StagedLockPart.Read).ToList();
            using (CrossProcessLock.Acquire(lockPath, LockTimeout, cancellationToken))
            {
                // Every writer of the lock holds this lock: a temporary file of it now is one a killed build left.
                AtomicFile.RemoveLeftovers(lockPath, TimeSpan.Zero);
                var exists = File.Exists(lockPath);
                var current = exists ? LockFileReader.Read(lockPath) : null;
                var bytes = LockFileWriter.ToBytes(Apply(current, parts));
                var outcome = !AtomicFile.WriteIfChanged(lockPath, bytes) ? LockCommitOutcome.Unchanged
                    : exists ? LockCommitOutcome.Updated : LockCommitOutcome.Created;
                return new LockCommitResult(outcome, parts);
            }
        }
        finally
        {
            // Committed, or refused with the build failing: either way no later build may apply these parts.
            foreach (var path in paths)
            {
                StagedLockPart.Discard(path);
            }
        }
    }

    /// <summary>
    /// The lock these parts would make of <paramref name="lockPath"/> as it is now, without writing anything (what the
    /// build's provenance records as the lock it commits).
    /// </summary>
    public static LockFile Preview(IReadOnlyList<string> partPaths, string lockPath)
    {
        var current = File.Exists(lockPath) ? LockFileReader.Read(lockPath) : null;
        return Apply(current, [.. partPaths.Distinct(StringComparer.Ordinal).Where(File.Exists).Select(StagedLockPart.Read)]);
    }

    private static LockFile Apply(LockFile? current, IEnumerable<StagedLockPart> parts) =>
        parts.Aggregate(current ?? new LockFile(), (result, part) => Merge(result, part.Proposed, part.Base ?? new LockFile()));

    /// <summary>
    /// <paramref name="current"/> with what <paramref name="mine"/> changed against <paramref name="baseLock"/>, entry by
    /// entry in every section: an entry mine added, changed or removed is taken from mine; every other entry stays as
    /// <paramref name="current"/> has it (another build may have written it since).
    /// </summary>
    internal static LockFile Merge(LockFile current, LockFile mine, LockFile baseLock) => new LockFile()
        .WithTrainingInputs(MergeSection(current.TrainingInputs, mine.TrainingInputs, baseLock.TrainingInputs, Same))
        .WithModelOutputs(MergeSection(current.ModelOutputs, mine.ModelOutputs, baseLock.ModelOutputs, Same))
        .WithDataProfiles(MergeSection(current.DataProfiles, mine.DataProfiles, baseLock.DataProfiles, (a, b) => a.ContentEquals(b)))
        .WithModelMetrics(MergeSection(current.ModelMetrics, mine.ModelMetrics, baseLock.ModelMetrics, (a, b) => a.ContentEquals(b)));

    /// <summary>One section of <see cref="Merge"/>, for any kind of entry.</summary>
    internal static SortedDictionary<string, T> MergeSection<T>(SortedDictionary<string, T> current, SortedDictionary<string, T> mine,
        SortedDictionary<string, T> baseSection, Func<T, T, bool> same)
    {
        var result = new SortedDictionary<string, T>(current, Utf8OrdinalComparer.Instance);
        foreach (var (key, entry) in mine)
        {
            if (!baseSection.TryGetValue(key, out var before) || !same(before, entry))
            {
                result[key] = entry;
            }
        }

        foreach (var key in baseSection.Keys.Where(k => !mine.ContainsKey(k)))
        {
            result.Remove(key);
        }

        return result;
    }

    private static bool Same(LockedFile a, LockedFile b) =>
        a.Sha256 == b.Sha256 && a.Size == b.Size && a.Source == b.Source
        && (a.Entries is null ? b.Entries is null : b.Entries is not null && a.Entries.Count == b.Entries.Count
            && a.Entries.All(e => b.Entries.TryGetValue(e.Key, out var digest) && digest == e.Value));
}
