namespace MlBuildGuard.Tool.Commands;

/// <summary>How the commands that take folders (<c>hash</c>, <c>secrets</c>) walk them.</summary>
internal static class FileWalk
{
    /// <summary>
    /// Every file below <paramref name="folder"/>, named as <c>folder/relative/path</c>. Links to files are read as the
    /// file they point to (as sha256sum does); links to folders are not entered, so a walk can neither loop nor leave.
    /// </summary>
    public static List<string> Files(string folder, TextWriter stderr)
    {
        var separator = OperatingSystem.IsWindows() ? "\\" : "/";
        var prefix = folder.EndsWith('/') || folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + separator;
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            var dir = new DirectoryInfo(pending.Pop());
            foreach (var entry in dir.EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo sub)
                {
                    if (sub.LinkTarget is null)
                    {
                        pending.Push(sub.FullName);
                    }
                    else
                    {
                        stderr.WriteLine($"mlguard: {prefix}{Path.GetRelativePath(folder, sub.FullName)}: a link to a folder; not followed");
                    }

                    continue;
                }

                files.Add(prefix + Path.GetRelativePath(folder, entry.FullName));
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
