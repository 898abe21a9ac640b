using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Locking;

/// <summary>
/// Tells the framework builds of a multi-targeted project whether the project's outer build is running, and so will
/// commit their staged lock parts together with its own once every framework has built (one lock, written once). The
/// outer build holds a shared OS lock on a file under <c>obj/mlguard/</c> from before it dispatches the framework builds
/// until it has committed; the OS drops it if the process dies. A framework build that finds no holder was started on
/// its own (<c>dotnet build -f</c>, a project reference) and commits its parts itself.
/// </summary>
public sealed class OuterBuildClaim : IDisposable
{
    private const string FileName = "outer-build.claim";
    private const string PartsFileName = "outer-build.parts";
    private readonly FileStream _stream;

    private OuterBuildClaim(FileStream stream) => _stream = stream;

    /// <summary>Takes the claim (several outer builds of one project at once may each hold it).</summary>
    public static OuterBuildClaim Take(string stateDirectory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, FileName);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // A shared lock: it conflicts only with IsHeld's exclusive probe, which lasts an instant.
                return new OuterBuildClaim(new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        }
    }

    /// <summary>Whether an outer build of the project holds the claim now.</summary>
    public static bool IsHeld(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, FileName);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None))
            {
                return false;
            }
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>
    /// Records the lock parts the outer build staged before it builds the frameworks (its training inputs), so that each
    /// framework build's provenance can name the training inputs of the lock this build commits, not those of the lock
    /// as it stood before. Every outer build rewrites the list, empty when it staged nothing. Returns false when the list
    /// cannot be written; then an older list is removed if it can be, so that the parts of an earlier build are not used.
    /// </summary>
    public static bool RecordParts(string stateDirectory, IEnumerable<string> partPaths)
    {
        var path = Path.Combine(stateDirectory, PartsFileName);
        try
        {
            Directory.CreateDirectory(stateDirectory);
            var text = string.Concat(partPaths.Select(p => Path.GetFullPath(p) + "\n"));
            AtomicFile.WriteIfChanged(path, System.Text.Encoding.UTF8.GetBytes(text));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the records then may name an earlier build's staged training inputs.
            }

            return false;
        }
    }

    /// <summary>
    /// The parts the running outer build recorded (<see cref="RecordParts"/>); none when no outer build holds the claim,
    /// so a list an earlier outer build left is never used by a framework build started on its own. Parts that no longer
    /// exist are dropped by the reader of the lock parts.
    /// </summary>
    public static IReadOnlyList<string> PartsOfRunningOuterBuild(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, PartsFileName);
        if (!IsHeld(stateDirectory) || !File.Exists(path))
        {
            return [];
        }

        try
        {
            return File.ReadAllLines(path).Where(line => line.Length > 0 && Path.IsPathFullyQualified(line)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public void Dispose() => _stream.Dispose();
}
