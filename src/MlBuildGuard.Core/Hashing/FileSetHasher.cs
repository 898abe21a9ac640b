using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Hashing;

/// <summary>The outcome for one file of a <see cref="FileSetHasher"/> run.</summary>
public readonly record struct FileHashResult(string FullPath, FileDigest? Digest, bool Missing, bool FromCache, string? Error);

/// <summary>
/// Hashes many files on every core. Files whose stamp matches the cache are not read; the others are read once, largest
/// first so one big file does not finish last on a single core.
/// </summary>
public static class FileSetHasher
{
    public static FileHashResult[] Hash(IReadOnlyList<string> fullPaths, HashCache? cache, CancellationToken cancellationToken = default,
        int? maxParallelism = null, TimeProvider? clock = null, bool detectPrivateKeys = true)
    {
        var results = new FileHashResult[fullPaths.Count];
        var stamps = new FileStamp?[fullPaths.Count];
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = maxParallelism ?? Environment.ProcessorCount,
        };

        // Pass 1: stamps and cache hits (metadata only).
        Parallel.For(0, fullPaths.Count, parallel, i =>
        {
            var path = fullPaths[i];
            switch (FileStamp.Probe(path, out var stamp))
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
            if (cache is not null && cache.TryGet(path, stamp, out var cached))
            {
                results[i] = new FileHashResult(path, cached, false, true, null);
            }
        });

        // Pass 2: read what the cache could not answer, biggest first.
        var toRead = Enumerable.Range(0, fullPaths.Count)
            .Where(i => results[i].FullPath is null) // not settled by pass 1
            .OrderByDescending(i => stamps[i]?.Size ?? 0)
            .ToArray();
        var started = (clock ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        Parallel.ForEach(toRead, parallel, i =>
        {
            var path = fullPaths[i];
            try
            {
                var digest = detectPrivateKeys ? Sha256File.Compute(path, cancellationToken) : Sha256File.ComputeDigestOnly(path, cancellationToken);
                results[i] = new FileHashResult(path, digest, false, false, null);
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

        if (cache is not null)
        {
            foreach (var i in toRead)
            {
                // Only a file whose stamp did not move while it was read may be remembered.
                if (results[i].Digest is { } digest && stamps[i] is { } before && FileStamp.TryGet(fullPaths[i], out var after) && after == before
                    && digest.Size == before.Size)
                {
                    cache.Set(fullPaths[i], before, digest, started);
                }
            }
        }

        return results;
    }
}
