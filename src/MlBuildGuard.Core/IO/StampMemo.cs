namespace MlBuildGuard.Core.IO;

/// <summary>
/// A one-line fact about a file, remembered under <c>obj/</c> with the file's stamp, so a rebuild knows it again without
/// opening the file while the stamp has not moved. Like every cache there, it can only save a read: a missing, damaged
/// or stale memo means the file is read, and a stamp younger than two seconds is never remembered.
/// </summary>
public static class StampMemo
{
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>The fact remembered for <paramref name="file"/> at its current stamp, or null.</summary>
    public static string? Read(string memoPath, string file)
    {
        try
        {
            if (!FileStamp.TryGet(file, out var stamp) || !File.Exists(memoPath))
            {
                return null;
            }

            var lines = File.ReadAllLines(memoPath);
            return lines.Length == 2 && lines[0] == Line(stamp) ? lines[1] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Remembers <paramref name="fact"/> (one line) for <paramref name="file"/> as it is now.</summary>
    public static void Write(string memoPath, string file, string fact)
    {
        try
        {
            if (FileStamp.TryGet(file, out var stamp) && DateTime.UtcNow.Ticks - stamp.LatestTicks >= RacyWindow.Ticks)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(memoPath))!);
                AtomicFile.WriteIfChanged(memoPath, System.Text.Encoding.UTF8.GetBytes($"{Line(stamp)}\n{fact}\n"));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only saves a read on the next build.
        }
    }

    private static string Line(FileStamp s) => $"{s.Size} {s.ModifiedTicks} {s.ChangedTicks} {s.Device} {s.FileId}";
}
