using System.Globalization;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// Remembers which model outputs were already normalized, by the stamps of the file (<see cref="StampFingerprint"/>) and
/// the timestamp it was normalized to, so a build in which the model did not change does not read it again. A text file
/// under <c>obj/</c>, one fingerprint per line; a missing or damaged cache is simply empty (it only saves work).
/// </summary>
public sealed class ZipNormalizationCache
{
    private const string Header = "mlguard-normalized-v1";
    private const int MaxLines = 100_000;

    private readonly HashSet<string> _known;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    private ZipNormalizationCache(HashSet<string> known) => _known = known;

    public static ZipNormalizationCache Load(string? path)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (path is not null && File.Exists(path) && new FileInfo(path).Length < MaxLines * 80L)
            {
                var lines = File.ReadAllLines(path);
                if (lines.Length > 0 && lines[0] == Header)
                {
                    known.UnionWith(lines.Skip(1).Where(l => l.Length == 64));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // an unreadable cache is an empty one
        }

        return new ZipNormalizationCache(known);
    }

    /// <summary>Whether the file is, untouched, the one this cache saw normalized to <paramref name="timestamp"/>.</summary>
    public bool IsKnownNormal(string path, DateTimeOffset timestamp)
    {
        var fingerprint = Fingerprint(path, timestamp);
        if (fingerprint is null || !_known.Contains(fingerprint))
        {
            return false;
        }

        _seen.Add(fingerprint);
        return true;
    }

    /// <summary>Records the file as it is now (normalized, or left as written because it cannot be) for the next build.</summary>
    public void Remember(string path, DateTimeOffset timestamp)
    {
        if (Fingerprint(path, timestamp) is { } fingerprint)
        {
            _seen.Add(fingerprint);
        }
    }

    /// <summary>Writes the fingerprints seen in this build (older ones are dropped); failures are ignored.</summary>
    public void Save(string? path)
    {
        if (path is null || _seen.SetEquals(_known))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(string.Join('\n', [Header, .. _seen.Order(StringComparer.Ordinal)]) + "\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the cache only saves time
        }
    }

    private static string? Fingerprint(string path, DateTimeOffset timestamp) =>
        StampFingerprint.Of(path, ["normalized", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)]);
}
