using System.Diagnostics;
using System.Text.Json;
using MlBuildGuard.Core.Dependencies;

namespace MlBuildGuard.Tool.Commands;

/// <summary>A project as MSBuild evaluates it: the properties <c>mlguard audit</c> needs and the package items with their metadata.</summary>
public sealed record EvaluatedProject(IReadOnlyDictionary<string, string> Properties, IReadOnlyList<PackageReferenceItem> Packages)
{
    public string? Property(string name) => Properties.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}

/// <summary>
/// Evaluates a project with MSBuild itself (<c>dotnet msbuild -getProperty -getItem</c>, which evaluates without building), so
/// <c>mlguard audit</c> sees what the build sees: values from <c>Directory.Build.props</c>, imports, conditions and
/// central package versions, never a re-parse of one file.
/// </summary>
public static class ProjectEvaluation
{
    /// <summary>The properties the dependency guard reads in the build.</summary>
    public static readonly string[] PropertyNames =
    [
        "MlGuardAdvisoryDatabase", "MlGuardOffline", "MlGuardAuditErrorLevel", "MlGuardTrustedSources", "RestorePackagesWithLockFile",
        "RestoreLockedMode", "ContinuousIntegrationBuild", "NuGetLockFilePath", "ProjectAssetsFile", "NuGetPackageRoot",
    ];

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Evaluations of this process, by project and the stamps of the files that set its properties.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, EvaluatedProject> Memo = new(StringComparer.Ordinal);

    /// <summary>
    /// The project as MSBuild evaluates it. A process that audits the same project again (a script, the fuzz tests) reuses
    /// the evaluation while the project file and the <c>Directory.*.props</c>/<c>.targets</c> above it are unchanged.
    /// </summary>
    /// <exception cref="DependencyDataException">MSBuild is not there, or cannot evaluate the project.</exception>
    public static EvaluatedProject Evaluate(string projectFile)
    {
        var key = StampKey(projectFile);
        if (Memo.TryGetValue(key, out var known))
        {
            return known;
        }

        var evaluated = EvaluateNow(projectFile);
        Memo[key] = evaluated;
        return evaluated;
    }

    private static string StampKey(string projectFile)
    {
        var key = new System.Text.StringBuilder(projectFile);
        void Add(string file)
        {
            var info = new FileInfo(file);
            key.Append('|').Append(file).Append('=').Append(info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "-");
        }

        Add(projectFile);
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(projectFile)!); dir is not null; dir = dir.Parent)
        {
            foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            {
                Add(Path.Combine(dir.FullName, name));
            }
        }

        return key.ToString();
    }

    private static EvaluatedProject EvaluateNow(string projectFile)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(projectFile)!,
        };
        foreach (var argument in new[] { "msbuild", projectFile, "-nologo", "-tl:off", "-getItem:PackageReference", "-getItem:PackageVersion" }
            .Concat(PropertyNames.Select(p => "-getProperty:" + p)))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        string output;
        string errors;
        try
        {
            using var process = Process.Start(start) ?? throw new DependencyDataException("MSBuild could not be started");
            var stderr = process.StandardError.ReadToEndAsync();
            output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new DependencyDataException($"MSBuild did not evaluate '{projectFile}' within {Timeout.TotalMinutes:0} minutes");
            }

            errors = stderr.Result;
            if (process.ExitCode != 0)
            {
                var first = (output + "\n" + errors).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? $"exit code {process.ExitCode}";
                throw new DependencyDataException($"MSBuild cannot evaluate '{projectFile}': {first}");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DependencyDataException($"the .NET SDK ('dotnet') is needed to evaluate the project and cannot be started: {e.Message}");
        }

        return Parse(output);
    }

    /// <summary>Reads MSBuild's <c>-getProperty</c>/<c>-getItem</c> JSON.</summary>
    public static EvaluatedProject Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (document.RootElement.TryGetProperty("Properties", out var props))
            {
                foreach (var p in props.EnumerateObject())
                {
                    properties[p.Name] = p.Value.GetString() ?? "";
                }
            }

            var packages = new List<PackageReferenceItem>();
            if (document.RootElement.TryGetProperty("Items", out var items))
            {
                foreach (var type in new[] { "PackageReference", "PackageVersion" })
                {
                    if (!items.TryGetProperty(type, out var list))
                    {
                        continue;
                    }

                    foreach (var item in list.EnumerateArray())
                    {
                        string? Meta(string name) => item.TryGetProperty(name, out var v) && v.GetString() is { Length: > 0 } s ? s : null;
                        packages.Add(new PackageReferenceItem(type, Meta("Identity") ?? "", Meta("Version"), Meta("VersionOverride"),
                            Meta("DefiningProjectFullPath"), string.Equals(Meta("IsImplicitlyDefined"), "true", StringComparison.OrdinalIgnoreCase)));
                    }
                }
            }

            return new EvaluatedProject(properties, packages);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new DependencyDataException($"MSBuild's evaluation could not be read: {e.Message}");
        }
    }
}
