using System.Text.Json;
using System.Text.Json.Serialization;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Reporting;

/// <summary>A finding as it was finally reported (after suppressions and warning-level settings), ready to serialise.</summary>
public sealed record FindingRecord(
    string Code,
    string Level,
    string Message,
    string? File,
    int Line,
    int Column,
    string? Subject,
    string? SuppressionJustification,
    string? SuppressionSubject = null)
{
    public const string LevelError = "error";
    public const string LevelWarning = "warning";
    public const string LevelNote = "note";

    /// <summary>
    /// Builds the record for a finding. <paramref name="effectiveSeverity"/> is what the build reported after
    /// <c>WarningsAsErrors</c> and friends; <paramref name="silenced"/> says that <c>NoWarn</c> turned it into a message.
    /// </summary>
    public static FindingRecord From(Finding finding, Severity effectiveSeverity, bool silenced = false) => new(
        finding.Code,
        finding.SuppressedBy is not null || silenced ? LevelNote : effectiveSeverity switch
        {
            Severity.Error => LevelError,
            Severity.Warning => LevelWarning,
            _ => LevelNote,
        },
        finding.Message,
        finding.Location?.FilePath,
        finding.Location?.Line ?? 0,
        finding.Location?.Column ?? 0,
        finding.Subject,
        finding.SuppressedBy?.Justification ?? (silenced ? "NoWarn" : null),
        finding.SuppressedBy?.Subject);
}

/// <summary>
/// Keeps each guard's findings of the current build in its own file under <c>obj/</c>, so the SARIF log can be rebuilt
/// from all guards that ran, whichever finished last.
/// </summary>
public static class FindingStore
{
    /// <summary>Keeps a guard's findings; returns the file, and whether its bytes changed (a no-change build rewrites nothing).</summary>
    public static (string File, bool Changed) Write(string folder, string guard, IEnumerable<FindingRecord> records)
    {
        var array = records.ToArray();
        // No findings is the usual case: written without starting the serializer, so a quiet build never loads it.
        var bytes = array.Length == 0 ? "[]"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(array, FindingStoreJson.Default.FindingRecordArray);
        var file = Path.Combine(folder, guard + ".json");
        return (file, IO.AtomicFile.WriteIfChanged(file, bytes));
    }

    /// <summary>
    /// Whether the SARIF log was made from this findings file as it is: the file did not change in this write, and the log
    /// was written after it, by this MlBuildGuard version (the log's bytes depend on nothing else). Every guard whose findings
    /// change remakes the log, so a guard whose findings did not need not.
    /// </summary>
    public static bool SarifIsCurrent(string sarifPath, string findingsFile, bool findingsChanged, string toolVersion)
    {
        try
        {
            return !findingsChanged && File.Exists(sarifPath) && File.GetLastWriteTimeUtc(sarifPath) >= File.GetLastWriteTimeUtc(findingsFile)
                && SarifWriter.IsFrom(File.ReadAllBytes(sarifPath), toolVersion);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static IReadOnlyList<FindingRecord> ReadAll(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var all = new List<FindingRecord>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                var records = JsonSerializer.Deserialize(File.ReadAllBytes(file), FindingStoreJson.Default.FindingRecordArray) ?? [];
                // The file is ours, but it lies under obj/: an entry without the fields every finding has is damage, not a finding.
                if (records.Any(r => r is null || r.Code is null || r.Level is null || r.Message is null))
                {
                    throw new JsonException("an entry lacks its code, level or message");
                }

                all.AddRange(records);
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException || IO.JsonInput.IsShapeError(e))
            {
                // A damaged part cannot be trusted: say so in the log rather than drop it silently.
                all.Add(new FindingRecord(RuleCatalog.InternalFailure.Code, FindingRecord.LevelError,
                    RuleCatalog.InternalFailure.FormatMessage("reporting", $"the findings file '{file}' could not be read: {e.Message}"),
                    file, 0, 0, null, null));
            }
        }

        return all;
    }
}

/// <summary>The findings files' JSON, generated at compile time (no reflection: the command line is compiled ahead of time).</summary>
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FindingRecord[]))]
internal sealed partial class FindingStoreJson : JsonSerializerContext;
