using MlBuildGuard.Core.Hashing;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// The records' view of the models a build consumed (<c>MlModel</c> items): every file hashed (a folder's files each on
/// their own, in ordinal order), named relative to the project, and marked with what the signature check showed.
/// </summary>
public static class ConsumedModelMaterials
{
    public const string Verified = "verified";

    public const string NotChecked = "not checked";

    /// <param name="models">The <c>MlModel</c> items, full paths (files or folders); missing ones are left out, the scan reports them.</param>
    /// <param name="verifiedBy">Full path of each model whose signature held, with the OMS key hint of the key that signed it.</param>
    /// <param name="projectDirectory">Names are relative to it, '/' separated.</param>
    /// <param name="cacheFilePath">The stamp cache of these files' digests, or null to hash every file (CI).</param>
    public static IReadOnlyList<ConsumedModelMaterial> Collect(IEnumerable<string> models, IReadOnlyDictionary<string, string> verifiedBy,
        string projectDirectory, string? cacheFilePath, CancellationToken cancellationToken = default)
    {
        var cache = cacheFilePath is null ? null : HashCache.Load(cacheFilePath);
        var files = new List<(string Path, string? Signer)>();
        foreach (var model in models.Distinct(StringComparer.Ordinal))
        {
            verifiedBy.TryGetValue(model, out var signer);
            if (File.Exists(model))
            {
                files.Add((model, signer));
            }
            else if (Directory.Exists(model))
            {
                files.AddRange(Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal)
                    .Select(f => (f, signer)));
            }
        }

        var hashes = FileSetHasher.Hash([.. files.Select(f => f.Path)], cache, cancellationToken, detectPrivateKeys: false);
        cache?.PruneAndSave(cacheFilePath, files.Select(f => f.Path));
        var materials = new List<ConsumedModelMaterial>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            if (hashes[i].Digest is not { } digest)
            {
                continue; // vanished or unreadable since the scan: the scan and the signature check report such files
            }

            var name = Path.GetRelativePath(projectDirectory, files[i].Path).Replace('\\', '/');
            materials.Add(new ConsumedModelMaterial(name, digest.Hex, digest.Size,
                files[i].Signer is null ? NotChecked : Verified, files[i].Signer));
        }

        return materials;
    }
}
