namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// How far a hashing run has got, for whoever shows it (a build's log, a terminal's progress line). Thread-safe: the
/// hashers add bytes from every core. <see cref="Started"/> is raised once the bytes to read are known.
/// </summary>
public sealed class HashProgress
{
    private long _total;
    private long _done;
    private int _files;

    /// <summary>Raised once per run, with the bytes and files that will be read (cache hits excluded).</summary>
    public event Action<HashProgress>? Started;

    public long TotalBytes => Interlocked.Read(ref _total);

    public long DoneBytes => Interlocked.Read(ref _done);

    public int FilesToRead => Volatile.Read(ref _files);

    /// <summary>Declares more bytes to read (a hasher that knows its files adds their sizes before it starts).</summary>
    public void Expect(long bytes, int files)
    {
        Interlocked.Add(ref _total, bytes);
        Interlocked.Add(ref _files, files);
        Started?.Invoke(this);
    }

    internal void Add(long bytes) => Interlocked.Add(ref _done, bytes);

    /// <summary>Bytes as a person reads them: 512 B, 3.4 MB, 2.1 GB (decimal units, as disks and throughput are quoted).</summary>
    public static string Bytes(double bytes) => bytes switch
    {
        < 1e3 => $"{bytes:0} B",
        < 1e6 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1e3:0.#} kB"),
        < 1e9 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1e6:0.#} MB"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1e9:0.##} GB"),
    };
}
