using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Core.TrainingInputs;

/// <summary>One <c>MlTrainingInput</c> item as the build evaluated it.</summary>
/// <param name="Path">The item's path (relative to the project folder, or absolute).</param>
/// <param name="Source">Where the data came from (the item's <c>Source</c> metadata), recorded in the lock.</param>
public sealed record TrainingInputItem(string Path, string? Source = null);

public sealed class TrainingInputRequest
{
    public required string ProjectDirectory { get; init; }

    /// <summary>Counts the bytes hashed, for whoever shows progress; null for none.</summary>
    public Hashing.HashProgress? Progress { get; init; }

    /// <summary>The project file; findings without a better place point here.</summary>
    public required string ProjectFile { get; init; }

    public required string LockFilePath { get; init; }

    public required LockMode Mode { get; init; }

    public required IReadOnlyList<TrainingInputItem> Items { get; init; }

    /// <summary>Where <c>MlTrainingInput</c> items are written (patterns and lines), from the project's MSBuild files.</summary>
    public IReadOnlyList<ItemDeclaration> Declarations { get => _declarations.Value; init => _declarations = new(value); }

    /// <summary>Finds <see cref="Declarations"/> from <see cref="DeclaringFiles"/> when first needed (a replayed answer never needs them).</summary>
    public Func<IReadOnlyList<ItemDeclaration>> FindDeclarations { init => _declarations = new(value); }

    private Lazy<IReadOnlyList<ItemDeclaration>> _declarations = new(() => []);

    /// <summary>The project's MSBuild files that declare the items (full paths): the answer rests on them.</summary>
    public IReadOnlyList<string> DeclaringFiles { get; init; } = [];

    /// <summary>The stamp cache file under <c>obj/</c>; null to hash every file.</summary>
    public string? CacheFilePath { get; init; }

    /// <summary>
    /// When set, a changed lock is staged in this folder as a <see cref="StagedLockPart"/> instead of written, and
    /// <see cref="LockCommit"/> writes it with the build's other parts once the whole build has succeeded (the MSBuild
    /// path). When null the lock is written at once (tests, tools).
    /// </summary>
    public string? StagingDirectory { get; init; }

    /// <summary>
    /// False in a framework build of a multi-targeted project whose outer build records the training inputs (it checked
    /// them before the frameworks were built): the inputs are checked, nothing is staged or written.
    /// </summary>
    public bool RecordsLock { get; init; } = true;

    /// <summary>The project's suppressions: a suppressed error does not stop the lock from being written.</summary>
    public SuppressionSet Suppressions { get; init; } = SuppressionSet.Empty;

    /// <summary>Set when the build already fails for a reason outside this guard (MlBuildGuard's own configuration errors).</summary>
    public bool BuildAlreadyFails { get; init; }

    /// <summary>
    /// What this build's other guards learned about the files: each is looked at once, and an input the training-data check
    /// read in full this build (its stamp unmoved since) is not read again. Null for a ledger of its own.
    /// </summary>
    public BuildFileLedger? Files { get; init; }

    /// <summary>
    /// Whether these findings keep the lock from being written: any error that is not suppressed. Warnings never do
    /// (the rule for every part of the lock): a build that succeeds records what it built; a warning the build counts as
    /// an error (<c>WarningsAsErrors</c>, <c>-warnaserror</c>) fails the build, and a failing build writes nothing.
    /// </summary>
    public bool BlocksWrite(IEnumerable<Finding> findings) =>
        BuildAlreadyFails || Suppressions.Apply(findings).Any(f => f.SuppressedBy is null && f.Severity == Severity.Error);
}

public sealed class TrainingInputResult
{
    public List<Finding> Findings { get; } = new();

    /// <summary>What the user should read when the lock was written at once (no staging): created, or what an update changed.</summary>
    public List<string> Notes { get; } = new();

    public bool LockWritten { get; set; }

    /// <summary>The staged part awaiting <see cref="LockCommit.Commit"/>, when <see cref="TrainingInputRequest.StagingDirectory"/> was set.</summary>
    public string? StagedLock { get; set; }

    public int FilesRead { get; set; }

    public int FilesFromCache { get; set; }

    /// <summary>Inputs the training-data check read in full earlier in this build: their digests were taken, not read again.</summary>
    public int FilesReadByOtherGuard { get; set; }

    /// <summary>The lock was not read: its stamp had not moved since it matched exactly these inputs.</summary>
    public bool LockUnchanged { get; set; }
}

/// <summary>
/// The training-input guard (SPEC §3–§5, MLG401–MLG407): hashes every <c>MlTrainingInput</c> and compares it with
/// <c>mlguard.lock.json</c> according to the lock mode. A run that finds an error never writes the lock.
/// </summary>
public static class TrainingInputGuard
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    public static TrainingInputResult Run(TrainingInputRequest request, CancellationToken cancellationToken = default)
    {
        var lockPath = Path.GetFullPath(request.LockFilePath, request.ProjectDirectory);
        // Written at once (no staging): parallel runs for one project take turns, so a lock is created or updated exactly
        // once. A staged part is applied by LockCommit, which serialises the writers itself.
        var writesNow = request.StagingDirectory is null && request.RecordsLock
            && (request.Mode == LockMode.Update || (request.Mode == LockMode.Auto && !File.Exists(lockPath)));
        using var gate = writesNow ? CrossProcessLock.Acquire(lockPath, LockTimeout, cancellationToken) : null;
        return RunCore(request, lockPath, cancellationToken);
    }

    private static TrainingInputResult RunCore(TrainingInputRequest request, string lockPath, CancellationToken cancellationToken)
    {
        var context = new Context(request, lockPath);
        var answer = TrainingInputAnswer.Of(request, lockPath, context.Files, cancellationToken);
        if (answer?.Replay() is { } replayed)
        {
            return replayed;
        }

        var result = Check(request, lockPath, context, cancellationToken);
        answer?.Record(result);
        return result;
    }

    private static TrainingInputResult Check(TrainingInputRequest request, string lockPath, Context context, CancellationToken cancellationToken)
    {
        var result = new TrainingInputResult();

        // 1. Which files are inputs, and are they inside the project?
        var inputs = new Dictionary<string, (string FullPath, string? Source)>(request.Items.Count, StringComparer.Ordinal);
        var rejected = new HashSet<string>(StringComparer.Ordinal); // inside by name, but a link leads out
        var fullPaths = request.Items.Select(i => Path.GetFullPath(i.Path, request.ProjectDirectory)).ToArray();
        context.Files.LookAll(fullPaths, cancellationToken); // one lstat per file, on every core; the hasher's stamps come from the same look
        for (var n = 0; n < request.Items.Count; n++)
        {
            var item = request.Items[n];
            var full = fullPaths[n];
            var containment = context.Files.Containment(full);
            if (containment != Containment.Inside)
            {
                var how = containment == Containment.OutsideRoot ? "is" : "is reached through a link that leads";
                result.Findings.Add(Finding.Create(RuleCatalog.TrainingInputOutsideProject, context.DeclarationOf(full), item.Path,
                    item.Path, how, context.Safety.Root));
                if (containment == Containment.LinkLeavesRoot)
                {
                    rejected.Add(context.Safety.ToRelative(full));
                }

                continue;
            }

            var relative = context.Safety.ToRelative(full);
            var source = string.IsNullOrWhiteSpace(item.Source) ? null : item.Source.Trim();
            if (inputs.TryGetValue(relative, out var existing))
            {
                inputs[relative] = (full, existing.Source ?? source);
            }
            else
            {
                inputs[relative] = (full, source);
            }
        }

        // 2. Wildcard patterns that matched nothing.
        foreach (var declaration in request.Declarations.Where(d => d.HasWildcard))
        {
            if (declaration.NeedsEvaluation(declaration.Expand(request.ProjectDirectory)))
            {
                continue;
            }

            if (!fullPaths.Any(full => declaration.Matches(full, request.ProjectDirectory)))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.TrainingInputPatternEmpty, declaration.Location, declaration.Pattern, declaration.Pattern));
            }
        }

        // 3. Digests: from the stamp cache where allowed, read otherwise.
        var keys = inputs.Keys.ToArray();
        Array.Sort(keys, Utf8OrdinalComparer.Instance); // one order for hashing, findings and notes
        var paths = keys.Select(k => inputs[k].FullPath).ToArray();
        // When the training-data check ran before in this build it knows every digest (read, or from its own stamp cache):
        // this guard's stamp cache is then not even loaded.
        var useCache = request.CacheFilePath is not null && request.Mode != LockMode.Locked && !context.Files.KnowsDigestsOf(paths);
        var cache = useCache ? HashCache.Load(request.CacheFilePath!) : HashCache.Empty();
        var hashes = FileSetHasher.Hash(paths, cache, cancellationToken, progress: request.Progress, files: context.Files);
        var current = new Dictionary<string, LockedFile>(keys.Length, StringComparer.Ordinal);
        var missing = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++)
        {
            var h = hashes[i];
            if (h.Error is not null)
            {
                result.Findings.Add(Finding.Create(RuleCatalog.InternalFailure, new SourceLocation(h.FullPath), keys[i],
                    "training-inputs", $"cannot read '{keys[i]}': {h.Error}"));
            }
            else if (h.Missing)
            {
                missing.Add(keys[i]);
            }
            else
            {
                if (h.Digest!.Value.HoldsPrivateKey)
                {
                    // A secret in the training data would be copied into every model, log and lock that records it.
                    result.Findings.Add(SignatureFindings.PrivateKeyInTrainingInput(keys[i], context.DeclarationOf(inputs[keys[i]].FullPath)));
                }

                current[keys[i]] = new LockedFile(h.Digest.Value.Hex, h.Digest.Value.Size, inputs[keys[i]].Source);
                if (h.FromCache)
                {
                    result.FilesFromCache++;
                }
                else if (h.ReadByOtherGuard)
                {
                    result.FilesReadByOtherGuard++;
                }
                else
                {
                    result.FilesRead++;
                }
            }
        }

        cache.PruneAndSave(useCache ? request.CacheFilePath : null, inputs.Values.Select(v => v.FullPath));

        // 4. The lock as committed. A lock whose stamp has not moved since it matched exactly these inputs need not be read.
        LockFile? locked = null;
        var lockExists = File.Exists(lockPath);
        var verdict = request.Mode == LockMode.Auto && request.CacheFilePath is not null ? new Verdict(request.CacheFilePath + ".verdict", lockPath, keys, current) : null;
        if (lockExists && verdict is not null && result.Findings.Count == 0 && missing.Count == 0 && verdict.StillHolds())
        {
            result.LockUnchanged = true;
            return result;
        }

        if (lockExists)
        {
            try
            {
                locked = LockFileReader.Read(lockPath);
            }
            catch (LockFileException e)
            {
                result.Findings.Add(Finding.Create(RuleCatalog.LockFileMalformed, new SourceLocation(lockPath, e.Line, e.Column), context.RelativeLockPath,
                    context.RelativeLockPath, e.Reason));
                return result;
            }
        }
        else if (request.Mode == LockMode.Locked && request.Items.Count > 0)
        {
            result.Findings.Add(Finding.Create(RuleCatalog.LockFileMissing, new SourceLocation(request.ProjectFile), context.RelativeLockPath, context.RelativeLockPath));
            return result;
        }

        var compareOnly = locked is not null && request.Mode != LockMode.Update;

        // Declared inputs that do not exist: a literal path that matches no file. When comparing, a locked one is MLG404 below.
        foreach (var key in missing.Where(k => !compareOnly || !locked!.TrainingInputs.ContainsKey(k)))
        {
            result.Findings.Add(Finding.Create(RuleCatalog.TrainingInputPatternEmpty, context.DeclarationOf(inputs[key].FullPath), key, key));
        }

        // 5. Compare, or write.
        if (compareOnly)
        {
            Compare(context, locked!, keys, current, missing, inputs, rejected, result);
            if (result.Findings.Count == 0 && missing.Count == 0)
            {
                verdict?.Record();
            }

            return result;
        }

        if (!request.RecordsLock || (locked is null && request.Mode == LockMode.Locked))
        {
            return result; // checked only; or Locked, no lock, no inputs: nothing to verify and nothing may be written
        }

        if (request.BlocksWrite(result.Findings))
        {
            if (request.StagingDirectory is null)
            {
                result.Notes.Add($"{context.RelativeLockPath} was not written: fix the errors above first (or suppress them).");
            }

            return result; // in a build, the errors fail it, and a failing build writes nothing: no more need be said
        }

        if (locked is null && current.Count == 0)
        {
            return result; // nothing to lock: a project without training inputs gets no lock file
        }

        var updated = (locked ?? new LockFile()).WithTrainingInputs(current);
        var bytes = LockFileWriter.ToBytes(updated);
        if (lockExists && File.ReadAllBytes(lockPath).AsSpan().SequenceEqual(bytes))
        {
            return result;
        }

        var changes = new List<string>();
        var summary = Describe((locked ?? new LockFile()).TrainingInputs, updated.TrainingInputs, changes);
        if (request.StagingDirectory is { } staging)
        {
            // A build writes the lock only once it has succeeded, together with its other parts (LockCommit).
            result.StagedLock = new StagedLockPart("training inputs", locked, updated, summary, changes).Stage(staging);
            return result;
        }

        AtomicFile.WriteAllBytes(lockPath, bytes);
        result.LockWritten = true;
        result.Notes.Add(locked is null
            ? $"Created {context.RelativeLockPath} with {current.Count} training input(s). Commit it."
            : $"Updated {context.RelativeLockPath}: {summary}. Commit it.");
        result.Notes.AddRange(changes);
        return result;
    }

    private static void Compare(Context context, LockFile locked, string[] keys, Dictionary<string, LockedFile> current, HashSet<string> missing,
        Dictionary<string, (string FullPath, string? Source)> inputs, HashSet<string> rejected, TrainingInputResult result)
    {
        foreach (var key in keys)
        {
            if (!current.TryGetValue(key, out var now))
            {
                continue;
            }

            if (!locked.TrainingInputs.TryGetValue(key, out var then))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.TrainingInputNotLocked, context.DeclarationOf(inputs[key].FullPath), key,
                    key, now.Sha256, context.RelativeLockPath));
            }
            else if (then.Sha256 != now.Sha256 || then.Size != now.Size)
            {
                result.Findings.Add(Finding.Create(RuleCatalog.TrainingInputChanged, context.LockLine(locked, key), key,
                    key, then.Sha256, then.Size, now.Sha256, now.Size));
            }
            else if (!string.Equals(then.Source, now.Source, StringComparison.Ordinal))
            {
                result.Findings.Add(Finding.Create(RuleCatalog.TrainingInputSourceChanged, context.LockLine(locked, key), key,
                    key, then.Source ?? "(none)", now.Source ?? "(none)"));
            }
        }

        foreach (var (key, then) in locked.TrainingInputs)
        {
            if (current.ContainsKey(key) || (inputs.ContainsKey(key) && !missing.Contains(key)) || rejected.Contains(key))
            {
                continue; // locked and present, present but unreadable, or rejected by MLG405 (each already reported)
            }

            var declaredButMissing = missing.Contains(key);
            var rule = declaredButMissing || !File.Exists(Path.Combine(context.Safety.Root, key))
                ? RuleCatalog.LockedTrainingInputMissing
                : RuleCatalog.LockedTrainingInputNotDeclared;
            result.Findings.Add(Finding.Create(rule, context.LockLine(locked, key), key, key, then.Sha256));
        }
    }

    private static string Describe(SortedDictionary<string, LockedFile> before, SortedDictionary<string, LockedFile> after, List<string> notes)
    {
        int added = 0, changed = 0, removed = 0;
        foreach (var (key, now) in after)
        {
            if (!before.TryGetValue(key, out var then))
            {
                added++;
                notes.Add($"  + {key}  sha256 {now.Sha256} ({now.Size} bytes)");
            }
            else if (then != now)
            {
                changed++;
                notes.Add(then.Sha256 != now.Sha256
                    ? $"  ~ {key}  sha256 {then.Sha256} -> {now.Sha256} ({then.Size} -> {now.Size} bytes)"
                    : $"  ~ {key}  source '{then.Source}' -> '{now.Source}'");
            }
        }

        foreach (var (key, then) in before)
        {
            if (!after.ContainsKey(key))
            {
                removed++;
                notes.Add($"  - {key}  sha256 {then.Sha256}");
            }
        }

        return $"{added} added, {changed} changed, {removed} removed";
    }

    private sealed class Context
    {
        private readonly TrainingInputRequest _request;

        public Context(TrainingInputRequest request, string lockPath)
        {
            _request = request;
            LockPath = lockPath;
            Files = BuildFileLedger.For(request.Files, request.ProjectDirectory);
            Safety = Files.Safety;
            RelativeLockPath = PathSafety.IsUnder(lockPath, Safety.Root) ? Safety.ToRelative(lockPath) : lockPath;
        }

        public PathSafety Safety { get; }

        /// <summary>What this build knows about the files: each looked at once, and read once by whichever guard reads first.</summary>
        public BuildFileLedger Files { get; }

        public string LockPath { get; }

        public string RelativeLockPath { get; }

        public SourceLocation LockLine(LockFile locked, string key)
        {
            var (line, column) = locked.PositionOf(LockSection.TrainingInputs, key);
            return new SourceLocation(LockPath, line, column);
        }

        /// <summary>The line that declares the item for this file, or the project file when no declaration is found.</summary>
        public SourceLocation DeclarationOf(string fullPath)
        {
            var d = _request.Declarations.FirstOrDefault(d => d.Matches(fullPath, _request.ProjectDirectory));
            return d?.Location ?? new SourceLocation(_request.ProjectFile);
        }
    }

    /// <summary>
    /// Remembers that the lock, with a given stamp (size, times, file identity), matched exactly a given set of inputs
    /// (paths, sources, digests, sizes). While both hold, the comparison's answer is known without reading the lock.
    /// Only a clean comparison is remembered, and only in Auto mode: Locked mode always reads everything.
    /// </summary>
    private sealed class Verdict(string path, string lockPath, string[] keys, Dictionary<string, LockedFile> current)
    {
        private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

        private string? _text;

        public bool StillHolds()
        {
            try
            {
                return File.Exists(path) && File.ReadAllText(path) == Text();
            }
            catch (IOException)
            {
                return false;
            }
        }

        public void Record()
        {
            if (!FileStamp.TryGet(lockPath, out var stamp) || DateTime.UtcNow.Ticks - stamp.LatestTicks < RacyWindow.Ticks)
            {
                return; // a lock changed this recently may change again within the same timestamp tick
            }

            try
            {
                AtomicFile.WriteIfChanged(path, System.Text.Encoding.UTF8.GetBytes(Text()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only saves time on the next build.
            }
        }

        private string Text()
        {
            if (_text is not null)
            {
                return _text;
            }

            FileStamp.TryGet(lockPath, out var stamp);
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            // "key\0source\0sha256\0size\n" per entry, encoded into one buffer and hashed in large slices.
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
            foreach (var key in keys)
            {
                if (current.TryGetValue(key, out var entry))
                {
                    if (buffer.WrittenCount > (1 << 16) - 1024)
                    {
                        hash.AppendData(buffer.WrittenSpan);
                        buffer.ResetWrittenCount();
                    }

                    Utf8(buffer, key);
                    Utf8(buffer, "\0");
                    Utf8(buffer, entry.Source);
                    Utf8(buffer, "\0");
                    Utf8(buffer, entry.Sha256);
                    Utf8(buffer, "\0");
                    var digits = buffer.GetSpan(24);
                    System.Buffers.Text.Utf8Formatter.TryFormat(entry.Size, digits, out var written);
                    buffer.Advance(written);
                    Utf8(buffer, "\n");
                }
            }

            hash.AppendData(buffer.WrittenSpan);
            return _text = $"mlguard-verdict-1\n{stamp.Size} {stamp.ModifiedTicks} {stamp.ChangedTicks} {stamp.Device} {stamp.FileId}\n{Convert.ToHexStringLower(hash.GetHashAndReset())}\n";
        }

        private static void Utf8(System.Buffers.ArrayBufferWriter<byte> buffer, string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            var written = System.Text.Encoding.UTF8.GetBytes(text, buffer.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length)));
            buffer.Advance(written);
        }
    }
}
