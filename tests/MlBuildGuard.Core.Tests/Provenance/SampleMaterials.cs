using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Provenance;

namespace MlBuildGuard.Core.Tests.Provenance;

/// <summary>A realistic build: two models, two training files (one from a URL with credentials), three packages, a commit.</summary>
internal static class SampleMaterials
{
    public const string Commit = "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d";

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string Sha512(string text) => Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(text)));

    public static string ContentHash(string text) => Convert.ToBase64String(SHA512.HashData(Encoding.UTF8.GetBytes("content " + text)));

    /// <summary>Lists deliberately out of order, so the writers' sorting is exercised.</summary>
    /// <summary>The same materials with every list in reverse order: a writer must not depend on input order.</summary>
    public static BuildMaterials Reversed(BuildMaterials materials) => materials with
    {
        Models = materials.Models.Reverse().ToList(),
        TrainingInputs = materials.TrainingInputs.Reverse().ToList(),
        Packages = materials.Packages.Reverse().ToList(),
        Metrics = materials.Metrics.Reverse().ToList(),
    };

    public static BuildMaterials Create() => new()
    {
        ProjectName = "Churn",
        ProjectPath = "src/Churn/Churn.csproj",
        Configuration = "Release",
        TargetFramework = "net10.0",
        SdkVersion = "10.0.401",
        SourceDateEpoch = 1717200000,
        Models =
        [
            new ProducedModel("bin/Release/net10.0/onnx/model.onnx", Sha256("onnx"), 4096, "ONNX"),
            new ProducedModel("bin/Release/net10.0/model.zip", Sha256("zip"), 78910, "ML.NET model.zip"),
        ],
        TrainingInputs =
        [
            new TrainingInputMaterial("data/train.tsv", Sha256("train"), 123456, "https://alice:s3cret-token@example.org/dataset-v3?sig=SASSECRET"),
            new TrainingInputMaterial("data/test.tsv", Sha256("test"), 2345, null, ["phone", "email"]),
        ],
        Metrics =
        [
            new MetricMaterial("metrics/eval.json", Sha256("metrics"), "auc", 0.91, 0.9, true),
            new MetricMaterial("metrics/eval.json", Sha256("metrics"), "accuracy", 0.875, null, true),
            new MetricMaterial("metrics/eval.json", Sha256("metrics"), "loss", 0.31, null, null),
        ],
        Packages =
        [
            new PackageMaterial("System.Text.Json", "8.0.0", Sha512("stj"), ContentHash("stj"), Direct: false),
            new PackageMaterial("Microsoft.ML", "5.0.1", Sha512("ml"), ContentHash("ml"), Direct: true),
            new PackageMaterial("Contoso.NoHash", "1.0.0-beta.1", null, null, Direct: true),
        ],
        PackageDependencies = new Dictionary<string, IReadOnlyList<string>>
        {
            ["pkg:nuget/Microsoft.ML@5.0.1"] = ["pkg:nuget/System.Text.Json@8.0.0"],
        },
        Source = new SourceRevision("https://github.com/example/churn-model.git", Commit, "refs/heads/main"),
        ToolVersion = "0.1.0",
    };
}
