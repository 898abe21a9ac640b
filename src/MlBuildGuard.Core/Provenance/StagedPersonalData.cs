using System.Text.Json;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// The kinds of personal data the training-data check found per training input, kept under the project's <c>obj/</c> for
/// the builds of the same project that write records without running the check themselves: in a multi-targeted project
/// the check runs once, in the outer build, while each framework's build writes its provenance and ML-BOM. Every run of
/// the check rewrites the file (atomically, so parallel framework builds read the old or the new whole file), also when it
/// found nothing, so kinds from an earlier build never reach a later build's records.
/// </summary>
public static class StagedPersonalData
{
    private const string Format = "mlguard-personal-data-1";

    /// <summary>Writes <paramref name="kinds"/> (training input's lock key → kind names) to <paramref name="path"/>, when they differ from what it holds.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, IReadOnlyList<string>> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        AtomicFile.WriteIfChanged(path, CanonicalJson.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteStartObject("inputs");
            foreach (var (input, names) in kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                writer.WriteStartArray(input);
                foreach (var name in names.Order(StringComparer.Ordinal))
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }));
    }

    /// <summary>
    /// The kinds staged at <paramref name="path"/>; none when there is no file (no check has run for the project). A file
    /// that cannot be read is an <see cref="InvalidDataException"/>: the records are not written without the kinds.
    /// </summary>
    public static SortedDictionary<string, IReadOnlyList<string>> Read(string path)
    {
        var kinds = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return kinds;
        }

        try
        {
            using var document = JsonInput.Parse(File.ReadAllBytes(path), maxDepth: 4);
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format)
            {
                throw new InvalidDataException($"the staged personal-data kinds '{path}' have another format");
            }

            foreach (var input in root.GetProperty("inputs").EnumerateObject())
            {
                kinds[input.Name] = [.. input.Value.EnumerateArray().Select(k => k.GetString() ?? throw new InvalidDataException($"a kind in '{path}' is not a string"))];
            }

            return kinds;
        }
        catch (Exception e) when (e is JsonInputException or IOException or UnauthorizedAccessException || JsonInput.IsShapeError(e))
        {
            throw new InvalidDataException($"the staged personal-data kinds '{path}' cannot be read: {e.Message}");
        }
    }
}
