using NuGet.Frameworks;
using NuGet.Packaging;

namespace MlBuildGuard.Testing;

/// <summary>A file for NuGet's <see cref="PackageBuilder"/> from bytes in memory, with a fixed timestamp (reproducible packages).</summary>
public sealed class InMemoryPackageFile(string path, byte[] content) : IPackageFile
{
    public string Path { get; } = path;

    public string EffectivePath => Path;

    public System.Runtime.Versioning.FrameworkName TargetFramework => null!;

    public NuGetFramework NuGetFramework => NuGetFramework.AnyFramework;

    public DateTimeOffset LastWriteTime { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public Stream GetStream() => new MemoryStream(content, writable: false);
}
