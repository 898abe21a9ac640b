using System.Buffers;
using System.Security.Cryptography;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Signing;

/// <summary>How <see cref="ModelHasher"/> turns a model into OMS resources.</summary>
public sealed record ModelHashOptions
{
    /// <summary>Model-relative paths ('/' separated) left out, with everything under them.</summary>
    public IReadOnlyList<string> IgnorePaths { get; init; } = [];

    /// <summary>Also leave out <see cref="OmsConstants.GitPaths"/> at the top of the model folder.</summary>
    public bool IgnoreGitPaths { get; init; } = true;

    /// <summary>Follow links to files that stay inside the model folder; when false any link is an error.</summary>
    public bool AllowSymlinks { get; init; }

    /// <summary>Null for the <c>files</c> method; a byte count for the <c>shards</c> method.</summary>
    public long? ShardSize { get; init; }

    /// <summary>Write the effective ignore paths into <see cref="OmsSerialization.IgnorePaths"/> (when there are any).</summary>
    public bool RecordIgnorePaths { get; init; } = true;

    /// <summary>Counts the bytes hashed, for whoever shows progress; null for none.</summary>
    public Hashing.HashProgress? Progress { get; init; }
}

/// <summary>The model cannot be hashed: an unsafe name, a link, a special file or an I/O error.</summary>
public sealed class ModelHashException(string message) : Exception(message);

/// <summary>
/// Hashes a model file or folder into the OMS resource list: names relative with '/', sorted by UTF-8 bytes, per-file
/// SHA-256 computed in parallel. A single-file model is the one resource <c>"."</c>.
/// </summary>
public static class ModelHasher
{
    public static OmsManifest Hash(string modelPath, ModelHashOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ModelHashOptions();
        if (options.ShardSize is <= 0)
        {
            throw new ArgumentException("The shard size must be positive.", nameof(options));
        }

        var ignores = EffectiveIgnores(options);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
        var files = new List<(string Name, string ReadPath)>();
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            if (!options.AllowSymlinks)
            {
                throw new ModelHashException($"The model '{modelPath}' is a symbolic link; links are not signed.");
            }

            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is not FileInfo { Exists: true } targetFile)
            {
                throw new ModelHashException($"The model '{modelPath}' is a link to a folder or to nothing.");
            }

            files.Add((".", targetFile.FullName));
        }
        else if (Directory.Exists(full))
        {
            Walk(new DirectoryInfo(full), "", new PathSafety(full), ignores, options.AllowSymlinks, files, cancellationToken);
        }
        else if (File.Exists(full))
        {
            files.Add((".", full));
        }
        else
        {
            throw new ModelHashException($"The model '{modelPath}' does not exist.");
        }

        files.Sort((a, b) => OmsNames.CompareUtf8(a.Name, b.Name));
        var resources = options.ShardSize is { } shardSize
            ? HashShards(files, shardSize, cancellationToken)
            : HashFiles(files, options.Progress, cancellationToken);
        var recorded = options.RecordIgnorePaths && ignores.Count > 0 ? ignores : null;
        return new OmsManifest(resources, new OmsSerialization(
            options.ShardSize is null ? OmsConstants.FilesMethod : OmsConstants.ShardsMethod, OmsConstants.Sha256,
            options.AllowSymlinks, options.ShardSize, recorded));
    }

    /// <summary>The ignore list in a stable order: the caller's paths plus, if enabled, the git paths.</summary>
    private static List<string> EffectiveIgnores(ModelHashOptions options)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in options.IgnorePaths)
        {
            var normalized = raw.Replace('\\', '/').TrimEnd('/');
            if (normalized.StartsWith("./", StringComparison.Ordinal))
            {
                normalized = normalized[2..];
            }

            if (!OmsNames.IsSafeRelative(normalized))
            {
                throw new ArgumentException($"The ignore path '{raw}' is not a relative path inside the model.", nameof(options));
            }

            set.Add(normalized);
        }

        if (options.IgnoreGitPaths)
        {
            set.UnionWith(OmsConstants.GitPaths);
        }

        return [.. set];
    }

    private static void Walk(DirectoryInfo directory, string prefix, PathSafety safety, List<string> ignores, bool allowSymlinks,
        List<(string, string)> files, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = directory.EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                RecurseSubdirectories = false,
                AttributesToSkip = 0,
                IgnoreInaccessible = false,
                ReturnSpecialDirectories = false,
            }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelHashException($"Cannot list the folder '{directory.FullName}': {e.Message}");
        }

        foreach (var entry in entries)
        {
            var name = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            if (ignores.Exists(ignore => OmsNames.IsIgnoredBy(name, ignore)))
            {
                continue;
            }

            if (!OmsNames.IsSafeRelative(name))
            {
                throw new ModelHashException($"The file name '{name}' cannot be represented in a signature.");
            }

            if (entry.LinkTarget is not null)
            {
                if (!allowSymlinks)
                {
                    throw new ModelHashException($"'{name}' is a symbolic link; links are not signed.");
                }

                if (safety.Check(entry.FullName) != Containment.Inside)
                {
                    throw new ModelHashException($"'{name}' is a link that leaves the model folder.");
                }

                var target = entry.ResolveLinkTarget(returnFinalTarget: true);
                if (target is not FileInfo { Exists: true } targetFile)
                {
                    throw new ModelHashException($"'{name}' is a link to a folder or to nothing; only links to files are followed.");
                }

                files.Add((name, targetFile.FullName));
            }
            else if (entry is DirectoryInfo sub)
            {
                Walk(sub, name, safety, ignores, allowSymlinks, files, cancellationToken);
            }
            else
            {
                files.Add((name, entry.FullName));
            }
        }
    }

    private static List<OmsResource> HashFiles(List<(string Name, string ReadPath)> files, Hashing.HashProgress? progress, CancellationToken cancellationToken)
    {
        var results = FileSetHasher.Hash(files.ConvertAll(f => f.ReadPath), cache: null, cancellationToken, progress: progress);
        var resources = new List<OmsResource>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            var result = results[i];
            if (result.Digest is not { } digest)
            {
                throw new ModelHashException($"Cannot hash '{files[i].Name}': {(result.Missing ? "it disappeared" : result.Error ?? "unreadable")}.");
            }

            resources.Add(new OmsResource(files[i].Name, OmsConstants.Sha256, digest.Hex));
        }

        return resources;
    }

    private static List<OmsResource> HashShards(List<(string Name, string ReadPath)> files, long shardSize, CancellationToken cancellationToken)
    {
        var shards = new List<(string Name, string ReadPath, long Start, long End)>();
        foreach (var (name, readPath) in files)
        {
            long length;
            try
            {
                length = new FileInfo(readPath).Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ModelHashException($"Cannot read '{name}': {e.Message}");
            }

            for (long start = 0; start < length; start += shardSize)
            {
                shards.Add((name, readPath, start, Math.Min(length, start + shardSize)));
            }
        }

        var algorithm = OmsConstants.ResourceAlgorithm(shardSize);
        var resources = new OmsResource[shards.Count];
        Parallel.For(0, shards.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var (name, readPath, start, end) = shards[i];
            resources[i] = new OmsResource($"{name}:{start}:{end}", algorithm, HashRange(name, readPath, start, end));
        });
        return [.. resources];
    }

    private static string HashRange(string name, string path, long start, long end)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Sha256File.BufferSize);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var offset = start; offset < end;)
            {
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset)), offset);
                if (read == 0)
                {
                    throw new ModelHashException($"'{name}' became shorter while it was hashed.");
                }

                hash.AppendData(buffer, 0, read);
                offset += read;
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelHashException($"Cannot read '{name}': {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
