using System.Reflection;
using System.Runtime.Loader;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The MlBuildGuard.Core assembly of the package under test, loaded on its own, to write the cache files under obj/ the
/// way the build reads them: a forger uses the product's own writers, and the scan cache's entries carry the identity of
/// exactly this assembly.
/// </summary>
public sealed class PackedCore
{
    private readonly Assembly _core;

    public PackedCore(PackagesFixture packages)
    {
        var folder = Path.Combine(packages.PackagesCache, "mlbuildguard", packages.PackageVersion.ToLowerInvariant(), "tasks", "net10.0");
        _core = new FolderLoadContext(folder).LoadFromAssemblyPath(Path.Combine(folder, "MlBuildGuard.Core.dll"));
    }

    /// <summary>Makes a stamp cache say that <paramref name="path"/>, as it is now, has the given digest and size.</summary>
    public void ForgeDigest(string cacheFile, string path, string sha256Hex, long size)
    {
        var type = Type("MlBuildGuard.Core.Hashing.HashCache");
        var cache = Call(type, "Load", null, cacheFile);
        var digest = Activator.CreateInstance(Type("MlBuildGuard.Core.Hashing.FileDigest"), Convert.FromHexString(sha256Hex), size, false);
        Call(type, "Set", cache, path, Stamp(path), digest, DateTime.UtcNow.AddDays(1)); // "hashed" long after its last change
        Call(type, "Save", cache, cacheFile);
    }

    /// <summary>
    /// Makes the training-data check's stamp cache say that <paramref name="path"/>, as it is now, has the given digest and
    /// holds nothing (built-in secret rules, no schema): the entry the check writes, and the training-input guard then takes.
    /// </summary>
    public void ForgeCheckedDigest(string cacheFile, string path, string sha256Hex, long size, string tableFormat)
    {
        var type = Type("MlBuildGuard.Core.Hashing.HashCache");
        var cache = Call(type, "Load", null, cacheFile);
        var digest = Activator.CreateInstance(Type("MlBuildGuard.Core.Hashing.FileDigest"), Convert.FromHexString(sha256Hex), size, false);
        var secrets = Type("MlBuildGuard.Core.Secrets.SecretConfiguration").GetProperty("BuiltIn")!.GetValue(null);
        var format = Enum.Parse(Type("MlBuildGuard.Core.DataValidation.TableFormat"), tableFormat);
        var check = Type("MlBuildGuard.Core.TrainingData.TrainingInputContentCheck").GetConstructors().Single(c => c.GetParameters().Length == 5)
            .Invoke([secrets, null, format, null, null]);
        var key = check.GetType().GetProperty("Key")!.GetValue(check);
        var nothing = Type("MlBuildGuard.Core.Hashing.FileContentFindings").GetProperty("None")!.GetValue(null);
        Call(type, "Set", cache, path, Stamp(path), digest, DateTime.UtcNow.AddDays(1), key, nothing);
        Call(type, "Save", cache, cacheFile);
    }

    /// <summary>Makes the model-scan cache say that <paramref name="model"/>, as it is now, was scanned clean (default scan options).</summary>
    public void ForgeCleanScan(string cacheFile, string model)
    {
        var type = Type("MlBuildGuard.Core.Models.ModelScanCache");
        var cache = Call(type, "Load", null, cacheFile);
        var options = Activator.CreateInstance(Type("MlBuildGuard.Core.Models.ScanOptions"))!;
        var fingerprint = Call(type, "Fingerprint", null, model, options);
        Call(type, "Set", cache, model, fingerprint, Array.CreateInstance(Type("MlBuildGuard.Core.Diagnostics.Finding"), 0));
        Call(type, "Save", cache, cacheFile);
    }

    private object Stamp(string path)
    {
        object?[] args = [path, null];
        return Call(Type("MlBuildGuard.Core.IO.FileStamp"), "TryGet", null, args) is true ? args[1]! : throw new FileNotFoundException(path);
    }

    private Type Type(string name) => _core.GetType(name, throwOnError: true)!;

    private static object? Call(Type type, string method, object? target, params object?[] args)
    {
        var found = type.GetMethods().Single(m => m.Name == method && m.GetParameters().Length == args.Length);
        return found.Invoke(target, args);
    }

    /// <summary>Resolves the package's own dependencies from its tasks folder, as MSBuild does for the task.</summary>
    private sealed class FolderLoadContext(string folder) : AssemblyLoadContext("packed MlBuildGuard", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName name) =>
            File.Exists(Path.Combine(folder, name.Name + ".dll")) ? LoadFromAssemblyPath(Path.Combine(folder, name.Name + ".dll")) : null;
    }
}
