using System.Collections.Concurrent;
using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// One look at a path: what it names, its stamp when that is a regular file, and whether the path itself is a link. A class:
/// the runtime's precompiled dictionaries hold references, while one over a struct is compiled on every build's start.
/// </summary>
public sealed record FileLook(FileKind Kind, FileStamp Stamp, bool IsLink);

/// <summary>
/// What the guards of one build of one project have learned about its files, so the guards that look at the same files
/// before compilation (the project-item model scan, the training-data check, the training-input guard) make one pass over
/// the file system together: each path is looked at once (one <c>lstat</c> for a file that is not a link, which also
/// settles whether it stays inside the project), and a file one guard read in full is not read again by the next while
/// its stamp has not moved. It lives in memory for one build (MSBuild keeps it as a registered task object; the tool makes
/// one per command) and is never written, so nothing in it outlives the build that learned it; a <c>Locked</c> build,
/// which trusts no cache, still reads every input once. Safe to use from several threads.
/// </summary>
public sealed class BuildFileLedger
{
    private readonly ConcurrentDictionary<string, FileLook> _looks = new(Environment.ProcessorCount, 4096, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DigestEntry> _digests = new(StringComparer.Ordinal);

    private readonly object _pendingGate = new();
    private Action? _pendingDigests;

    public BuildFileLedger(string projectDirectory) => Safety = new PathSafety(projectDirectory);

    /// <summary>Containment checks against the project folder, with the folders' links resolved once for the build.</summary>
    public PathSafety Safety { get; }

    /// <summary>The ledger to use for a project: <paramref name="shared"/> when it belongs to that project folder, else a new one.</summary>
    public static BuildFileLedger For(BuildFileLedger? shared, string projectDirectory) =>
        shared is not null && string.Equals(shared.Safety.Root, Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectDirectory)), StringComparison.Ordinal)
            ? shared
            : new BuildFileLedger(projectDirectory);

    /// <summary>Looks at a full path (links followed for kind and stamp), once per build.</summary>
    public FileLook Look(string fullPath) => _looks.GetOrAdd(fullPath, static path =>
    {
        var kind = FileStamp.ProbeNoFollow(path, out var stamp, out var isLink);
        return new FileLook(kind, stamp, isLink);
    });

    /// <summary>Looks at every path, on every core for paths not looked at yet (the paths' first look of the build is the only system call).</summary>
    public FileLook[] LookAll(IReadOnlyList<string> fullPaths, CancellationToken cancellationToken = default)
    {
        var looks = new FileLook[fullPaths.Count];
        var unknown = new List<int>();
        for (var i = 0; i < looks.Length; i++)
        {
            if (_looks.TryGetValue(fullPaths[i], out var known))
            {
                looks[i] = known;
            }
            else
            {
                unknown.Add(i);
            }
        }

        if (unknown.Count > 0)
        {
            // Slices of a few hundred paths: one task per path would cost more than its system call.
            var slices = Partitioner.Create(0, unknown.Count, Math.Max(64, unknown.Count / (4 * Environment.ProcessorCount)));
            Parallel.ForEach(slices, new ParallelOptions { CancellationToken = cancellationToken }, range =>
            {
                for (var n = range.Item1; n < range.Item2; n++)
                {
                    var i = unknown[n];
                    looks[i] = Look(fullPaths[i]);
                }
            });
        }

        return looks;
    }

    /// <summary>Whether a full path stays inside the project, lexically and after its links (the file's own link costs no call unless it is one).</summary>
    public Containment Containment(string fullPath)
    {
        var look = Look(fullPath);
        return Safety.CheckFullPath(fullPath, look.IsLink || look.Kind == FileKind.Unknown);
    }

    /// <summary>
    /// Remembers a file's digest: read in full this build while its stamp stayed <paramref name="stamp"/>, or, with
    /// <paramref name="fromCache"/>, taken for that stamp from a stamp cache under <c>obj/</c> (never in a <c>Locked</c>
    /// build), which the next guard would have trusted in its own cache alike.
    /// </summary>
    /// <param name="keysDecided">Whether every byte was looked at for private key blocks (<see cref="FileDigest.HoldsPrivateKey"/> is then an answer).</param>
    public void RecordDigest(string fullPath, FileStamp stamp, FileDigest digest, bool keysDecided, bool fromCache = false) =>
        _digests[fullPath] = new DigestEntry(stamp, digest, keysDecided, fromCache);

    /// <summary>The digest known this build, when the file's stamp is still the one it had when it was read.</summary>
    /// <param name="needsKeyVerdict">Only a read that decided <see cref="FileDigest.HoldsPrivateKey"/> will do.</param>
    /// <param name="fromCache">The digest came from a stamp cache, not from a read this build.</param>
    public bool TryGetDigest(string fullPath, FileStamp stamp, bool needsKeyVerdict, out FileDigest digest, out bool fromCache)
    {
        LoadPendingDigests();
        if (_digests.TryGetValue(fullPath, out var entry) && entry.Stamp == stamp && (entry.KeysDecided || !needsKeyVerdict))
        {
            (digest, fromCache) = (entry.Digest, entry.FromCache);
            return true;
        }

        (digest, fromCache) = (default, false);
        return false;
    }

    /// <summary>Whether every file's digest is known this build (with a key verdict), so a guard need not even load its own stamp cache.</summary>
    public bool KnowsDigestsOf(IEnumerable<string> fullPaths)
    {
        LoadPendingDigests();
        return fullPaths.All(p => Look(p) is { Kind: FileKind.Regular } look && TryGetDigest(p, look.Stamp, needsKeyVerdict: true, out _, out _));
    }

    /// <summary>
    /// A guard that replayed its last answer instead of reading (or taking from its stamp cache) the files' digests leaves
    /// the way to learn them here; it runs once, the first time a later guard of the build asks for a digest.
    /// </summary>
    public void DigestsOnRequest(Action learn)
    {
        lock (_pendingGate)
        {
            _pendingDigests = learn;
        }
    }

    private void LoadPendingDigests()
    {
        if (Volatile.Read(ref _pendingDigests) is null)
        {
            return;
        }

        lock (_pendingGate)
        {
            var learn = _pendingDigests;
            _pendingDigests = null; // taken before it runs: what it asks the ledger does not start it again
            learn?.Invoke();
        }
    }

    private sealed record DigestEntry(FileStamp Stamp, FileDigest Digest, bool KeysDecided, bool FromCache);
}
