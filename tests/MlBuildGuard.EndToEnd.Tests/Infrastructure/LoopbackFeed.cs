using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Testing;
using NuGet.Frameworks;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>A package the feed serves, and what its feed says about it.</summary>
public sealed record FeedPackage(string Id, string Version, IReadOnlyList<(string Id, string Range)>? Dependencies = null, string? DeprecationReason = null, string? Alternate = null);

/// <summary>
/// A NuGet V3 feed on 127.0.0.1, started by the tests: a service index with PackageBaseAddress (restore),
/// RegistrationsBaseUrl (package metadata and deprecation) and VulnerabilityInfo/6.7.0 (an index and a page), and the
/// same under /broken/ with a vulnerability page NuGet cannot read. Packages are built with NuGet.Packaging. Every
/// request and the port stay on the loopback interface; the listener stops when disposed.
/// </summary>
public sealed class LoopbackFeed : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackFeed(IEnumerable<FeedPackage> packages, string vulnerabilityPage)
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        foreach (var prefix in new[] { "", "/broken" })
        {
            var baseUrl = $"http://127.0.0.1:{Port}{prefix}/v3/";
            Add($"{prefix}/v3/index.json", Json(new Dictionary<string, object>
            {
                ["version"] = "3.0.0",
                ["resources"] = new object[]
                {
                    new Dictionary<string, string> { ["@id"] = $"http://127.0.0.1:{Port}/v3/flat/", ["@type"] = "PackageBaseAddress/3.0.0" },
                    new Dictionary<string, string> { ["@id"] = $"http://127.0.0.1:{Port}/v3/reg/", ["@type"] = "RegistrationsBaseUrl/3.6.0" },
                    new Dictionary<string, string> { ["@id"] = baseUrl + "vulnerabilities/index.json", ["@type"] = "VulnerabilityInfo/6.7.0" },
                },
            }));
            Add($"{prefix}/v3/vulnerabilities/index.json", Json(new object[]
            {
                new Dictionary<string, string> { ["@name"] = "base", ["@id"] = baseUrl + "vulnerabilities/base.json", ["@updated"] = "2026-11-01T00:00:00Z" },
            }));
        }

        Add("/v3/vulnerabilities/base.json", Encoding.UTF8.GetBytes(vulnerabilityPage));
        Add("/broken/v3/vulnerabilities/base.json", Encoding.UTF8.GetBytes("[]")); // NuGet's docs' "empty page"; its client cannot read it

        foreach (var group in packages.GroupBy(p => p.Id.ToLowerInvariant()))
        {
            Add($"/v3/flat/{group.Key}/index.json", Json(new Dictionary<string, object> { ["versions"] = group.Select(p => NuGetVersion.Parse(p.Version).ToNormalizedString().ToLowerInvariant()).ToArray() }));
            var leaves = new List<object>();
            foreach (var package in group)
            {
                var version = NuGetVersion.Parse(package.Version).ToNormalizedString().ToLowerInvariant();
                var content = $"http://127.0.0.1:{Port}/v3/flat/{group.Key}/{version}/{group.Key}.{version}.nupkg";
                Add($"/v3/flat/{group.Key}/{version}/{group.Key}.{version}.nupkg", Build(package));
                var entry = new Dictionary<string, object>
                {
                    ["@id"] = $"http://127.0.0.1:{Port}/v3/catalog/{group.Key}.{version}.json",
                    ["id"] = package.Id,
                    ["version"] = version,
                    ["listed"] = true,
                    ["packageContent"] = content,
                    ["dependencyGroups"] = Array.Empty<object>(),
                };
                if (package.DeprecationReason is not null)
                {
                    entry["deprecation"] = new Dictionary<string, object>
                    {
                        ["@id"] = $"http://127.0.0.1:{Port}/v3/catalog/{group.Key}.{version}.json#deprecation",
                        ["reasons"] = new[] { package.DeprecationReason },
                        ["message"] = "No longer maintained.",
                        ["alternatePackage"] = new Dictionary<string, string>
                        {
                            ["@id"] = "alternate",
                            ["id"] = package.Alternate ?? "Contoso.Good",
                            ["range"] = "[1.0.0, )",
                        },
                    };
                }

                leaves.Add(new Dictionary<string, object>
                {
                    ["@id"] = $"http://127.0.0.1:{Port}/v3/reg/{group.Key}/{version}.json",
                    ["catalogEntry"] = entry,
                    ["packageContent"] = content,
                });
            }

            var versions = group.Select(p => NuGetVersion.Parse(p.Version)).Order().ToList();
            Add($"/v3/reg/{group.Key}/index.json", Json(new Dictionary<string, object>
            {
                ["count"] = 1,
                ["items"] = new object[]
                {
                    new Dictionary<string, object>
                    {
                        ["@id"] = $"http://127.0.0.1:{Port}/v3/reg/{group.Key}/index.json#page/0",
                        ["count"] = leaves.Count,
                        ["lower"] = versions[0].ToNormalizedString(),
                        ["upper"] = versions[^1].ToNormalizedString(),
                        ["items"] = leaves,
                    },
                },
            }));
        }

        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string SourceUrl => $"http://127.0.0.1:{Port}/v3/index.json";

    public string BrokenSourceUrl => $"http://127.0.0.1:{Port}/broken/v3/index.json";

    /// <summary>Paths requested so far (to show what the build asked for).</summary>
    public List<string> Requests { get; } = new();

    private void Add(string path, byte[] content) => _files[path] = content;

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    /// <summary>A small real package: an auto-imported build/ID.props the consuming build evaluates, and an empty lib marker.</summary>
    private static byte[] Build(FeedPackage package)
    {
        var builder = new PackageBuilder
        {
            Id = package.Id,
            Version = NuGetVersion.Parse(package.Version),
            Description = $"Test package {package.Id}.",
        };
        builder.Authors.Add("MlBuildGuard tests");
        var dependencies = (package.Dependencies ?? []).Select(d => new PackageDependency(d.Id, VersionRange.Parse(d.Range))).ToList();
        builder.DependencyGroups.Add(new PackageDependencyGroup(NuGetFramework.Parse("net10.0"), dependencies));
        builder.Files.Add(new InMemoryPackageFile($"build/{package.Id}.props", Encoding.UTF8.GetBytes($"<Project><PropertyGroup><{package.Id.Replace(".", "", StringComparison.Ordinal)}Imported>true</{package.Id.Replace(".", "", StringComparison.Ordinal)}Imported></PropertyGroup></Project>\n")));
        builder.Files.Add(new InMemoryPackageFile("lib/net10.0/_._", []));
        using var stream = new MemoryStream();
        builder.Save(stream);
        return stream.ToArray();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var path = context.Request.Url!.AbsolutePath;
            lock (Requests)
            {
                Requests.Add(path);
            }

            using var response = context.Response;
            if (_files.TryGetValue(path, out var body))
            {
                response.StatusCode = 200;
                response.ContentType = path.EndsWith(".nupkg", StringComparison.Ordinal) ? "application/octet-stream" : "application/json";
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
