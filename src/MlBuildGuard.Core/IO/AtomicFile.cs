namespace MlBuildGuard.Core.IO;

/// <summary>
/// Writes a file so that readers only ever see the old bytes or the new bytes: the content goes to a temporary file in the
/// same folder, is flushed to disk, and is renamed over the target. A failure or cancellation before the rename leaves the
/// previous file intact and removes the temporary file.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
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
        if (File.Exists(path))
        {
            var info = new FileInfo(path);
            if (info.Length == content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
            {
                return false;
            }
        }

        WriteAllBytes(path, content);
        return true;
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
