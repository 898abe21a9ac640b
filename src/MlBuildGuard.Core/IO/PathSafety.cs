using System.Collections.Concurrent;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// Decides whether a path stays inside a root folder, lexically and after every symbolic link on the way is followed.
/// Results for folders are cached, so checking thousands of files in a few folders costs one lookup per folder. Safe to
/// use from several threads.
/// </summary>
public sealed class PathSafety
{
    private const int MaxLinkHops = 40; // as the Linux kernel's ELOOP limit
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly ConcurrentDictionary<string, string?> _realDirectories = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    public PathSafety(string root)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        RealRoot = ResolveReal(Root) ?? Root;
    }

    /// <summary>The root as given (full path).</summary>
    public string Root { get; }

    /// <summary>The root with its links resolved.</summary>
    public string RealRoot { get; }

    /// <summary>
    /// <see cref="Path.GetFullPath(string, string)"/>, without its normalisation work for the usual item path on Unix (a
    /// relative path of plain names under a normalised folder, which a build has thousands of): the two are joined.
    /// </summary>
    public static string FullPath(string path, string baseDirectory) =>
        !OperatingSystem.IsWindows() && IsPlainRelative(path) && IsNormalisedFolder(baseDirectory)
            ? string.Concat(baseDirectory, "/", path)
            : Path.GetFullPath(path, baseDirectory);

    private static bool IsPlainRelative(string path) =>
        path.Length > 0 && path[0] != '/' && !path.Contains('\0') && !path.Contains("//", StringComparison.Ordinal)
        && !IsDotSegment(path.AsSpan(0, Math.Max(0, path.IndexOf('/') is var first and >= 0 ? first : path.Length)))
        && !path.Contains("/./", StringComparison.Ordinal) && !path.Contains("/../", StringComparison.Ordinal)
        && !path.EndsWith("/.", StringComparison.Ordinal) && !path.EndsWith("/..", StringComparison.Ordinal);

    private static bool IsDotSegment(ReadOnlySpan<char> segment) => segment is "." or "..";

    private static bool IsNormalisedFolder(string folder) =>
        folder.Length > 1 && folder[0] == '/' && folder[^1] != '/' && !folder.Contains('\0') && !folder.Contains("//", StringComparison.Ordinal)
        && !folder.Contains("/./", StringComparison.Ordinal) && !folder.Contains("/../", StringComparison.Ordinal)
        && !folder.EndsWith("/.", StringComparison.Ordinal) && !folder.EndsWith("/..", StringComparison.Ordinal);

    public static bool IsUnder(string path, string root)
    {
        root = Path.TrimEndingDirectorySeparator(root);
        return path.Length > root.Length
            && path.StartsWith(root, PathComparison)
            && (path[root.Length] == Path.DirectorySeparatorChar || path[root.Length] == Path.AltDirectorySeparatorChar);
    }

    /// <summary>Classifies a file path against the root.</summary>
    public Containment Check(string path) => CheckFullPath(Path.GetFullPath(path));

    /// <summary>As <see cref="Check"/>, for a path already made full by <see cref="Path.GetFullPath(string)"/>.</summary>
    public Containment CheckFullPath(string full)
    {
        if (!IsUnder(full, Root))
        {
            return Containment.OutsideRoot;
        }

        var real = ResolveReal(full);
        if (real is null)
        {
            // A broken link or an unreadable chain of links cannot be shown to stay inside.
            return File.Exists(full) || Directory.Exists(full) || IsLink(full) ? Containment.LinkLeavesRoot : Containment.Inside;
        }

        return IsUnder(real, RealRoot) ? Containment.Inside : Containment.LinkLeavesRoot;
    }

    /// <summary>
    /// As <see cref="CheckFullPath(string)"/>, for a path whose last part the caller already knows to be a link or not
    /// (from an <c>lstat</c> it made anyway): a file that is no link costs no system call beyond its folder's, cached.
    /// </summary>
    public Containment CheckFullPath(string full, bool isLink)
    {
        if (isLink || !IsUnder(full, Root))
        {
            return CheckFullPath(full);
        }

        var dir = Path.GetDirectoryName(full);
        var name = Path.GetFileName(full);
        if (dir is null || name.Length == 0 || ResolveRealDirectory(dir) is not { } realDir)
        {
            return CheckFullPath(full);
        }

        return IsUnder(Path.Combine(realDir, name), RealRoot) ? Containment.Inside : Containment.LinkLeavesRoot;
    }

    /// <summary>Project-relative path with '/' separators, for a full path under <see cref="Root"/>.</summary>
    public string ToRelative(string fullPath)
    {
        var relative = IsUnder(fullPath, Root) ? fullPath[(Root.Length + 1)..] : Path.GetRelativePath(Root, fullPath);
        return Path.DirectorySeparatorChar == '/' ? relative : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The path with every link on the way resolved, like realpath(3): the one rule for following links, used for
    /// training inputs, model folders and ONNX external data alike. Null when a link is broken or loops.
    /// </summary>
    public string? RealPath(string fullPath) => ResolveReal(Path.GetFullPath(fullPath));

    private string? ResolveReal(string full)
    {
        var dir = Path.GetDirectoryName(full);
        var name = Path.GetFileName(full);
        if (dir is null || name.Length == 0)
        {
            return full; // a file-system root
        }

        var realDir = ResolveRealDirectory(dir);
        if (realDir is null)
        {
            return null;
        }

        return FollowLinks(Path.Combine(realDir, name));
    }

    private string? ResolveRealDirectory(string dir)
    {
        if (_realDirectories.TryGetValue(dir, out var cached))
        {
            return cached;
        }

        var result = ResolveReal(dir);
        _realDirectories[dir] = result;
        return result;
    }

    private string? FollowLinks(string path)
    {
        for (var hops = 0; hops < MaxLinkHops; hops++)
        {
            FileSystemInfo info = new FileInfo(path);
            string? target;
            try
            {
                target = info.LinkTarget;
            }
            catch (IOException)
            {
                return null;
            }

            if (target is null)
            {
                return path;
            }

            var parent = Path.GetDirectoryName(path)!;
            var next = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(parent, target));
            var nextDir = Path.GetDirectoryName(next);
            if (nextDir is null)
            {
                return next;
            }

            var realNextDir = ResolveRealDirectory(nextDir);
            if (realNextDir is null)
            {
                return null;
            }

            path = Path.Combine(realNextDir, Path.GetFileName(next));
        }

        return null;
    }
}

public enum Containment
{
    Inside,
    OutsideRoot,
    LinkLeavesRoot,
}
