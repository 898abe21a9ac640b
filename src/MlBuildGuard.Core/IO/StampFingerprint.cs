namespace MlBuildGuard.Core.IO;

/// <summary>
/// A digest of the stamps (relative path, size, modification and change times, device, file id) of a file, or of every
/// entry under a folder, plus settings that a cached verdict also depends on. Equal digests mean nothing was touched since,
/// without reading content: an edit that restores the modification time still changes the change time.
/// </summary>
public static class StampFingerprint
{
    /// <returns>The digest, or null when an entry cannot be stamped (a link, a special file): then nothing may be cached.</returns>
    public static string? Of(string path, IEnumerable<string> settings, params string[] alsoFiles)
    {
        var parts = settings.ToList();
        var entries = Directory.Exists(path)
            ? Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [path];
        foreach (var entry in entries.Concat(alsoFiles))
        {
            if (Directory.Exists(entry) && new DirectoryInfo(entry).LinkTarget is null)
            {
                continue; // a real folder: its files are listed themselves
            }

            if (!FileStamp.TryGet(entry, out var s))
            {
                return null;
            }

            parts.Add($"{Path.GetRelativePath(path, entry)}|{s.Size}|{s.ModifiedTicks}|{s.ChangedTicks}|{s.Device}|{s.FileId}");
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', parts))));
    }
}
