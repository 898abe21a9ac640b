using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Configuration;

/// <summary>One <c>Include</c> pattern of an item element in an MSBuild file, with where it was written.</summary>
public sealed class ItemDeclaration
{
    private Regex? _regex;

    public ItemDeclaration(string pattern, SourceLocation location)
    {
        Pattern = pattern;
        Location = location;
    }

    /// <summary>One entry of the Include attribute (split at ';').</summary>
    public string Pattern { get; }

    public SourceLocation Location { get; }

    public bool HasWildcard => Pattern.IndexOfAny(['*', '?']) >= 0;

    /// <summary>Whether the pattern uses MSBuild properties or item transforms that only an evaluation can expand.</summary>
    public bool NeedsEvaluation(string expanded) => expanded.Contains("$(", StringComparison.Ordinal)
        || expanded.Contains("@(", StringComparison.Ordinal) || expanded.Contains("%(", StringComparison.Ordinal);

    /// <summary>Does the pattern, taken relative to <paramref name="projectDirectory"/>, match this full path?</summary>
    public bool Matches(string fullPath, string projectDirectory)
    {
        _regex ??= ToRegex(Expand(projectDirectory), projectDirectory);
        return _regex is not null && _regex.IsMatch(fullPath.Replace('\\', '/'));
    }

    /// <summary>Replaces the two properties whose value is known without an evaluation.</summary>
    public string Expand(string projectDirectory)
    {
        var dir = Path.TrimEndingDirectorySeparator(projectDirectory) + Path.DirectorySeparatorChar;
        var thisDir = Path.TrimEndingDirectorySeparator(Path.GetDirectoryName(Location.FilePath) ?? projectDirectory) + Path.DirectorySeparatorChar;
        return Pattern
            .Replace("$(MSBuildProjectDirectory)", Path.TrimEndingDirectorySeparator(projectDirectory), StringComparison.OrdinalIgnoreCase)
            .Replace("$(MSBuildThisFileDirectory)", thisDir, StringComparison.OrdinalIgnoreCase)
            .Replace("$(ProjectDir)", dir, StringComparison.OrdinalIgnoreCase);
    }

    private Regex? ToRegex(string expanded, string projectDirectory)
    {
        if (NeedsEvaluation(expanded))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(projectDirectory, expanded.Replace('\\', '/'))).Replace('\\', '/');
        var sb = new StringBuilder("^");
        var segments = full.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            if (segments[i] == "**")
            {
                sb.Append(last ? ".*" : "(?:[^/]*/)*");
                continue;
            }

            foreach (var ch in segments[i])
            {
                sb.Append(ch switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(ch.ToString()),
                });
            }

            if (!last)
            {
                sb.Append('/');
            }
        }

        sb.Append('$');
        var options = RegexOptions.CultureInvariant | (OperatingSystem.IsLinux() ? RegexOptions.None : RegexOptions.IgnoreCase);
        return new Regex(sb.ToString(), options);
    }
}

/// <summary>
/// Finds where items of a type are declared in MSBuild files, with line and column. An evaluated build only hands a task
/// the files a pattern matched; this is how a guard learns the patterns themselves (to report one that matched nothing) and
/// the line to point at.
/// </summary>
public static class ItemDeclarations
{
    public static IReadOnlyList<ItemDeclaration> Find(IEnumerable<string> msbuildFiles, string itemType)
    {
        var result = new List<ItemDeclaration>();
        foreach (var file in msbuildFiles.Where(f => !string.IsNullOrWhiteSpace(f)).Distinct(StringComparer.Ordinal))
        {
            if (!File.Exists(file))
            {
                continue;
            }

            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };
                using var reader = XmlReader.Create(file, settings);
                var info = (IXmlLineInfo)reader;
                while (reader.Read())
                {
                    if (reader.NodeType != XmlNodeType.Element || reader.LocalName != itemType)
                    {
                        continue;
                    }

                    var line = info.LineNumber;
                    var column = info.LinePosition;
                    var include = reader.GetAttribute("Include");
                    if (string.IsNullOrWhiteSpace(include))
                    {
                        continue;
                    }

                    foreach (var part in include.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        result.Add(new ItemDeclaration(part, new SourceLocation(file, line, column)));
                    }
                }
            }
            catch (XmlException)
            {
                // MSBuild already parsed this file to get here; a file it cannot give us simply yields no locations.
            }
        }

        return result;
    }
}
