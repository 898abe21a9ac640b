using System.Text.Json;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Locking;

/// <summary>
/// One guard's share of a build's change to <c>mlguard.lock.json</c>, waiting under <c>obj/</c> until the build has
/// succeeded: the lock the guard read (its base; null when there was none), the lock it wants (its base with this guard's
/// section changed), and the lines that say what changed. Every guard that records something in the lock (training
/// inputs, the model outputs of each framework, and any later section) stages its own part; <see cref="LockCommit"/>
/// applies all parts of one build together, or none.
/// </summary>
public sealed record StagedLockPart(string Name, LockFile? Base, LockFile Proposed, string Summary, IReadOnlyList<string> Changes)
{
    private const string Format = "mlguard-lock-part-1";
    private const string Extension = ".lockpart";
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>Writes this part to a fresh file in <paramref name="directory"/> (atomically) and returns its path.</summary>
    public string Stage(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var old in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            // Left by builds that failed, were cancelled or killed: never committed, so nothing depends on them.
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(old) > StaleAfter)
            {
                Discard(old);
            }
        }

        var path = Path.Combine(directory, $"{Guid.NewGuid():N}{Extension}");
        AtomicFile.WriteAllBytes(path, CanonicalJson.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("name", Name);
            writer.WriteString("summary", Summary);
            writer.WriteStartArray("changes");
            foreach (var change in Changes)
            {
                writer.WriteStringValue(change);
            }

            writer.WriteEndArray();
            if (Base is null)
            {
                writer.WriteNull("base");
            }
            else
            {
                writer.WriteBase64String("base", LockFileWriter.ToBytes(Base));
            }

            writer.WriteBase64String("proposed", LockFileWriter.ToBytes(Proposed));
            writer.WriteEndObject();
        }));
        return path;
    }

    /// <summary>
    /// Stages <paramref name="proposed"/> as a part named <paramref name="name"/> when its bytes differ from
    /// <paramref name="baseLock"/>'s (or there is no lock yet); returns the part's path, or null when nothing changes.
    /// </summary>
    public static string? StageIfChanged(string directory, string name, LockFile? baseLock, LockFile proposed, string summary, IReadOnlyList<string> changes) =>
        baseLock is not null && LockFileWriter.ToBytes(baseLock).AsSpan().SequenceEqual(LockFileWriter.ToBytes(proposed))
            ? null
            : new StagedLockPart(name, baseLock, proposed, summary, changes).Stage(directory);

    /// <summary>Reads a part this build staged; a part that cannot be read is an <see cref="InvalidDataException"/> (never guessed at).</summary>
    public static StagedLockPart Read(string path)
    {
        try
        {
            using var document = JsonInput.Parse(File.ReadAllBytes(path), maxDepth: 4);
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format)
            {
                throw new InvalidDataException($"the staged part '{path}' has another format");
            }

            var baseElement = root.GetProperty("base");
            return new StagedLockPart(
                root.GetProperty("name").GetString()!,
                baseElement.ValueKind == JsonValueKind.Null ? null : LockFileReader.Parse(baseElement.GetBytesFromBase64()),
                LockFileReader.Parse(root.GetProperty("proposed").GetBytesFromBase64()),
                root.GetProperty("summary").GetString()!,
                [.. root.GetProperty("changes").EnumerateArray().Select(c => c.GetString()!)]);
        }
        catch (Exception e) when (e is JsonInputException or LockFileException or IOException or UnauthorizedAccessException || JsonInput.IsShapeError(e))
        {
            throw new InvalidDataException($"the staged part '{path}' cannot be read: {e.Message}");
        }
    }

    /// <summary>Removes a staged part (committed, or never to be committed).</summary>
    public static void Discard(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Removed later as stale.
        }
    }
}
