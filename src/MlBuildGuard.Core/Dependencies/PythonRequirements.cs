using System.Text.RegularExpressions;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Dependencies;

/// <summary>
/// MLG109: every requirement of a Python training step's <c>requirements*.txt</c> is pinned with <c>==</c> (or <c>===</c>)
/// and carries at least one <c>--hash</c>, the way pip's hash-checking mode needs it. Follows <c>-r</c> includes.
/// </summary>
public static partial class PythonRequirements
{
    private static readonly string[] IgnoredOptions =
    [
        "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host", "--pre",
        "--prefer-binary", "--only-binary", "--no-binary", "--require-hashes", "--use-feature", "-c", "--constraint",
        "--config-settings", "--global-option",
    ];

    /// <summary>Far above any real requirements file; a larger one (or a device that never ends) is not read.</summary>
    private const long MaxFileSize = 16L << 20;

    /// <param name="filesRead">Receives every requirements file looked at, includes too (for <see cref="DependencyVerdict"/>).</param>
    public static void Check(string file, List<Finding> findings, List<string>? filesRead = null) =>
        Check(Path.GetFullPath(file), findings, new HashSet<string>(StringComparer.Ordinal), filesRead);

    private static void Check(string file, List<Finding> findings, HashSet<string> visited, List<string>? filesRead)
    {
        filesRead?.Add(file);
        // A file is visited once however it is reached (a folder link can give it endless names).
        var kind = IO.FileStamp.Probe(file, out var stamp);
        var identity = kind == IO.FileKind.Regular && stamp.FileId != 0 ? $"{stamp.Device}:{stamp.FileId}" : file;
        if (!visited.Add(identity))
        {
            return;
        }

        var problem = kind switch
        {
            IO.FileKind.Missing => "names a requirements file that does not exist, so what it installs cannot be shown pinned",
            IO.FileKind.Regular when stamp.Size > MaxFileSize => $"is larger than {MaxFileSize >> 20} MiB and was not read, so what it installs cannot be shown pinned",
            IO.FileKind.Regular or IO.FileKind.Unknown => null,
            _ => "is not a regular file (a folder, FIFO or device is never read), so what it installs cannot be shown pinned",
        };
        string[] lines;
        try
        {
            lines = problem is null ? File.ReadAllLines(file) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot be read ({e.Message.TrimEnd('.')}), so what it installs cannot be shown pinned";
            lines = [];
        }

        if (problem is not null)
        {
            findings.Add(Finding.Create(RuleCatalog.UnpinnedPythonRequirement, new SourceLocation(file), Path.GetFileName(file), Path.GetFileName(file), problem));
            return;
        }

        foreach (var (line, text) in LogicalLines(lines))
        {
            var at = new SourceLocation(file, line, 1);
            var tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens[0].StartsWith('-'))
            {
                var (option, value) = SplitOption(tokens);
                if (option is "-r" or "--requirement")
                {
                    if (IncludedPath(value, file) is { } included)
                    {
                        Check(included, findings, visited, filesRead);
                    }
                    else
                    {
                        findings.Add(Finding.Create(RuleCatalog.UnpinnedPythonRequirement, at, value, text, "names a requirements file by a path that cannot be resolved"));
                    }
                }
                else if (option is "-e" or "--editable")
                {
                    findings.Add(Finding.Create(RuleCatalog.UnpinnedPythonRequirement, at, value, text, "is an editable install, which pip cannot pin or hash-check"));
                }
                else if (!IgnoredOptions.Contains(option))
                {
                    findings.Add(Finding.Create(RuleCatalog.UnpinnedPythonRequirement, at, option, text, $"uses the option '{option}', which MlBuildGuard cannot show to be safe"));
                }

                continue;
            }

            CheckRequirement(text, at, findings);
        }
    }

    /// <summary>An included file's full path (relative to the including file), or null when the text is no usable path.</summary>
    private static string? IncludedPath(string? value, string includingFile)
    {
        try
        {
            return string.IsNullOrWhiteSpace(value) ? null : Path.GetFullPath(value, Path.GetDirectoryName(includingFile)!);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    private static void CheckRequirement(string text, SourceLocation at, List<Finding> findings)
    {
        var hashes = HashOption().Matches(text).Select(m => m.Groups["value"].Value).ToList();
        var requirement = HashOption().Replace(text, " ").Trim();
        var marker = requirement.IndexOf(';', StringComparison.Ordinal);
        var spec = (marker >= 0 ? requirement[..marker] : requirement).Trim();
        var match = Requirement().Match(spec);
        var name = match.Success ? match.Groups["name"].Value : spec;
        string? problem = null;
        if (!match.Success)
        {
            problem = spec.Contains("://", StringComparison.Ordinal) || spec.Contains('/') || spec.EndsWith(".whl", StringComparison.OrdinalIgnoreCase)
                ? (hashes.Count == 0 ? "is a URL or path requirement without a --hash" : null)
                : "cannot be parsed as a requirement";
        }
        else if (match.Groups["url"].Success)
        {
            problem = hashes.Count == 0 ? "is a direct URL requirement without a --hash" : null;
        }
        else
        {
            var specifiers = match.Groups["specs"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var exact = specifiers.Any(s => (s.StartsWith("===", StringComparison.Ordinal) || (s.StartsWith("==", StringComparison.Ordinal) && !s.Contains('*'))) && s.TrimStart('=').Trim().Length > 0);
            if (!exact)
            {
                problem = specifiers.Length == 0 ? "has no version" : $"is not pinned to one version ('{string.Join(",", specifiers)}')";
            }
            else if (hashes.Count == 0)
            {
                problem = "has no --hash";
            }
        }

        if (problem is null && hashes.FirstOrDefault(h => !ValidHash().IsMatch(h)) is { } bad)
        {
            problem = $"has the hash '{bad}', which is not sha256/sha384/sha512 with the right number of hex digits";
        }

        if (problem is not null)
        {
            findings.Add(Finding.Create(RuleCatalog.UnpinnedPythonRequirement, at, name, spec, problem) with { SubjectKind = SubjectKind.Package });
        }
    }

    /// <summary>Joins backslash continuations and drops comments and blank lines; yields (first line number, text).</summary>
    private static IEnumerable<(int Line, string Text)> LogicalLines(string[] lines)
    {
        var start = 0;
        var buffer = "";
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (buffer.Length == 0)
            {
                start = i + 1;
            }

            var comment = CommentStart().Match(line);
            if (comment.Success)
            {
                line = line[..comment.Index];
            }

            if (line.TrimEnd().EndsWith('\\'))
            {
                buffer += line.TrimEnd()[..^1] + " ";
                continue;
            }

            var text = (buffer + line).Trim();
            buffer = "";
            if (text.Length > 0)
            {
                yield return (start, text);
            }
        }

        if (buffer.Trim().Length > 0)
        {
            yield return (start, buffer.Trim());
        }
    }

    private static (string Option, string? Value) SplitOption(string[] tokens)
    {
        var first = tokens[0];
        var eq = first.IndexOf('=', StringComparison.Ordinal);
        if (first.StartsWith("--", StringComparison.Ordinal) && eq > 0)
        {
            return (first[..eq], first[(eq + 1)..]);
        }

        return (first, tokens.Length > 1 ? tokens[1] : null);
    }

    [GeneratedRegex(@"(^|\s)#")]
    private static partial Regex CommentStart();

    [GeneratedRegex(@"--hash[=\s]+(?<value>\S+)")]
    private static partial Regex HashOption();

    [GeneratedRegex(@"^(sha256:[0-9a-fA-F]{64}|sha384:[0-9a-fA-F]{96}|sha512:[0-9a-fA-F]{128})$")]
    private static partial Regex ValidHash();

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*((?<url>@\s*\S+)|(?<specs>(\s*(===|==|!=|~=|<=|>=|<|>)\s*[^,;\s]+\s*,?)*))\s*$")]
    private static partial Regex Requirement();
}
