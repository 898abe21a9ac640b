namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// Lock entries of produced models under the keys of earlier versions, which keyed every model relative to the project
/// (<c>bin/Debug/net10.0/model.zip</c>, one entry per configuration). SPEC §4 keys a model under <c>$(OutDir)</c> relative
/// to it (<c>model.zip</c>); a lock with older keys is read, and rewritten to the new keys when it is next written.
/// </summary>
internal static class LegacyKeys
{
    /// <summary>
    /// For each produced file (its key, and its path relative to the project), the lock keys that are its older entries:
    /// the key its own path had, first, then keys under <paramref name="legacyRoot"/> (<c>bin/</c>) that end with its key,
    /// made by the builds of other configurations. A key that is some produced file's own key is never an older one; a
    /// key that could be several files' goes to the file with the longest key it ends with.
    /// </summary>
    public static Dictionary<string, List<string>> Find(IEnumerable<string> lockKeys, IReadOnlyList<(string Key, string ProjectRelative)> files, string? legacyRoot)
    {
        var current = files.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var old in lockKeys.Where(k => !current.Contains(k)))
        {
            var owner = files.FirstOrDefault(f => string.Equals(f.ProjectRelative, old, StringComparison.Ordinal)).Key
                ?? (legacyRoot is null || !old.StartsWith(legacyRoot, StringComparison.Ordinal) ? null
                    : files.Where(f => old.EndsWith("/" + f.Key, StringComparison.Ordinal)).OrderByDescending(f => f.Key.Length).FirstOrDefault().Key);
            if (owner is null)
            {
                continue;
            }

            var keys = found.TryGetValue(owner, out var list) ? list : found[owner] = [];
            var exact = files.Any(f => f.Key == owner && string.Equals(f.ProjectRelative, old, StringComparison.Ordinal));
            keys.Insert(exact ? 0 : keys.Count, old);
        }

        return found;
    }
}
