using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;

namespace MlBuildGuard.Core.Reproducibility;

public sealed class ModelOutputRequest
{
    public required string ProjectDirectory { get; init; }

    /// <summary>Counts the bytes hashed, for whoever shows progress; null for none.</summary>
    public Hashing.HashProgress? Progress { get; init; }

    public required string ProjectFile { get; init; }

    public required string LockFilePath { get; init; }

    public required LockMode Mode { get; init; }

    /// <summary>The produced models (<c>@(MlModelOutput)</c>): files or folders, relative to the project or absolute.</summary>
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>Compare with and record in the lock (<c>MlGuardReproducibleOutputs</c>); false only hashes, for provenance.</summary>
    public bool Record { get; init; } = true;

    /// <summary>
    /// Where a changed lock is staged (a <see cref="StagedLockPart"/>) until the build succeeds and commits all its parts
    /// together; null writes the lock at once (tests, tools).
    /// </summary>
    public string? StagingDirectory { get; init; }

    /// <summary>The framework whose models these are, in a multi-targeted project (names the part in the build's message).</summary>
    public string? TargetFramework { get; init; }

    /// <summary>
    /// <c>$(OutDir)</c>: a model under it is keyed relative to it (SPEC §4), so every configuration's build of the same
    /// training shares one entry; a model elsewhere is keyed relative to the project. Null keys every model relative to
    /// the project (tools and tests).
    /// </summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Prefixed to keys under <see cref="OutputDirectory"/>: the target framework, in a multi-targeted project.</summary>
    public string? KeyPrefix { get; init; }

    /// <summary>
    /// <c>$(BaseOutputPath)</c> (default <c>bin/</c>): keys under it that end with a model's key are that model's entries
    /// under the project-relative keys of earlier versions (<c>bin/Debug/net10.0/model.zip</c>); they are read as the
    /// model's entry and rewritten to its key when the lock is next written.
    /// </summary>
    public string? LegacyOutputRoot { get; init; }

    /// <summary>Stamp cache of output digests, so a build that changed nothing reads no model (not used in Locked mode).</summary>
    public string? CacheFilePath { get; init; }

    /// <summary>Another guard already failed the build: report, but stage nothing.</summary>
    public bool BuildAlreadyFails { get; init; }

    /// <summary>How this request keys its files in the lock.</summary>
    internal ProducedFileKeys Keys => new(ProjectDirectory, OutputDirectory, KeyPrefix, LegacyOutputRoot);
}

/// <summary>One produced file with its digest; folders contribute one per file.</summary>
public sealed record ProducedFile(string Key, string FullPath, string Sha256, long Size);

public sealed class ModelOutputResult
{
    public List<Finding> Findings { get; } = new();

    public List<string> Notes { get; } = new();

    /// <summary>Every produced file with its digest (for provenance and the ML-BOM), in key order.</summary>
    public List<ProducedFile> Files { get; } = new();

    /// <summary>The staged part to commit after the build, when this run changed the lock.</summary>
    public string? StagedLock { get; set; }
}

/// <summary>
/// MLG503: a produced model must have the bytes recorded in <c>mlguard.lock.json</c>'s <c>modelOutputs</c>. In
/// <c>Locked</c> mode (CI) a model that differs, or is not in the lock, is an error, so CI proves it rebuilt what the
/// developer locked; in <c>Auto</c> mode a difference is a warning and a new output is recorded; <c>Update</c> records what
/// was built. For a zip-based model the lock also keeps each entry's digest, so the finding can name the entries that
/// differ. Files of a folder output are locked one by one.
/// </summary>
public static class ModelOutputGuard
{
    /// <summary>Archives with more entries are locked by their bytes only (the lock stays readable).</summary>
    public const int MaxRecordedEntries = 1000;

    public static ModelOutputResult Run(ModelOutputRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = new ModelOutputResult();
        var lockPath = Path.GetFullPath(request.LockFilePath, request.ProjectDirectory);
        var relativeLock = Relative(request.ProjectDirectory, lockPath);

        // 1. The files produced, keyed like the lock: project-relative with '/'.
        var files = new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance);
        foreach (var output in request.Outputs.Distinct(StringComparer.Ordinal))
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output, request.ProjectDirectory));
            foreach (var file in FilesOf(full))
            {
                // Under $(OutDir): relative to it (framework-prefixed when multi-targeted); elsewhere relative to the project
                // folder, so an output beside it (an artifacts folder) gets leading "../".
                var key = LockKey(request, file);
                if (LockFileReader.PathProblem(LockFileReader.WithoutLeadingParents(key)) is not null)
                {
                    // Another drive, or a name the lock cannot hold: it can be neither locked nor described, so say so.
                    result.Findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, new SourceLocation(request.ProjectFile), output,
                        $"the model output '{file}' has no path relative to the project folder that {relativeLock} and the provenance can record. Produce it on the project's drive, under a plain name."));
                    continue;
                }

                files[key] = file;
            }
        }

        // 2. Digests, from the stamp cache where allowed.
        var cache = request.CacheFilePath is not null && request.Mode != LockMode.Locked ? HashCache.Load(request.CacheFilePath) : HashCache.Empty();
        var keys = files.Keys.ToArray();
        var hashes = FileSetHasher.Hash(keys.Select(k => files[k]).ToArray(), cache, cancellationToken, progress: request.Progress);
        for (var i = 0; i < keys.Length; i++)
        {
            if (hashes[i].Digest is { } digest)
            {
                result.Files.Add(new ProducedFile(keys[i], files[keys[i]], digest.Hex, digest.Size));
            }
            else
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InternalFailure, new SourceLocation(files[keys[i]]), keys[i],
                    "model-outputs", $"cannot read '{keys[i]}': {(hashes[i].Missing ? "it disappeared while it was hashed" : hashes[i].Error)}"));
            }
        }

        cache.PruneAndSave(request.CacheFilePath, files.Values);
        if (!request.Record || result.Files.Count == 0)
        {
            return result;
        }

        // 3. The lock as committed.
        LockFile locked;
        var lockExists = File.Exists(lockPath);
        if (lockExists)
        {
            try
            {
                locked = LockFileReader.Read(lockPath);
            }
            catch (LockFileException e)
            {
                if (!request.BuildAlreadyFails)
                {
                    result.Findings.Add(Finding.Create(RuleCatalog.LockFileMalformed, new SourceLocation(lockPath, e.Line, e.Column), relativeLock, relativeLock, e.Reason));
                }

                return result;
            }
        }
        else if (request.Mode == LockMode.Locked)
        {
            if (!request.BuildAlreadyFails)
            {
                result.Findings.Add(Finding.Create(RuleCatalog.LockFileMissing, new SourceLocation(request.ProjectFile), relativeLock, relativeLock));
            }

            return result;
        }
        else
        {
            locked = new LockFile();
        }

        // 4. Compare, and decide what the lock should say. A model whose entry is still under an older key is compared
        //    with that entry, and the lock gets its key once it is written.
        var severity = request.Mode == LockMode.Locked ? Severity.Error : Severity.Warning;
        var updated = new SortedDictionary<string, LockedFile>(locked.ModelOutputs, Utf8OrdinalComparer.Instance);
        var legacy = request.Keys.OlderKeys(locked.ModelOutputs.Keys, result.Files.Select(f => (f.Key, f.FullPath)));
        int added = 0, changed = 0, rekeyed = 0;
        foreach (var file in result.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = new LockedFile(file.Sha256, file.Size);
            var lockedKey = file.Key;
            if (!locked.ModelOutputs.ContainsKey(file.Key) && legacy.TryGetValue(file.Key, out var olderKeys))
            {
                lockedKey = olderKeys[0];
                if (request.Mode != LockMode.Locked && locked.ModelOutputs[lockedKey].SameContent(now) || request.Mode == LockMode.Update)
                {
                    // Re-keyed: the entry moves to the model's key (its digest is compared below); the older keys go.
                    var entry = locked.ModelOutputs[lockedKey];
                    olderKeys.ForEach(k => updated.Remove(k));
                    updated[file.Key] = entry;
                    result.Notes.Add($"  > {string.Join(", ", olderKeys)} -> {file.Key}");
                    rekeyed++;
                }
            }

            if (!locked.ModelOutputs.TryGetValue(lockedKey, out var then))
            {
                if (request.Mode == LockMode.Locked)
                {
                    result.Findings.Add(Finding.Create(RuleCatalog.ModelOutputNotLocked, new SourceLocation(file.FullPath), file.Key,
                        file.Key, file.Sha256, relativeLock));
                    continue;
                }

                updated[file.Key] = now with { Entries = EntriesOf(file.FullPath, cancellationToken) };
                result.Notes.Add($"  + {file.Key}  sha256 {file.Sha256} ({file.Size} bytes)");
                added++;
            }
            else if (!then.SameContent(now))
            {
                var entries = EntriesOf(file.FullPath, cancellationToken);
                if (request.Mode == LockMode.Update)
                {
                    updated[file.Key] = now with { Entries = entries };
                    result.Notes.Add($"  ~ {file.Key}  sha256 {then.Sha256} -> {file.Sha256}; {DescribeEntries(then.Entries, entries)}");
                    changed++;
                    continue;
                }

                var location = LockLine(locked, lockPath, lockedKey);
                result.Findings.Add(Finding.Create(RuleCatalog.ModelOutputNotReproduced, location, file.Key,
                    file.Key, then.Sha256, then.Size, file.Sha256, file.Size, DescribeEntries(then.Entries, entries)).WithSeverity(severity));
            }
            else if (then.Entries is null && request.Mode == LockMode.Update && EntriesOf(file.FullPath, cancellationToken) is { } entries)
            {
                updated[file.Key] = now with { Entries = entries }; // a lock from before entries were recorded
            }
        }

        // 5. Stage the new lock (committed only when the build succeeds), unless nothing changed or the build fails.
        if (request.Mode == LockMode.Locked || request.BuildAlreadyFails || result.Findings.Any(f => f.Severity == Severity.Error))
        {
            return result;
        }

        var proposed = locked.WithModelOutputs(updated);
        var bytes = LockFileWriter.ToBytes(proposed);
        if (lockExists && File.ReadAllBytes(lockPath).AsSpan().SequenceEqual(bytes))
        {
            result.Notes.Clear();
            return result;
        }

        if (request.StagingDirectory is { } staging)
        {
            // Committed with the build's other parts once the whole build has succeeded (LockCommit).
            var name = request.TargetFramework is { Length: > 0 } framework ? $"model outputs ({framework})" : "model outputs";
            var summary = $"{added} added, {changed} changed" + (rekeyed > 0 ? $", {rekeyed} re-keyed" : "");
            result.StagedLock = new StagedLockPart(name, lockExists ? locked : null, proposed, summary, [.. result.Notes]).Stage(staging);
            result.Notes.Clear();
        }
        else
        {
            using (CrossProcessLock.Acquire(lockPath, TimeSpan.FromMinutes(2), cancellationToken))
            {
                AtomicFile.WriteAllBytes(lockPath, bytes);
            }

            result.Notes.Insert(0, $"Recorded these model outputs in {relativeLock}. Commit it.");
        }

        return result;
    }

    /// <summary>The files of an output: the file itself, or every regular file under a folder (links are not followed).</summary>
    private static IEnumerable<string> FilesOf(string full)
    {
        if (Directory.Exists(full))
        {
            return Directory.EnumerateFiles(full, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = FileAttributes.ReparsePoint,
                IgnoreInaccessible = false,
            }).Order(StringComparer.Ordinal);
        }

        return File.Exists(full) ? [full] : [];
    }

    /// <summary>The entry digests of a zip-based model, or null when it is not a readable zip or has too many entries.</summary>
    private static SortedDictionary<string, string>? EntriesOf(string path, CancellationToken cancellationToken)
    {
        if (!LooksLikeZip(path))
        {
            return null;
        }

        try
        {
            var digests = ZipEntryDigests.Read(path, cancellationToken);
            // The lock's reader refuses empty and repeated names: such an archive is locked by its bytes only.
            if (digests.Count > MaxRecordedEntries || digests.Any(d => d.Name.Length == 0)
                || digests.DistinctBy(d => d.Name, StringComparer.Ordinal).Count() != digests.Count)
            {
                return null;
            }

            var entries = new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance);
            foreach (var d in digests)
            {
                entries[d.Name] = d.Sha256;
            }

            return entries;
        }
        catch (Exception e) when (e is ZipNormalizationException or IOException or UnauthorizedAccessException)
        {
            return null; // the model scan reports an archive it cannot read; here it is locked by its bytes only
        }
    }

    private static bool LooksLikeZip(string path)
    {
        Span<byte> head = stackalloc byte[4];
        try
        {
            using var stream = File.OpenRead(path);
            return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual("PK\u0003\u0004"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Which entries differ, when both the lock and the new model know their entries.</summary>
    private static string DescribeEntries(SortedDictionary<string, string>? before, SortedDictionary<string, string>? after)
    {
        if (before is null || after is null)
        {
            return before is null ? "the lock records no archive entries to compare" : "the new model is not a readable zip archive";
        }

        static List<ZipEntryDigest> AsDigests(SortedDictionary<string, string> entries) =>
            entries.Select(e => new ZipEntryDigest(e.Key, e.Value, 0)).ToList(); // sizes are not locked: compare digests only

        return ZipEntryDigests.Summarize(AsDigests(before), AsDigests(after));
    }

    private static SourceLocation LockLine(LockFile locked, string lockPath, string key)
    {
        var (line, column) = locked.PositionOf(LockSection.ModelOutputs, key);
        return new SourceLocation(lockPath, line, column);
    }

    private static string Relative(string projectDirectory, string path) =>
        Path.GetRelativePath(projectDirectory, path).Replace('\\', '/');

    /// <summary>The lock key of a produced file (SPEC §4): relative to <c>$(OutDir)</c> when under it, else to the project.</summary>
    public static string LockKey(ModelOutputRequest request, string file)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Keys.KeyOf(file);
    }
}
