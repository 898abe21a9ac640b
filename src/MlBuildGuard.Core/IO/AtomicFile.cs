namespace MlBuildGuard.Core.IO;

/// <summary>
/// Writes a file so that readers only ever see the old bytes or the new bytes: the content goes to a temporary file in the
/// same folder, is flushed to disk, and is renamed over the target. A failure or cancellation before the rename leaves the
/// previous file intact and removes the temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>A temporary file this old was left by a writer that died (killed, power lost): no write takes this long without touching it.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        RemoveLeftovers(full, AbandonedAfter);
        var temp = TemporaryFor(full);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes only when the bytes differ from what is there, so an unchanged file keeps its timestamp.</summary>
    /// <returns>Whether the file was written.</returns>
    public static bool WriteIfChanged(string path, ReadOnlySpan<byte> content)
    {
        if (Holds(path, content))
        {
            return false;
        }

        WriteAllBytes(path, content);
        return true;
    }

    /// <summary>Whether the file exists and holds exactly these bytes (its length is compared first, so a differing file is rarely read).</summary>
    public static bool Holds(string path, ReadOnlySpan<byte> content)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length == content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the write that follows reports what matters
        }
    }

    /// <summary>
    /// Streams new content to a temporary file in the target's folder and renames it over the target only when its bytes
    /// differ from the target's, so an unchanged file keeps its timestamp. Content too large to hold in memory (rewritten
    /// archives) goes through here; <paramref name="write"/> gets a seekable stream, so it may patch headers it wrote
    /// earlier. A replaced file keeps its Unix permissions. An exception from <paramref name="write"/> leaves the target
    /// untouched and removes the temporary file.
    /// </summary>
    /// <returns>Whether the file was written.</returns>
    public static bool WriteIfChanged(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        RemoveLeftovers(full, AbandonedAfter);
        var temp = TemporaryFor(full);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }

            if (File.Exists(full) && SameBytes(temp, full))
            {
                TryDelete(temp);
                return false;
            }

            if (!OperatingSystem.IsWindows() && File.Exists(full))
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
            }

            File.Move(temp, full, overwrite: true);
            return true;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Removes the temporary files that writers of <paramref name="path"/> left behind when they died before renaming them
    /// (a killed build): at once when the process that wrote one (named in it) has ended, else once it is
    /// <paramref name="olderThan"/> old. A caller that holds the only right to write the file (a cross-process lock) may pass
    /// zero.
    /// </summary>
    public static void RemoveLeftovers(string path, TimeSpan olderThan)
    {
        var full = Path.GetFullPath(path);
        try
        {
            foreach (var temp in Directory.EnumerateFiles(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".*-????????.tmp"))
            {
                var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(temp);
                if (age >= olderThan || (age >= WriterGrace && WriterHasEnded(temp)))
                {
                    TryDelete(temp);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only tidying: the write itself reports what matters.
        }
    }

    /// <summary>A temporary file younger than this may belong to a writer that is still starting; it is left alone.</summary>
    private static readonly TimeSpan WriterGrace = TimeSpan.FromSeconds(2);

    /// <summary>Whether a path names a temporary file of these writes (<c>.NAME.PID-RANDOM.tmp</c>), such as a killed build leaves behind.</summary>
    public static bool IsTemporary(string path)
    {
        var name = Path.GetFileName(path.AsSpan());
        return name.Length >= 16 && name[0] == '.' && name.EndsWith(".tmp", StringComparison.Ordinal) && name[^13] == '-'
            && name[^12..^4].IndexOfAnyExcept("0123456789abcdef") < 0;
    }

    /// <summary><c>.NAME.PID-RANDOM.tmp</c>: the writing process is named, so a leftover of a dead one is recognised.</summary>
    private static string TemporaryFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.tmp");

    private static bool WriterHasEnded(string temp)
    {
        var name = Path.GetFileNameWithoutExtension(temp);
        var id = name[(name.LastIndexOf('.') + 1)..].Split('-')[0];
        if (!int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
        {
            return false; // not named by a writer of this version: its age decides
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static bool SameBytes(string a, string b)
    {
        using var left = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var right = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        if (left.Length != right.Length)
        {
            return false;
        }

        var x = new byte[1 << 16];
        var y = new byte[1 << 16];
        int read;
        while ((read = left.ReadAtLeast(x, x.Length, throwOnEndOfStream: false)) > 0)
        {
            if (right.ReadAtLeast(y.AsSpan(0, read), read, throwOnEndOfStream: false) != read || !x.AsSpan(0, read).SequenceEqual(y.AsSpan(0, read)))
            {
                return false;
            }
        }

        return right.ReadByte() < 0;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
