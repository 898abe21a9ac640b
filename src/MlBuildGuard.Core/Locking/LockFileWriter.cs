using System.Text.Json;

namespace MlBuildGuard.Core.Locking;

/// <summary>
/// Writes the canonical bytes of a lock (SPEC §4): UTF-8 without BOM, 2-space indentation, LF line endings, a final
/// newline, entries and their keys in UTF-8 byte order. The same lock always gives the same bytes.
/// </summary>
public static class LockFileWriter
{
    public static byte[] ToBytes(LockFile lockFile) => IO.CanonicalJson.Write(writer =>
    {
        writer.WriteStartObject();
        // The version leads so a reader can tell the format before anything else, as in the SPEC's example.
        writer.WriteNumber("version", LockFile.CurrentVersion);
        WriteSection(writer, "trainingInputs", lockFile.TrainingInputs);
        WriteSection(writer, "modelOutputs", lockFile.ModelOutputs);
        // Optional sections, written only when they hold something, so locks without data checks stay as they were.
        if (lockFile.DataProfiles.Count > 0)
        {
            writer.WriteStartObject("dataProfiles");
            foreach (var (path, profile) in lockFile.DataProfiles)
            {
                writer.WritePropertyName(path);
                DataValidation.ProfileJson.Write(writer, profile);
            }

            writer.WriteEndObject();
        }

        if (lockFile.ModelMetrics.Count > 0)
        {
            writer.WriteStartObject("modelMetrics");
            foreach (var (path, metrics) in lockFile.ModelMetrics)
            {
                writer.WriteStartObject(path);
                writer.WriteStartObject("evaluationInputs");
                foreach (var (input, digest) in metrics.EvaluationInputs)
                {
                    writer.WriteString(input, digest);
                }

                writer.WriteEndObject();
                writer.WriteStartObject("metrics");
                foreach (var (name, value) in metrics.Metrics)
                {
                    writer.WriteNumber(name, value);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    });

    private static void WriteSection(Utf8JsonWriter writer, string name, SortedDictionary<string, LockedFile> entries)
    {
        writer.WriteStartObject(name);
        foreach (var (path, entry) in entries)
        {
            writer.WriteStartObject(path);
            if (entry.Entries is { Count: > 0 } zipEntries)
            {
                // "entries" sorts before "sha256": keys stay in UTF-8 byte order.
                writer.WriteStartObject("entries");
                foreach (var (entryName, digest) in zipEntries)
                {
                    writer.WriteString(entryName, digest);
                }

                writer.WriteEndObject();
            }

            writer.WriteString("sha256", entry.Sha256);
            writer.WriteNumber("size", entry.Size);
            if (!string.IsNullOrEmpty(entry.Source))
            {
                writer.WriteString("source", entry.Source);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
