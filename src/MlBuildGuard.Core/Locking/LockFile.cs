namespace MlBuildGuard.Core.Locking;

/// <summary>
/// One locked file: its SHA-256 (64 lowercase hex), its size, where it came from (training inputs only), and for a
/// zip-based model output the SHA-256 of each entry's uncompressed bytes (<c>entries</c>, an addition to SPEC §4), so a
/// build that does not reproduce the model can say which entries differ even on a machine that never saw the old model.
/// </summary>
public sealed record LockedFile(string Sha256, long Size, string? Source = null, SortedDictionary<string, string>? Entries = null)
{
    /// <summary>Same bytes: digest and size (entries follow from them).</summary>
    public bool SameContent(LockedFile other) => Sha256 == other.Sha256 && Size == other.Size;
}

/// <summary>
/// The content of <c>mlguard.lock.json</c> (SPEC §4): locked training inputs and model outputs, keyed by project-relative
/// paths with '/' separators. Keys are kept in UTF-8 byte order so writing is canonical.
/// </summary>
public sealed class LockFile
{
    public const int CurrentVersion = 1;

    public SortedDictionary<string, LockedFile> TrainingInputs { get; } = new(Utf8OrdinalComparer.Instance);

    public SortedDictionary<string, LockedFile> ModelOutputs { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Per training input with a schema: its profile (<c>dataProfiles</c>), keyed like <see cref="TrainingInputs"/>.</summary>
    public SortedDictionary<string, DataValidation.DataProfile> DataProfiles { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Per <c>MlModelMetrics</c> file (project-relative): its metrics and evaluation-input digests (<c>modelMetrics</c>).</summary>
    public SortedDictionary<string, LockedMetrics> ModelMetrics { get; } = new(Utf8OrdinalComparer.Instance);

    /// <summary>Byte offset of each entry's key in the file it was read from (empty for a lock built in memory).</summary>
    internal Dictionary<(LockSection, string), long> EntryOffsets { get; } = new();

    /// <summary>Turns offsets into lines and columns; only needed when a finding points into the file.</summary>
    internal Func<long, (int Line, int Column)>? PositionResolver { get; set; }

    /// <summary>1-based line and column of an entry's key, or (0, 0) when unknown.</summary>
    public (int Line, int Column) PositionOf(LockSection section, string path) =>
        PositionResolver is not null && EntryOffsets.TryGetValue((section, path), out var offset) ? PositionResolver(offset) : (0, 0);

    /// <summary>A copy with the same training inputs and the given model outputs.</summary>
    public LockFile WithModelOutputs(IEnumerable<KeyValuePair<string, LockedFile>> outputs)
    {
        var copy = WithTrainingInputs(TrainingInputs);
        copy.ModelOutputs.Clear();
        foreach (var (k, v) in outputs)
        {
            copy.ModelOutputs[k] = v;
        }

        return copy;
    }

    /// <summary>A copy with the same digests and the given data profiles (entries for inputs no longer profiled are dropped).</summary>
    public LockFile WithDataProfiles(IEnumerable<KeyValuePair<string, DataValidation.DataProfile>> profiles)
    {
        var copy = WithTrainingInputs(TrainingInputs);
        copy.DataProfiles.Clear();
        foreach (var (k, v) in profiles)
        {
            copy.DataProfiles[k] = v;
        }

        return copy;
    }

    /// <summary>A copy with the same digests and profiles and the given model metrics.</summary>
    public LockFile WithModelMetrics(IEnumerable<KeyValuePair<string, LockedMetrics>> metrics)
    {
        var copy = WithTrainingInputs(TrainingInputs);
        copy.ModelMetrics.Clear();
        foreach (var (k, v) in metrics)
        {
            copy.ModelMetrics[k] = v;
        }

        return copy;
    }

    private void CopyQualityTo(LockFile copy)
    {
        foreach (var (k, v) in DataProfiles)
        {
            copy.DataProfiles[k] = v;
        }

        foreach (var (k, v) in ModelMetrics)
        {
            copy.ModelMetrics[k] = v;
        }
    }

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

        CopyQualityTo(copy);
        return copy;
    }
}

public enum LockSection
{
    TrainingInputs,
    ModelOutputs,
    DataProfiles,
    ModelMetrics,
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

        // UTF-16 ordinal order equals code point order except where a surrogate (U+D800–U+DFFF) meets a unit
        // in U+E000–U+FFFF, so compare ordinally and fix up only that case at the first difference.
        var common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        var a = x[common];
        var b = y[common];
        if (char.IsSurrogate(a) != char.IsSurrogate(b))
        {
            return char.IsSurrogate(a) ? (b >= '\uE000' ? 1 : a.CompareTo(b)) : (a >= '\uE000' ? -1 : a.CompareTo(b));
        }

        return a.CompareTo(b);
    }
}
