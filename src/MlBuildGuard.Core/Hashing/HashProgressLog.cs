using System.Globalization;

namespace MlBuildGuard.Core.Hashing;

/// <summary>
/// Says what a long hashing run is doing: a line when it starts (files, bytes), one every <see cref="Interval"/> while it
/// runs (share done, throughput) and one when it ends (bytes, time, throughput). Runs that read less than
/// <see cref="Threshold"/> stay silent, so an ordinary build's log does not grow. The build logs each line as a message;
/// the CLI rewrites one terminal line.
/// </summary>
public sealed class HashProgressLog : IDisposable
{
    /// <summary>Below this many bytes to read, hashing is quick enough to say nothing.</summary>
    public const long DefaultThreshold = 256L * 1000 * 1000;

    private readonly HashProgress _progress;
    private readonly Action<string> _write;
    private readonly string _what;
    private readonly TimeProvider _clock;
    private readonly long _threshold;
    private readonly object _gate = new();
    private long _startedAt;
    private ITimer? _timer;
    private bool _announced;

    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(5);

    /// <param name="what">Who hashes, e.g. <c>MlBuildGuard training-inputs</c>.</param>
    public HashProgressLog(string what, Action<string> write, long threshold = DefaultThreshold, TimeProvider? clock = null)
    {
        _what = what;
        _write = write;
        _threshold = threshold;
        _clock = clock ?? TimeProvider.System;
        _progress = new HashProgress();
        _progress.Started += OnStarted;
    }

    /// <summary>The counter to give the hasher.</summary>
    public HashProgress Progress => _progress;

    private void OnStarted(HashProgress progress)
    {
        lock (_gate)
        {
            if (_announced || progress.TotalBytes < _threshold)
            {
                return;
            }

            _announced = true;
            _startedAt = _clock.GetTimestamp();
            _write(string.Create(CultureInfo.InvariantCulture,
                $"{_what}: hashing {progress.FilesToRead} file{(progress.FilesToRead == 1 ? "" : "s")}, {HashProgress.Bytes(progress.TotalBytes)}…"));
            _timer = _clock.CreateTimer(_ => Tick(), null, Interval, Interval);
        }
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_timer is null)
            {
                return;
            }

            var done = _progress.DoneBytes;
            var total = Math.Max(1, _progress.TotalBytes);
            _write(string.Create(CultureInfo.InvariantCulture,
                $"{_what}: hashed {HashProgress.Bytes(done)} of {HashProgress.Bytes(total)} ({100.0 * done / total:0}%), {Rate(done)}"));
        }
    }

    private string Rate(long bytes)
    {
        var seconds = _clock.GetElapsedTime(_startedAt).TotalSeconds;
        return seconds <= 0 ? "" : HashProgress.Bytes(bytes / seconds) + "/s";
    }

    /// <summary>Ends the run: stops the periodic line and, when the start was announced, says how it went.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            if (_announced)
            {
                _announced = false;
                var done = _progress.DoneBytes;
                _write(string.Create(CultureInfo.InvariantCulture,
                    $"{_what}: hashed {HashProgress.Bytes(done)} in {_clock.GetElapsedTime(_startedAt).TotalSeconds:0.0} s ({Rate(done)})"));
            }
        }
    }
}
