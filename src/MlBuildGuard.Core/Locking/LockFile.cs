namespace MlBuildGuard.Core.Locking;

/// <summary>One locked file: its SHA-256 (64 lowercase hex), its size, and where it came from (training inputs only).</summary>
public sealed record LockedFile(string Sha256, long Size, string? Source = null);

/// <summary>
/// The content of <c>mlguard.lock.json</c> (SPEC §4): locked training inputs and model outputs, keyed by project-relative
/// paths with '/' separators. Keys are kept in UTF-8 byte order so writing is canonical.
/// </summary>
public sealed class LockFile
{
    public const int CurrentVersion = 1;

    public SortedDictionary<string, LockedFile> TrainingInputs { get; } = new(Utf8OrdinalComparer.Instance);

    public SortedDictionary<string, LockedFile> ModelOutputs { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>1-based line and column of each entry in the file it was read from (empty for a lock built in memory).</summary>
    internal Dictionary<(LockSection, string), (int Line, int Column)> EntryPositions { get; } = new();

    public (int Line, int Column) PositionOf(LockSection section, string path) =>
        EntryPositions.TryGetValue((section, path), out var position) ? position : (0, 0);

    public LockFile WithTrainingInputs(IEnumerable<KeyValuePair<string, LockedFile>> inputs)
    {
        var copy = new LockFile();
        foreach (var (k, v) in inputs)
        {
            copy.TrainingInputs[k] = v;
        }

        foreach (var (k, v) in ModelOutputs)
        {
            copy.ModelOutputs[k] = v;
        }

        return copy;
    }
}

public enum LockSection
{
    TrainingInputs,
    ModelOutputs,
}

/// <summary>Orders strings by their UTF-8 bytes (= Unicode code point order), which differs from UTF-16 ordinal order above U+D7FF.</summary>
public sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static Utf8OrdinalComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var ex = x.EnumerateRunes();
        var ey = y.EnumerateRunes();
        while (true)
        {
            var hx = ex.MoveNext();
            var hy = ey.MoveNext();
            if (!hx || !hy)
            {
                return hx == hy ? 0 : (hx ? 1 : -1);
            }

            var c = ex.Current.Value.CompareTo(ey.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }
}
