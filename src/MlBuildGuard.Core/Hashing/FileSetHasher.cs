using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Hashing;

/// <summary>The outcome for one file of a <see cref="FileSetHasher"/> run.</summary>
/// <param name="Content">What the file's <see cref="IFileContentCheck"/> found (read now or kept by the cache); null without a check.</param>
/// <param name="ReadByOtherGuard">The digest is one another guard read in full earlier in this build (<see cref="BuildFileLedger"/>).</param>
public readonly record struct FileHashResult(string FullPath, FileDigest? Digest, bool Missing, bool FromCache, string? Error,
    FileContentFindings? Content = null, bool ReadByOtherGuard = false);

/// <summary>
/// Hashes many files on every core. Files whose stamp matches the cache are not read; the others are read once, largest
/// first so one big file does not finish last on a single core. A file may have a content check (<paramref name="checks"/>
/// of <see cref="Hash"/>): it then does the reading, in the same pass, and its result is cached with the digest. With a
/// <see cref="BuildFileLedger"/>, files are looked at once per build, a file another guard read in full this build is not
/// read again (plain hashing only: a content check needs the bytes), and what is read here is offered to the next guard.
/// </summary>
public static class FileSetHasher
{
    /// <param name="checks">The content check of the file at an index, or null for plain hashing; null for none at all.</param>
    /// <param name="files">What this build already knows about the files; null to look at each one here.</param>
    public static FileHashResult[] Hash(IReadOnlyList<string> fullPaths, HashCache? cache, CancellationToken cancellationToken = default,
        int? maxParallelism = null, TimeProvider? clock = null, Func<int, IFileContentCheck?>? checks = null,
        HashProgress? progress = null, bool detectPrivateKeys = true, BuildFileLedger? files = null)
    {
        var check = new IFileContentCheck?[fullPaths.Count];
        for (var i = 0; checks is not null && i < check.Length; i++)
        {
            check[i] = checks(i);
        }

        var results = new FileHashResult[fullPaths.Count];
        var stamps = new FileStamp?[fullPaths.Count];
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = maxParallelism ?? Environment.ProcessorCount,
        };

        // Pass 1: stamps and cache hits (metadata only).
        var readThisBuild = new bool[fullPaths.Count];
        Parallel.For(0, fullPaths.Count, parallel, i =>
        {
            var path = fullPaths[i];
            var look = files?.Look(path);
            var stamp = look?.Stamp ?? default;
            switch (look?.Kind ?? FileStamp.Probe(path, out stamp))
            {
                case FileKind.Missing:
                    results[i] = new FileHashResult(path, null, true, false, null);
                    return;
                case FileKind.Directory:
                    results[i] = new FileHashResult(path, null, false, false, "it is a folder, not a file");
                    return;
                case FileKind.Special:
                    results[i] = new FileHashResult(path, null, false, false, "it is not a regular file (a FIFO, socket or device is never read)");
                    return;
                case FileKind.Unknown:
                    return; // pass 2 opens it and reports what goes wrong
            }

            stamps[i] = stamp;
            if (cache is not null && cache.TryGet(path, stamp, check[i]?.Key, out var cached, out var content))
            {
                var found = check[i] is null ? null : content ?? FileContentFindings.None;
                results[i] = new FileHashResult(path, cached, false, true, null, found);
                if (files is not null && check[i] is { } cachedCheck)
                {
                    var (offered, keysDecided) = Offered(cached, cachedCheck, found, detectPrivateKeys);
                    files.RecordDigest(path, stamp, offered, keysDecided, fromCache: true);
                }
            }
            else if (check[i] is null && files is not null && files.TryGetDigest(path, stamp, needsKeyVerdict: detectPrivateKeys, out var known, out var knownFromCache))
            {
                // Known from the guard that ran before in this build: its read, or its stamp cache's answer for this stamp.
                results[i] = new FileHashResult(path, known, false, knownFromCache, null, ReadByOtherGuard: !knownFromCache);
                readThisBuild[i] = !knownFromCache;
            }
        });

        // Pass 2: read what the cache could not answer, biggest first.
        var toRead = Enumerable.Range(0, fullPaths.Count)
            .Where(i => results[i].FullPath is null) // not settled by pass 1
            .OrderByDescending(i => stamps[i]?.Size ?? 0)
            .ToArray();
        var started = (clock ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        progress?.Expect(toRead.Sum(i => stamps[i]?.Size ?? 0), toRead.Length);
        Parallel.ForEach(toRead, parallel, i =>
        {
            var path = fullPaths[i];
            try
            {
                FileDigest digest;
                if (check[i] is { } contentCheck)
                {
                    // The check reads the file itself; its bytes count once it has finished.
                    digest = contentCheck.Read(path, cancellationToken);
                    progress?.Add(digest.Size);
                }
                else
                {
                    digest = detectPrivateKeys
                        ? Sha256File.Compute(path, progress, cancellationToken)
                        : Sha256File.ComputeDigestOnly(path, progress, cancellationToken);
                }

                results[i] = new FileHashResult(path, digest, false, false, null, check[i]?.Findings);
            }
            catch (FileNotFoundException)
            {
                results[i] = new FileHashResult(path, null, true, false, null);
            }
            catch (DirectoryNotFoundException)
            {
                results[i] = new FileHashResult(path, null, true, false, null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                results[i] = new FileHashResult(path, null, false, false, e.Message);
            }
        });

        if (cache is not null || files is not null)
        {
            foreach (var i in toRead)
            {
                // Only a file whose stamp did not move while it was read may be remembered.
                if (results[i].Digest is { } digest && stamps[i] is { } before && FileStamp.TryGet(fullPaths[i], out var after) && after == before
                    && digest.Size == before.Size)
                {
                    cache?.Set(fullPaths[i], before, digest, started, check[i]?.Key, results[i].Content);
                    if (files is not null)
                    {
                        var (offered, keysDecided) = Offered(digest, check[i], results[i].Content, detectPrivateKeys);
                        files.RecordDigest(fullPaths[i], before, offered, keysDecided);
                    }
                }
            }

            for (var i = 0; cache is not null && i < readThisBuild.Length; i++)
            {
                if (readThisBuild[i] && results[i].Digest is { } digest && stamps[i] is { } stamp)
                {
                    cache.Set(fullPaths[i], stamp, digest, started, null, null);
                }
            }
        }

        return results;
    }

    /// <summary>
    /// The digest another guard may take instead of reading the file: whether it holds a private key block is part of it
    /// only when this read decided that (plain hashing with the detector, or a check that sees every key block).
    /// </summary>
    private static (FileDigest Digest, bool KeysDecided) Offered(FileDigest digest, IFileContentCheck? check, FileContentFindings? content, bool detectPrivateKeys)
    {
        if (check is null)
        {
            return (digest, detectPrivateKeys);
        }

        return content is not null && check.ReportsEveryPrivateKey(content)
            ? (digest with { HoldsPrivateKey = digest.HoldsPrivateKey || content.HoldsPrivateKey }, true)
            : (digest, false);
    }
}
