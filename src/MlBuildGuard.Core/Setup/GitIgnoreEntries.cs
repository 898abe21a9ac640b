namespace MlBuildGuard.Core.Setup;

/// <summary>
/// Build output stays out of git (<c>bin/</c>, <c>obj/</c>, where MlBuildGuard keeps its caches), and so do private
/// signing keys by their usual names; the locks (<c>mlguard.lock.json</c>, <c>packages.lock.json</c>) are meant to be
/// committed and are never added. Lines already there are not repeated.
/// </summary>
internal static class GitIgnoreEntries
{
    private static readonly string[] Entries = ["bin/", "obj/", "signing-key.pem", "*.private.pem"];

    public static SetupStep Add(string path, Func<string, string> relative)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : "";
        var lines = existing.Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        var missing = Entries.Where(e => !lines.Contains(e) && !lines.Contains("/" + e) && !lines.Contains(e.TrimEnd('/'))).ToList();
        if (missing.Count == 0)
        {
            return new SetupStep(relative(path), "ignores build output and private keys already", false);
        }

        var prefix = existing.Length > 0 && !existing.EndsWith('\n') ? "\n" : "";
        var block = prefix + (existing.Length > 0 ? "\n" : "") + "# MlBuildGuard: build output (caches live in obj/) and private signing keys\n" + string.Join("\n", missing) + "\n";
        IO.AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(existing + block));
        return new SetupStep(relative(path), "added " + string.Join(", ", missing), true);
    }
}
