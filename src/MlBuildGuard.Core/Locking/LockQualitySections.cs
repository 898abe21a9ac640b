using System.Text.Json;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Locking;

/// <summary>
/// Reads the lock's optional <c>dataProfiles</c> and <c>modelMetrics</c> sections (SPEC §4) as strictly as the rest:
/// keys must be safe project-relative paths, values what the writer writes; anything else is MLG407 with its place.
/// </summary>
internal static class LockQualitySections
{
    public static void ParseDataProfiles(ref Utf8JsonReader reader, Utf8LineTable lines, LockFile result)
    {
        ForEachEntry(ref reader, lines, "dataProfiles", (ref Utf8JsonReader r, string path, long offset) =>
        {
            result.DataProfiles[path] = ProfileJson.Read(ref r, (reason, at) => LockFileReader.At(lines, at, $"data profile '{path}': {reason}"));
            result.EntryOffsets[(LockSection.DataProfiles, path)] = offset;
        }, result.DataProfiles.ContainsKey);
    }

    public static void ParseModelMetrics(ref Utf8JsonReader reader, Utf8LineTable lines, LockFile result)
    {
        ForEachEntry(ref reader, lines, "modelMetrics", (ref Utf8JsonReader r, string path, long offset) =>
        {
            result.ModelMetrics[path] = ParseMetrics(ref r, lines, path);
            result.EntryOffsets[(LockSection.ModelMetrics, path)] = offset;
        }, result.ModelMetrics.ContainsKey);
    }

    private delegate void EntryParser(ref Utf8JsonReader reader, string path, long offset);

    private static void ForEachEntry(ref Utf8JsonReader reader, Utf8LineTable lines, string section, EntryParser parse, Func<string, bool> seen)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw LockFileReader.At(lines, ref reader, $"'{section}' must be an object");
        }

        while (LockFileReader.Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var path = reader.GetString()!;
            if (seen(path))
            {
                throw LockFileReader.At(lines, offset, $"duplicate property '{path}'");
            }

            if (LockFileReader.PathProblem(path) is { } problem)
            {
                throw LockFileReader.At(lines, offset, $"{section} entry '{path}' {problem}");
            }

            reader.Read();
            parse(ref reader, path, offset);
        }
    }

    private static LockedMetrics ParseMetrics(ref Utf8JsonReader reader, Utf8LineTable lines, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw LockFileReader.At(lines, ref reader, $"model metrics '{path}' must be an object");
        }

        var start = reader.TokenStartIndex;
        SortedDictionary<string, double>? metrics = null;
        SortedDictionary<string, string>? inputs = null;
        while (LockFileReader.Next(ref reader) != JsonTokenType.EndObject)
        {
            var offset = reader.TokenStartIndex;
            var name = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw LockFileReader.At(lines, ref reader, $"model metrics '{path}': '{name}' must be an object");
            }

            switch (name)
            {
                case "metrics" when metrics is null:
                    metrics = new SortedDictionary<string, double>(Utf8OrdinalComparer.Instance);
                    while (LockFileReader.Next(ref reader) != JsonTokenType.EndObject)
                    {
                        var metric = reader.GetString()!;
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value) || !double.IsFinite(value) || !metrics.TryAdd(metric, value))
                        {
                            throw LockFileReader.At(lines, ref reader, $"model metrics '{path}': metric '{metric}' must be a finite number, once");
                        }
                    }

                    break;
                case "evaluationInputs" when inputs is null:
                    inputs = new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance);
                    while (LockFileReader.Next(ref reader) != JsonTokenType.EndObject)
                    {
                        var input = reader.GetString()!;
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.String || !LockFileReader.IsLowerHex64(reader.GetString()!) || !inputs.TryAdd(input, reader.GetString()!))
                        {
                            throw LockFileReader.At(lines, ref reader, $"model metrics '{path}': the digest of evaluation input '{input}' must be 64 lowercase hexadecimal digits, once");
                        }
                    }

                    break;
                default:
                    throw LockFileReader.At(lines, offset, $"model metrics '{path}' has an unknown or repeated property '{name}'");
            }
        }

        return new LockedMetrics(
            metrics ?? throw LockFileReader.At(lines, start, $"model metrics '{path}' needs 'metrics'"),
            inputs ?? new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance));
    }
}
