namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// Everything one build used and produced, as the provenance statement and the ML-BOM record it. Both documents are
/// written from this one value so they can never disagree, and it holds only what may be published: relative paths
/// with '/' separators, digests and versions — no absolute paths, machine names or clock readings, so two identical
/// builds yield identical documents.
/// </summary>
public sealed record BuildMaterials
{
    /// <summary>The project's name (<c>$(MSBuildProjectName)</c>).</summary>
    public required string ProjectName { get; init; }

    /// <summary>The project file relative to the repository (or build) root, '/' separated.</summary>
    public required string ProjectPath { get; init; }

    public string? Configuration { get; init; }

    public string? TargetFramework { get; init; }

    public string? SdkVersion { get; init; }

    /// <summary><c>SOURCE_DATE_EPOCH</c> when the build pins one: the only time either document may carry.</summary>
    public long? SourceDateEpoch { get; init; }

    /// <summary>The models the build produced (the provenance subjects).</summary>
    public IReadOnlyList<ProducedModel> Models { get; init; } = [];

    public IReadOnlyList<TrainingInputMaterial> TrainingInputs { get; init; } = [];

    /// <summary>The models the build consumed (<c>MlModel</c>): one entry per file, a folder's files each on their own.</summary>
    public IReadOnlyList<ConsumedModelMaterial> ConsumedModels { get; init; } = [];

    public IReadOnlyList<PackageMaterial> Packages { get; init; } = [];

    /// <summary>The model quality gate's results (<c>MlModelMetrics</c>), one per metric and threshold.</summary>
    public IReadOnlyList<MetricMaterial> Metrics { get; init; } = [];

    /// <summary>The package graph restore resolved: each package's purl to the purls of the packages it depends on.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> PackageDependencies { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The source commit, when the project lives in a git repository (see <see cref="GitRevision.Find"/>).</summary>
    public SourceRevision? Source { get; init; }

    /// <summary>MlBuildGuard's own version: the builder version in provenance, the tool version in the BOM.</summary>
    public required string ToolVersion { get; init; }
}

/// <summary>A model the build produced.</summary>
/// <param name="Name">Project-relative path, '/' separated.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file's bytes.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Format">What kind of model it is, e.g. <c>ML.NET model.zip</c>, when known.</param>
public sealed record ProducedModel(string Name, string Sha256, long Size, string? Format);

/// <summary>One metric of an <c>MlModelMetrics</c> file as the quality gate saw it.</summary>
/// <param name="File">The metrics file, project-relative, '/' separated.</param>
/// <param name="FileSha256">Lowercase hex SHA-256 of the metrics file's bytes.</param>
/// <param name="Metric">The metric's name in the file.</param>
/// <param name="Value">Its value this build.</param>
/// <param name="Baseline">The locked baseline, when it was computed on the same evaluation data.</param>
/// <param name="Passed">The gate's verdict; null when no <c>MlMetricThreshold</c> gates the metric.</param>
public sealed record MetricMaterial(string File, string FileSha256, string Metric, double Value, double? Baseline, bool? Passed);

/// <summary>A training input as locked in <c>mlguard.lock.json</c>.</summary>
/// <param name="Name">Project-relative path, '/' separated.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file's bytes.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Source">Where the data came from (the item's <c>Source</c> metadata), when given.</param>
/// <param name="PersonalDataKinds">The kinds of personal data the build found in it (MLG802), sorted; empty when none.</param>
public sealed record TrainingInputMaterial(string Name, string Sha256, long Size, string? Source, IReadOnlyList<string>? PersonalDataKinds = null);

/// <summary>A model file the build consumed (an <c>MlModel</c> item, or one file of an <c>MlModel</c> folder).</summary>
/// <param name="Name">Project-relative path, '/' separated.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file's bytes.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Signature">
/// What the build's signature check showed: <c>verified</c> (an OMS signature by a trusted key held),
/// or <c>not checked</c> (no trusted key and no <c>RequireSignature</c> applied to it). A failed check fails the build
/// before any record is written.
/// </param>
/// <param name="KeyFingerprint">The OMS key hint (SHA-256 of the canonical PEM) of the key whose signature held; null when not verified.</param>
public sealed record ConsumedModelMaterial(string Name, string Sha256, long Size, string Signature, string? KeyFingerprint);

/// <summary>A NuGet package restore resolved for the project.</summary>
/// <param name="Id">The package id as restore spelled it.</param>
/// <param name="Version">The normalized version.</param>
/// <param name="Sha512Hex">
/// Lowercase hex SHA-512 of the <c>.nupkg</c> file's bytes (the base64 in <c>.nupkg.sha512</c>), which is what anyone
/// downloading the package can check; null when the file is not in the packages folder. It differs from
/// <paramref name="ContentHash"/> for signed packages.
/// </param>
/// <param name="ContentHash">NuGet's base64 content hash from the assets or lock file (the signature entry excluded).</param>
/// <param name="Direct">Whether the project references the package itself rather than through another package.</param>
public sealed record PackageMaterial(string Id, string Version, string? Sha512Hex, string? ContentHash, bool Direct);

/// <summary>The commit the build's sources came from.</summary>
/// <param name="RepositoryUri">The <c>origin</c> remote without credentials, query or local paths; null when there is none.</param>
/// <param name="Commit">40 (SHA-1) or 64 (SHA-256 repositories) lowercase hex digits.</param>
/// <param name="Ref">The checked-out ref, e.g. <c>refs/heads/main</c>; null for a detached HEAD.</param>
/// <param name="Dirty">Whether the work tree differed from the commit (<see cref="WorkingTree.IsDirty"/>); null when unknown.</param>
public sealed record SourceRevision(string? RepositoryUri, string Commit, string? Ref, bool? Dirty = null);
