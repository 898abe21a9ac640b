using System.Text;
using System.Text.Json.Nodes;
using MlBuildGuard.Core.Dependencies;
using NuGet.Common;
using NuGet.ProjectModel;

namespace MlBuildGuard.Core.Tests.Dependencies;

/// <summary>One package entry of a NuGet <c>packages.lock.json</c> target.</summary>
internal sealed record LockEntry(string Id, string Version, string Type = "Direct", string? ContentHash = null, string[]? Dependencies = null)
{
    public static LockEntry Direct(string id, string version, params string[] dependencies) => new(id, version, "Direct", null, dependencies);

    public static LockEntry Transitive(string id, string version, params string[] dependencies) => new(id, version, "Transitive", null, dependencies);
}

/// <summary>Writes NuGet lock files in NuGet's own format (version 1, target → id → entry) and reads them back with NuGet.</summary>
internal static class NuGetLockJson
{
    /// <summary>A lock file with one target, <c>net10.0</c>.</summary>
    public static string Build(params LockEntry[] entries) => Build(new Dictionary<string, LockEntry[]> { ["net10.0"] = entries });

    public static string Build(IReadOnlyDictionary<string, LockEntry[]> targets)
    {
        var dependencies = new JsonObject();
        foreach (var (target, entries) in targets)
        {
            var packages = new JsonObject();
            foreach (var entry in entries)
            {
                var node = new JsonObject { ["type"] = entry.Type };
                if (entry.Type == "Direct")
                {
                    node["requested"] = $"[{entry.Version}, )";
                }

                if (entry.Type != "Project")
                {
                    node["resolved"] = entry.Version;
                    node["contentHash"] = entry.ContentHash ?? FakeHash(entry.Id, entry.Version);
                }

                if (entry.Dependencies is { Length: > 0 } deps)
                {
                    var depObject = new JsonObject();
                    foreach (var dep in deps)
                    {
                        depObject[dep] = "[1.0.0, )";
                    }

                    node["dependencies"] = depObject;
                }

                packages[entry.Id] = node;
            }

            dependencies[target] = packages;
        }

        var root = new JsonObject { ["version"] = 1, ["dependencies"] = dependencies };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static PackagesLockFile Parse(string json) =>
        PackagesLockFileFormat.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), NullLogger.Instance, "packages.lock.json");

    public static PackageGraph Graph(params LockEntry[] entries) => PackageGraph.FromLockFile(Parse(Build(entries)));

    /// <summary>A stable, distinct, well-formed base64 "content hash" per package.</summary>
    public static string FakeHash(string id, string version) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(Encoding.UTF8.GetBytes($"{id.ToLowerInvariant()}/{version}")));
}
