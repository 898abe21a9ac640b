using System.Security.Cryptography;
using System.Text;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// An exclusive lock shared by every process on the machine for one protected file, so the read-compare-write of a lock
/// file by parallel builds of the same project (multi-targeting, <c>-m</c>) is serialised. Held through an OS file lock on
/// a marker file in the temp folder; the OS releases it if the process dies.
/// </summary>
public sealed class CrossProcessLock : IDisposable
{
    private readonly FileStream _stream;

    private CrossProcessLock(FileStream stream) => _stream = stream;

    public static CrossProcessLock Acquire(string protectedPath, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(protectedPath))))[..24];
        var markerDir = Path.Combine(Path.GetTempPath(), "mlguard-locks");
        Directory.CreateDirectory(markerDir);
        var marker = Path.Combine(markerDir, key + ".lock");
        var deadline = DateTime.UtcNow + timeout;
        var delay = 10;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new CrossProcessLock(new FileStream(marker, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 250);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
