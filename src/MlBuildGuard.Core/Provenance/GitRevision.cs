using System.Text;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// Finds the commit a directory is checked out at by reading git's metadata files, without starting <c>git</c>: a build
/// must not depend on git being installed or on its configuration (hooks, <c>safe.directory</c>, pagers), and reading a
/// handful of small files costs microseconds. Handles ordinary repositories, linked worktrees and submodules (a
/// <c>.git</c> file pointing elsewhere, with <c>commondir</c>), loose and packed refs, and detached heads. Anything it
/// cannot resolve with certainty — an unborn branch, a damaged or oversized file — yields null rather than a guess.
/// </summary>
public static class GitRevision
{
    /// <summary>No git metadata file this reads is anywhere near this size; a larger one is not trusted.</summary>
    private const long MaxFileSize = 1024 * 1024;

    /// <summary>Symbolic refs pointing at symbolic refs are followed this deep before giving up (git itself stops at 5).</summary>
    private const int MaxSymbolicDepth = 5;

    /// <summary>
    /// The revision checked out in the repository containing <paramref name="startDirectory"/> (searching it and its
    /// parents), with the <c>origin</c> remote stripped of credentials; null when there is none or it cannot be resolved.
    /// </summary>
    public static SourceRevision? Find(string startDirectory)
    {
        ArgumentNullException.ThrowIfNull(startDirectory);
        try
        {
            var gitDir = FindGitDirectory(Path.GetFullPath(startDirectory));
            if (gitDir is null)
            {
                return null;
            }

            var commonDir = CommonDirectory(gitDir);
            var head = ReadSmall(Path.Combine(gitDir, "HEAD"))?.Trim();
            if (head is null)
            {
                return null;
            }

            string? refName = null;
            string? commit;
            if (head.StartsWith("ref:", StringComparison.Ordinal))
            {
                refName = head[4..].Trim();
                commit = ResolveRef(gitDir, commonDir, refName);
            }
            else
            {
                commit = head;
            }

            if (commit is null || !IsObjectId(commit))
            {
                return null;
            }

            return new SourceRevision(OriginUrl(commonDir), commit.ToLowerInvariant(), refName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The git directory of the nearest enclosing work tree: a <c>.git</c> folder, or where a <c>.git</c> file points.</summary>
    private static string? FindGitDirectory(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var dotGit = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(dotGit))
            {
                return File.Exists(Path.Combine(dotGit, "HEAD")) ? dotGit : null;
            }

            if (File.Exists(dotGit))
            {
                // Worktrees and submodules: "gitdir: <path>", relative to the folder holding the .git file.
                var text = ReadSmall(dotGit);
                if (text is null || !text.StartsWith("gitdir:", StringComparison.Ordinal))
                {
                    return null;
                }

                var target = Path.GetFullPath(text[7..].Trim(), dir.FullName);
                return File.Exists(Path.Combine(target, "HEAD")) ? target : null;
            }
        }

        return null;
    }

    /// <summary>Where shared refs, packed-refs and config live: <c>commondir</c> for a linked worktree, else the git directory.</summary>
    private static string CommonDirectory(string gitDir)
    {
        var common = ReadSmall(Path.Combine(gitDir, "commondir"))?.Trim();
        return string.IsNullOrEmpty(common) ? gitDir : Path.GetFullPath(common, gitDir);
    }

    private static string? ResolveRef(string gitDir, string commonDir, string refName)
    {
        for (var depth = 0; depth < MaxSymbolicDepth; depth++)
        {
            if (!IsSafeRefName(refName))
            {
                return null;
            }

            var value = LooseRef(gitDir, refName) ?? LooseRef(commonDir, refName) ?? PackedRef(commonDir, refName);
            if (value is null || !value.StartsWith("ref:", StringComparison.Ordinal))
            {
                return value;
            }

            refName = value[4..].Trim();
        }

        return null;
    }

    private static string? LooseRef(string dir, string refName) =>
        ReadSmall(Path.Combine(dir, refName.Replace('/', Path.DirectorySeparatorChar)))?.Trim();

    /// <summary>The object id of <paramref name="refName"/> in <c>packed-refs</c> (<c>&lt;id&gt; SP &lt;ref&gt;</c> lines; <c>#</c> header, <c>^</c> peeled tags).</summary>
    private static string? PackedRef(string commonDir, string refName)
    {
        var text = ReadSmall(Path.Combine(commonDir, "packed-refs"));
        if (text is null)
        {
            return null;
        }

        foreach (var line in text.Split('\n'))
        {
            var entry = line.TrimEnd('\r');
            if (entry.Length == 0 || entry[0] is '#' or '^')
            {
                continue;
            }

            var space = entry.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && entry.AsSpan(space + 1).SequenceEqual(refName))
            {
                return entry[..space];
            }
        }

        return null;
    }

    /// <summary>The <c>url</c> of <c>[remote "origin"]</c> in the repository's config, made safe to publish; null if absent.</summary>
    private static string? OriginUrl(string commonDir)
    {
        var text = ReadSmall(Path.Combine(commonDir, "config"));
        if (text is null)
        {
            return null;
        }

        var inOrigin = false;
        string? url = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                inOrigin = IsOriginSection(line);
                continue;
            }

            if (!inOrigin)
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && line[..equals].Trim().Equals("url", StringComparison.OrdinalIgnoreCase) && url is null)
            {
                url = ConfigValue(line[(equals + 1)..]);
            }
        }

        return url is null ? null : PublishableRemote(url);
    }

    /// <summary><c>[remote "origin"]</c>: section names are case-insensitive, subsection names are not.</summary>
    private static bool IsOriginSection(string line)
    {
        var close = line.IndexOf(']', StringComparison.Ordinal);
        if (close < 0)
        {
            return false;
        }

        var header = line[1..close].Trim();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && header[..space].Equals("remote", StringComparison.OrdinalIgnoreCase)
            && header[(space + 1)..].Trim() == "\"origin\"";
    }

    /// <summary>A config value: quotes removed, <c>\"</c> and <c>\\</c> unescaped, and a trailing <c>#</c>/<c>;</c> comment cut.</summary>
    private static string ConfigValue(string text)
    {
        var builder = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                builder.Append(text[++i]);
            }
            else if (!quoted && c is '#' or ';')
            {
                break;
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Trim();
    }

    /// <summary>
    /// The remote as a URL anyone may see: credentials, query and fragment removed; scp-like <c>user@host:path</c>
    /// written as <c>ssh://host/path</c>; local paths and <c>file:</c> URLs (a machine's layout) dropped.
    /// </summary>
    internal static string? PublishableRemote(string url)
    {
        if (url.Length == 0 || url.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (url.Contains("://", StringComparison.Ordinal))
        {
            return MaterialText.WithoutCredentials(url);
        }

        // scp-like syntax: a colon before any slash, and not a Windows drive letter.
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        var slash = url.IndexOf('/', StringComparison.Ordinal);
        if (colon <= 1 || (slash >= 0 && slash < colon))
        {
            return null;
        }

        var host = url[..colon];
        var at = host.LastIndexOf('@');
        return $"ssh://{host[(at + 1)..]}/{url[(colon + 1)..].TrimStart('/')}";
    }

    /// <summary>A ref that stays inside the git directory: <c>refs/…</c> or a top-level name like <c>HEAD</c>, no <c>..</c>.</summary>
    private static bool IsSafeRefName(string refName) =>
        refName.Length > 0 && !Path.IsPathRooted(refName) && !refName.Contains('\\')
        && refName.Split('/').All(part => part.Length > 0 && part != "." && part != "..");

    private static bool IsObjectId(string value) =>
        value.Length is 40 or 64 && value.All(char.IsAsciiHexDigit);

    /// <summary>The file's text, or null when it does not exist or exceeds <see cref="MaxFileSize"/>.</summary>
    private static string? ReadSmall(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length > MaxFileSize)
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var content = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (content.Length + read > MaxFileSize)
            {
                return null; // grew since it was measured
            }

            content.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length);
    }
}
