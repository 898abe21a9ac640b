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

    public void Dispose() => _stream.Dispose();
}
