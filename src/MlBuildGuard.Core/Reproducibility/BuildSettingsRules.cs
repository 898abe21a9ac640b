using System.Text.Json;
using MlBuildGuard.Core.IO;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>The build settings that decide whether two builds of the same sources can give the same bytes.</summary>
public sealed record BuildSettings
{
    public required string ProjectDirectory { get; init; }

    public required string ProjectFile { get; init; }

    /// <summary><c>$(Deterministic)</c> as evaluated (the .NET SDK defaults it to true).</summary>
    public string? Deterministic { get; init; }

    /// <summary><c>$(ContinuousIntegrationBuild)</c> as evaluated.</summary>
    public string? ContinuousIntegrationBuild { get; init; }

    /// <summary>
    /// The name of the well-known CI variable the build sees as a property (<c>CI</c>, <c>TF_BUILD</c>,
    /// <c>GITHUB_ACTIONS</c>, …), or null when none is set. The targets decide this from MSBuild properties, so the task
    /// reads no environment itself (SPEC §5).
    /// </summary>
    public string? CiIndicator { get; init; }

    /// <summary>The SDK running the build (<c>$(NETCoreSdkVersion)</c>), suggested as the version to pin.</summary>
    public string? SdkVersion { get; init; }

    /// <summary>Project, Directory.Build.props/targets: where a <c>&lt;Deterministic&gt;</c> line is looked for.</summary>
    public IReadOnlyList<string> DeclaringFiles { get; init; } = [];
}

/// <summary>
/// MLG501 (<c>Deterministic</c> not true), MLG502 (<c>ContinuousIntegrationBuild</c> not true on CI) and MLG504 (no SDK pin
/// in <c>global.json</c>): the settings outside the model that a reproducible model build depends on.
/// </summary>
public static class BuildSettingsRules
{
    /// <summary><c>rollForward</c> values that let a different feature band, minor or major SDK build the project.</summary>
    private static readonly HashSet<string> Unpinned = new(StringComparer.OrdinalIgnoreCase)
    {
        "feature", "latestFeature", "minor", "latestMinor", "major", "latestMajor",
    };

    public static List<Finding> Check(BuildSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var findings = new List<Finding>();
        if (!string.Equals(settings.Deterministic?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            var value = string.IsNullOrWhiteSpace(settings.Deterministic) ? "(empty)" : settings.Deterministic.Trim();
            findings.Add(Finding.Create(RuleCatalog.NotDeterministic, DeclarationOf(settings, "Deterministic"), null, value));
        }

        if (settings.CiIndicator is { } ci && !string.Equals(settings.ContinuousIntegrationBuild?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            findings.Add(Finding.Create(RuleCatalog.NotContinuousIntegrationBuild, new SourceLocation(settings.ProjectFile), null, ci, ci));
        }

        if (SdkPinProblem(settings.ProjectDirectory, out var location) is { } problem)
        {
            var version = string.IsNullOrWhiteSpace(settings.SdkVersion) ? "10.0.100" : settings.SdkVersion.Trim();
            findings.Add(Finding.Create(RuleCatalog.SdkNotPinned, location ?? new SourceLocation(settings.ProjectFile), null, problem, version));
        }

        return findings;
    }

    /// <summary>
    /// Why the SDK is not pinned, or null when it is. Like the SDK, this looks for the nearest <c>global.json</c> in the
    /// project folder or above; it pins the SDK when it sets <c>sdk.version</c> and its <c>rollForward</c> stays within
    /// the patch level (<c>patch</c>, <c>latestPatch</c>, the default, or <c>disable</c>).
    /// </summary>
    public static string? SdkPinProblem(string projectDirectory, out SourceLocation? location)
    {
        location = null;
        var path = FindGlobalJson(projectDirectory);
        if (path is null)
        {
            return $"No global.json was found in '{projectDirectory}' or any folder above it";
        }

        location = new SourceLocation(path, 1, 1);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 1 << 20)
            {
                return $"'{path}' is larger than 1 MiB and was not read";
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"'{path}' cannot be read ({e.Message.TrimEnd('.')})";
        }

        try
        {
            // The SDK reads global.json with comments and trailing commas allowed; so does this check.
            using var document = JsonInput.Parse(bytes, allowComments: true);
            return SdkPinProblem(path, System.Text.Encoding.UTF8.GetString(bytes), document.RootElement, ref location);
        }
        catch (JsonInputException e)
        {
            location = new SourceLocation(path, Math.Max(e.Line, 1), Math.Max(e.Column, 1));
            return $"'{path}' is not valid JSON ({e.Message})";
        }
        catch (Exception e) when (JsonInput.IsShapeError(e))
        {
            return $"'{path}' cannot be read: {JsonInput.Describe(e)}";
        }
    }

    private static string? SdkPinProblem(string path, string text, JsonElement root, ref SourceLocation? location)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sdk", out var sdk) || sdk.ValueKind != JsonValueKind.Object)
        {
            return $"'{path}' has no \"sdk\" section";
        }

        location = new SourceLocation(path, LineOf(text, "\"sdk\""), 1);
        if (!sdk.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(version.GetString()))
        {
            return $"'{path}' sets no sdk.version";
        }

        if (sdk.TryGetProperty("rollForward", out var roll) && roll.ValueKind == JsonValueKind.String && Unpinned.Contains(roll.GetString()!))
        {
            location = new SourceLocation(path, LineOf(text, "\"rollForward\""), 1);
            return $"'{path}' pins sdk.version {version.GetString()} but lets it roll forward to any '{roll.GetString()}' SDK";
        }

        return null;
    }

    private static string? FindGlobalJson(string directory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(directory)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "global.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The first line of a declaring file that sets the property (<c>&lt;Name&gt;</c> or <c>&lt;Name Condition=…&gt;</c>), else the project file.</summary>
    private static SourceLocation DeclarationOf(BuildSettings settings, string property)
    {
        var element = new Regex("<" + property + @"[\s>]", RegexOptions.CultureInvariant);
        foreach (var file in settings.DeclaringFiles.Where(f => !string.IsNullOrWhiteSpace(f) && File.Exists(f)))
        {
            try
            {
                var text = File.ReadAllText(file);
                var match = element.Match(text);
                if (match.Success)
                {
                    return new SourceLocation(file, text.AsSpan(0, match.Index).Count('\n') + 1, 1);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable file cannot be where the setting is shown; the project file is named instead.
            }
        }

        return new SourceLocation(settings.ProjectFile);
    }

    /// <summary>1-based line of the first occurrence of <paramref name="needle"/>, or 1 when absent.</summary>
    private static int LineOf(string text, string needle)
    {
        var at = text.IndexOf(needle, StringComparison.Ordinal);
        return at < 0 ? 1 : text.AsSpan(0, at).Count('\n') + 1;
    }
}
