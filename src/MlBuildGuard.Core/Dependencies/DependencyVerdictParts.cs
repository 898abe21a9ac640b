using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>How a path is watched: a file (or its absence), a folder's files, a whole tree, or only whether a folder exists.</summary>
internal enum WatchKind
{
    File,
    Folder,
    Tree,
    Presence,
}

internal sealed record Watch(WatchKind Kind, string Path)
{
    private static readonly string[] Tags = ["file", "folder", "tree", "presence"];

    public override string ToString() => $"{Tags[(int)Kind]} {Path}";

    public static Watch? Parse(string text)
    {
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var kind = space > 0 ? Array.IndexOf(Tags, text[..space]) : -1;
        return kind < 0 ? null : new Watch((WatchKind)kind, text[(space + 1)..]);
    }
}

/// <summary>One digest over the stamps of every watched path and the values of the watched environment variables.</summary>
internal sealed class WatchedStamps
{
    private WatchedStamps(string digest, long newestTicks)
    {
        Digest = digest;
        NewestTicks = newestTicks;
    }

    public string Digest { get; }

    /// <summary>The latest modification or change time of any watched file.</summary>
    public long NewestTicks { get; }

    /// <returns>Null when a path cannot be stamped (a FIFO or device, a folder that cannot be listed).</returns>
    public static WatchedStamps? Of(IReadOnlyList<Watch> watches, IReadOnlyList<string> environment)
    {
        var lines = new StringBuilder();
        long newest = 0;
        foreach (var watch in watches)
        {
            lines.Append(watch.ToString()).Append('\n');
            if (watch.Kind == WatchKind.Presence)
            {
                lines.Append(Directory.Exists(watch.Path) ? "present\n" : "absent\n");
                continue;
            }

            if (watch.Kind == WatchKind.File || !Directory.Exists(watch.Path))
            {
                // A folder that is missing, or is a file now, is stamped as the file it names.
                if (!Stamp(watch.Path, "", lines, ref newest))
                {
                    return null;
                }

                continue;
            }

            try
            {
                var option = watch.Kind == WatchKind.Tree ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
                foreach (var entry in Directory.EnumerateFileSystemEntries(watch.Path, "*", option).Order(StringComparer.Ordinal))
                {
                    if (!Stamp(entry, Path.GetRelativePath(watch.Path, entry), lines, ref newest))
                    {
                        return null;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        foreach (var name in environment.Distinct(StringComparer.Ordinal))
        {
            lines.Append("env ").Append(name).Append('=').Append(Environment.GetEnvironmentVariable(name) ?? "\0unset").Append('\n');
        }

        // Every NUGET_* variable, set or not when the verdict was written: NuGet reads many (NUGET_PACKAGES, NUGET_HTTP_CACHE_PATH…).
        var nuget = new List<string>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("NUGET_", StringComparison.OrdinalIgnoreCase))
            {
                nuget.Add($"nuget-env {name}={variable.Value}\n");
            }
        }

        nuget.Sort(StringComparer.Ordinal);
        nuget.ForEach(line => lines.Append(line));

        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())));
        return new WatchedStamps(digest, newest);
    }

    private static bool Stamp(string path, string name, StringBuilder lines, ref long newest)
    {
        switch (FileStamp.Probe(path, out var s))
        {
            case FileKind.Missing:
                lines.Append(name).Append("|absent\n");
                return true;
            case FileKind.Directory:
                lines.Append(name).Append("|folder\n");
                return true;
            case FileKind.Regular:
                newest = Math.Max(newest, s.LatestTicks);
                lines.Append(CultureInfo.InvariantCulture, $"{name}|{s.Size}|{s.ModifiedTicks}|{s.ChangedTicks}|{s.Device}|{s.FileId}\n");
                return true;
            default:
                return false;
        }
    }
}

/// <summary>The verdict file: a line per field, then the findings as one line of JSON.</summary>
internal sealed record VerdictText(string Key, long ExpiresTicks, int Packages, IReadOnlyList<Watch> Watches, IReadOnlyList<string> EnvironmentNames,
    string StampDigest, string FindingsJson)
{
    private const string Header = "mlguard-dependency-verdict-1";

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(Header).Append('\n');
        text.Append("key ").Append(Key).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"expires {ExpiresTicks}\n");
        text.Append(CultureInfo.InvariantCulture, $"packages {Packages}\n");
        foreach (var watch in Watches)
        {
            text.Append("watch ").Append(watch.ToString()).Append('\n');
        }

        foreach (var name in EnvironmentNames)
        {
            text.Append("env ").Append(name).Append('\n');
        }

        text.Append("stamps ").Append(StampDigest).Append('\n');
        text.Append("findings ").Append(FindingsJson).Append('\n');
        return text.ToString();
    }

    /// <returns>Null when the text is not a whole verdict of this version.</returns>
    public static VerdictText? Parse(string[] lines)
    {
        if (lines.Length < 6 || lines[0] != Header)
        {
            return null;
        }

        string? key = null, stamps = null, findings = null;
        long expires = -1;
        var packages = -1;
        var watches = new List<Watch>();
        var environment = new List<string>();
        foreach (var line in lines.Skip(1))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var (field, value) = space > 0 ? (line[..space], line[(space + 1)..]) : (line, "");
            switch (field)
            {
                case "key":
                    key = value;
                    break;
                case "expires" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks):
                    expires = ticks;
                    break;
                case "packages" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count):
                    packages = count;
                    break;
                case "watch" when Watch.Parse(value) is { } watch:
                    watches.Add(watch);
                    break;
                case "env":
                    environment.Add(value);
                    break;
                case "stamps":
                    stamps = value;
                    break;
                case "findings":
                    findings = value;
                    break;
                default:
                    return null;
            }
        }

        return key is null || stamps is null || findings is null || expires < 0 || packages < 0
            ? null
            : new VerdictText(key, expires, packages, watches, environment, stamps, findings);
    }
}

/// <summary>Findings as a verdict keeps them: everything the build reports about one, so a replay reports the same.</summary>
internal static class RecordedFindings
{
    private const string NoFindings = "[]";

    /// <returns>Null when a finding cannot be replayed exactly (already suppressed, or its rule is not the one its code names).</returns>
    public static string? ToJson(IReadOnlyList<Finding> findings)
    {
        if (findings.Count == 0)
        {
            return NoFindings;
        }

        var records = new RecordedFinding[findings.Count];
        for (var i = 0; i < findings.Count; i++)
        {
            var f = findings[i];
            if (f.SuppressedBy is not null || !ReferenceEquals(RuleCatalog.Find(f.Code), f.Rule))
            {
                return null;
            }

            records[i] = new RecordedFinding(f.Code, f.Severity, f.Message, f.Location?.FilePath, f.Location?.Line ?? 0, f.Location?.Column ?? 0, f.Subject, f.SubjectKind);
        }

        return JsonSerializer.Serialize(records, RecordedFindingJson.Default.RecordedFindingArray);
    }

    /// <returns>Null when the text is damaged.</returns>
    public static List<Finding>? FromJson(string json)
    {
        if (json == NoFindings)
        {
            return []; // the usual case: the JSON reader need not even start
        }

        try
        {
            var records = JsonSerializer.Deserialize(json, RecordedFindingJson.Default.RecordedFindingArray);
            if (records is null)
            {
                return null;
            }

            var findings = new List<Finding>(records.Length);
            foreach (var r in records)
            {
                if (r?.Code is null || r.Message is null || RuleCatalog.Find(r.Code) is not { } rule
                    || !Enum.IsDefined(r.Severity) || !Enum.IsDefined(r.SubjectKind))
                {
                    return null;
                }

                var location = r.File is null ? null : new SourceLocation(r.File, r.Line, r.Column);
                findings.Add(new Finding(rule, r.Severity, r.Message, location, r.Subject, r.SubjectKind));
            }

            return findings;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal sealed record RecordedFinding(string Code, Severity Severity, string Message, string? File, int Line, int Column, string? Subject, SubjectKind SubjectKind);

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(RecordedFinding[]))]
internal sealed partial class RecordedFindingJson : JsonSerializerContext;
