using System.Globalization;
using MlBuildGuard.Core.Bom;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Provenance;
using MlBuildGuard.Core.Secrets;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Writes <c>$(OutDir)mlguard.provenance.json</c> (in-toto Statement v1, SLSA Provenance v1; a DSSE envelope signed with
/// the build's signing key when there is one) and <c>$(OutDir)mlguard.cdx.json</c> (CycloneDX 1.6 ML-BOM) for the models
/// this build produced: their digests come from the reproducibility check, the training inputs from the lock this build
/// commits, the packages from restore's assets file and the global packages folder, the source commit from git.
/// Both files are written atomically and only when their bytes change.
/// </summary>
public sealed class MlGuardWriteProvenance : MlGuardTask
{
    /// <summary>The produced files from <c>MlGuardCheckModelOutputs</c> (key, <c>Sha256</c>, <c>Size</c>).</summary>
    public ITaskItem[] ProducedFiles { get; set; } = [];

    /// <summary>The lock parts this build staged (<c>@(_MlGuardLockPart)</c>): the provenance records the lock the build commits.</summary>
    public ITaskItem[] LockParts { get; set; } = [];

    /// <summary>The quality gate's results (<c>MlGuardGateModelMetrics.GateResults</c>).</summary>
    public ITaskItem[] MetricResults { get; set; } = [];

    /// <summary>
    /// The personal-data kinds found per training input (<c>MlGuardCheckTrainingData.PersonalData</c>): the input's lock
    /// key as item spec, <c>Kinds</c> metadata (<c>;</c>-separated).
    /// </summary>
    public ITaskItem[] PersonalData { get; set; } = [];

    [Required]
    public string LockFile { get; set; } = "";

    /// <summary><c>$(_MlGuardLockRole)</c>: see <see cref="LockRoles"/>.</summary>
    public string? LockRole { get; set; }

    /// <summary><c>obj/mlguard/</c>, where the outer build of a multi-targeted project records the parts it staged.</summary>
    public string? StateDirectory { get; set; }

    /// <summary><c>@(MlModel)</c>: the models the build consumed, recorded with their digests.</summary>
    public ITaskItem[] ConsumedModels { get; set; } = [];

    /// <summary>The models whose signature held (<c>MlGuardVerifyModelSignatures</c>' output), with <c>KeyFingerprint</c>.</summary>
    public ITaskItem[] VerifiedModels { get; set; } = [];

    /// <summary>Digests of unchanged consumed model files under <c>obj/</c>; empty on CI, where every file is hashed.</summary>
    public string? HashCacheFile { get; set; }

    public string? AssetsFile { get; set; }

    public string? PackagesFolder { get; set; }

    public string? ProvenanceFile { get; set; }

    public string? SbomFile { get; set; }

    public string? SigningKey { get; set; }

    /// <summary><c>$(MlGuardSecretRules)</c>: the user's rules join the built-in ones in the check that no document leaks a secret.</summary>
    public string? SecretRules { get; set; }

    public string? ProjectName { get; set; }

    public string? Configuration { get; set; }

    public string? TargetFramework { get; set; }

    public string? SdkVersion { get; set; }

    /// <summary><c>$(SOURCE_DATE_EPOCH)</c>, the only time the documents may carry.</summary>
    public string? SourceDateEpoch { get; set; }

    /// <summary>The files written by this run.</summary>
    [Output]
    public string[] Written { get; set; } = [];

    protected override string GuardName => "provenance";

    protected override void Run(List<Finding> findings)
    {
        if (ProducedFiles.Length == 0 || (string.IsNullOrEmpty(ProvenanceFile) && string.IsNullOrEmpty(SbomFile)))
        {
            return;
        }

        var source = GitRevision.Find(ProjectDirectory) is { } revision ? revision with { Dirty = WorkingTree.IsDirty(ProjectDirectory) } : null;
        var materials = new BuildMaterials
        {
            ProjectName = NullIfEmpty(ProjectName) ?? Path.GetFileNameWithoutExtension(ProjectFile),
            ProjectPath = ProjectPathFor(source),
            Configuration = NullIfEmpty(Configuration),
            TargetFramework = NullIfEmpty(TargetFramework),
            SdkVersion = NullIfEmpty(SdkVersion),
            SourceDateEpoch = long.TryParse(SourceDateEpoch, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) ? epoch : null,
            Models = [.. ProducedFiles.Select(f => new ProducedModel(ProjectRelativeName(f.GetMetadata("Path"), f.ItemSpec), f.GetMetadata("Sha256"),
                long.Parse(f.GetMetadata("Size"), CultureInfo.InvariantCulture), FormatOf(f.ItemSpec)))],
            TrainingInputs = TrainingInputs(),
            ConsumedModels = Consumed(),
            Packages = Packages(findings),
            Metrics = Metrics(),
            PackageDependencies = string.IsNullOrEmpty(AssetsFile) || !File.Exists(FullPath(AssetsFile)) || findings.Count > 0
                ? new Dictionary<string, IReadOnlyList<string>>()
                : PackageMaterials.Dependencies(FullPath(AssetsFile)),
            Source = source,
            ToolVersion = ToolVersion,
        };

        var written = new List<string>();
        var rules = SecretConfiguration.Load(string.IsNullOrEmpty(SecretRules) ? null : FullPath(SecretRules), null).Rules;
        if (!string.IsNullOrEmpty(ProvenanceFile))
        {
            var statement = ProvenanceStatement.Write(materials);
            var key = SigningKeySource.Load(SigningKey, FullPath, ProjectFile, out var problem);
            if (problem is not null)
            {
                findings.Add(problem);
                return;
            }

            // The statement is scanned before it is signed: inside the envelope it is base64, which no rule reads.
            var leaks = PublishedDocumentGuard.Check(statement, FullPath(ProvenanceFile), rules);
            if (leaks.Count > 0)
            {
                File.Delete(FullPath(ProvenanceFile));
                findings.AddRange(leaks);
            }
            else
            {
                AtomicFile.WriteIfChanged(FullPath(ProvenanceFile), key is null ? statement : ProvenanceStatement.Sign(statement, key));
                written.Add(FullPath(ProvenanceFile));
                Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard: wrote {(key is null ? "unsigned" : "signed")} provenance '{ProvenanceFile}'.");
            }
        }

        if (!string.IsNullOrEmpty(SbomFile))
        {
            var leaks = PublishedDocumentGuard.WriteIfClean(FullPath(SbomFile), MlBom.Write(materials), rules);
            findings.AddRange(leaks);
            if (leaks.Count == 0)
            {
                written.Add(FullPath(SbomFile));
                Log.LogMessage(MessageImportance.Normal, $"MlBuildGuard: wrote ML-BOM '{SbomFile}'.");
            }
        }

        Written = [.. written];
    }

    /// <summary>The project file relative to the repository root when in git, else its file name (never an absolute path).</summary>
    private string ProjectPathFor(SourceRevision? source)
    {
        var project = FullPath(ProjectFile);
        var root = source is null ? null : FindRepositoryRoot(ProjectDirectory);
        return root is not null ? Path.GetRelativePath(root, project).Replace('\\', '/') : Path.GetFileName(project);
    }

    private static string? FindRepositoryRoot(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The consumed models' files, hashed (through the stamp cache when one is given), with their signature verdicts.</summary>
    private IReadOnlyList<ConsumedModelMaterial> Consumed()
    {
        if (ConsumedModels.Length == 0)
        {
            return [];
        }

        var verifiedBy = VerifiedModels.ToDictionary(v => FullPath(v.ItemSpec), v => v.GetMetadata("KeyFingerprint"), StringComparer.Ordinal);
        return ConsumedModelMaterials.Collect(ConsumedModels.Select(m => FullPath(m.ItemSpec)), verifiedBy, ProjectDirectory,
            string.IsNullOrEmpty(HashCacheFile) ? null : FullPath(HashCacheFile), CancellationToken);
    }

    /// <summary>The training inputs of the lock this build commits (the lock with this build's staged parts applied).</summary>
    private IReadOnlyList<TrainingInputMaterial> TrainingInputs()
    {
        // The training-input guard has already shown the lock well-formed.
        // A framework build of a multi-targeted project adds the parts its outer build staged before building it: the
        // outer build commits them with this build's own, so the records name the training inputs of that lock.
        var stateDirectory = string.IsNullOrEmpty(StateDirectory) ? null : FullPath(StateDirectory);
        var outerParts = stateDirectory is not null && LockRoles.LeftToOuterBuild(LockRole, stateDirectory)
            ? OuterBuildClaim.PartsOfRunningOuterBuild(stateDirectory)
            : [];
        var locked = LockCommit.Preview([.. LockParts.Select(p => FullPath(p.ItemSpec)), .. outerParts], FullPath(LockFile));
        var personal = PersonalData.ToDictionary(p => p.ItemSpec, p => (IReadOnlyList<string>)p.GetMetadata("Kinds")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        return [.. locked.TrainingInputs.Select(e => new TrainingInputMaterial(e.Key, e.Value.Sha256, e.Value.Size, e.Value.Source,
            personal.GetValueOrDefault(e.Key)))];
    }

    /// <summary>The gate's results with each metrics file's digest as this task reads it.</summary>
    private IReadOnlyList<MetricMaterial> Metrics()
    {
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        var metrics = new List<MetricMaterial>();
        foreach (var result in MetricResults)
        {
            var path = FullPath(result.GetMetadata("Path"));
            var file = ProjectRelativeName(path, result.GetMetadata("MetricsFile"));
            if (!digests.TryGetValue(path, out var digest))
            {
                using var stream = File.OpenRead(path);
                digests[path] = digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
            }

            metrics.Add(new MetricMaterial(file, digest, result.ItemSpec, Number(result.GetMetadata("Value"))!.Value,
                Number(result.GetMetadata("Baseline")), result.GetMetadata("Passed") switch { "true" => true, "false" => false, _ => null }));
        }

        return metrics;
    }

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>
    /// A produced file's name in the records (a model, or a metrics file): its path relative to the project, as
    /// <c>sha256sum -c</c> run in the project folder reads it (the lock keys it relative to <c>$(OutDir)</c> instead, so
    /// that configurations share one entry); <paramref name="lockKey"/> when it is outside the project.
    /// </summary>
    private string ProjectRelativeName(string path, string lockKey) =>
        !string.IsNullOrEmpty(path) && Core.IO.PathSafety.IsUnder(FullPath(path), ProjectDirectory)
            ? Path.GetRelativePath(ProjectDirectory, FullPath(path)).Replace('\\', '/')
            : lockKey;

    private IReadOnlyList<PackageMaterial> Packages(List<Finding> findings)
    {
        if (string.IsNullOrEmpty(AssetsFile) || !File.Exists(FullPath(AssetsFile)))
        {
            return [];
        }

        try
        {
            return PackageMaterials.Read(FullPath(AssetsFile), string.IsNullOrEmpty(PackagesFolder) ? "" : FullPath(PackagesFolder));
        }
        catch (DependencyDataException e)
        {
            findings.Add(Finding.Create(RuleCatalog.InternalFailure, new SourceLocation(FullPath(AssetsFile)), null, GuardName,
                $"cannot read the packages restore resolved: {e.Message}"));
            return [];
        }
    }

    /// <summary>A name for the model's format from its file name; the scan has already recognised the content.</summary>
    private static string? FormatOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".zip" => "zip archive (e.g. ML.NET model.zip)",
        ".onnx" => "ONNX",
        ".pt" or ".pth" or ".bin" or ".ckpt" => "PyTorch",
        ".safetensors" => "safetensors",
        ".gguf" => "GGUF",
        ".h5" or ".keras" => "Keras",
        ".pkl" or ".pickle" or ".joblib" => "pickle",
        _ => null,
    };
}
