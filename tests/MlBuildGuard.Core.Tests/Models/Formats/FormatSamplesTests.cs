using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Formats;

/// <summary>
/// The model formats that cannot run code, on samples written by the real libraries (XGBoost, TorchScript) or built from
/// the format's published structure (tests/corpus/formats): each is recognised by content and passes in strict mode, and
/// a truncated copy of each is MLG303, never clean.
/// </summary>
public sealed class FormatSamplesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> Samples => new()
    {
        { "formats/files/tflite_fully_connected.tflite", "tflite" },
        { "formats/files/tflite_add.tflite", "tflite" },
        { "formats/files/coreml_glm_regressor.mlmodel", "coreml" },
        { "formats/files/coreml_linear.mlpackage/Data/com.apple.CoreML/model.mlmodel", "coreml" },
        { "formats/files/lightgbm_binary.txt", "lightgbm-text" },
        { "formats/files/lightgbm_multiclass_categorical.txt", "lightgbm-text" },
        { "formats/files/pmml_tree.pmml", "pmml" },
        { "formats/files/pmml_regression.pmml", "pmml" },
        { "formats/files/training_config.yaml", "yaml" },
        { "formats/files/hf_bert_tiny/tokenizer.json", "json" },
        { "real/files/xgboost_classifier.json", "xgboost-json" },
        { "real/files/xgboost_booster.json", "xgboost-json" },
        { "real/files/xgboost_classifier.ubj", "xgboost-ubjson" },
        { "real/files/xgboost_booster_raw.ubj", "xgboost-ubjson" },
        { "real/files/torchscript_script_transformer.pt", "torchscript-code" },
        { "real/files/torchscript_trace_mlp.pt", "torchscript-pickle" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_sample_is_recognised_and_clean_in_strict_mode(string sample, string format)
    {
        var result = ModelScanner.Scan(RepositoryPaths.Combine("tests", "corpus", sample), new ScanOptions { Strict = true });

        var file = Assert.Single(result.Files);
        Assert.Contains(format, file.Formats);
        Assert.Empty(file.Findings);
    }

    /// <summary>Every sample but YAML, whose truncated copy is often still a valid (shorter) document.</summary>
    public static TheoryData<string, string> Truncatable
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var row in Samples.Where(s => (string)s[1] != "yaml"))
            {
                data.Add((string)row[0], (string)row[1]);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Truncatable))]
    public void A_truncated_copy_is_MLG303(string sample, string format)
    {
        _ = format;
        var bytes = File.ReadAllBytes(RepositoryPaths.Combine("tests", "corpus", sample));
        foreach (var fraction in new[] { 0.5, 0.9 })
        {
            var path = _dir.Combine($"{(int)(fraction * 100)}-{Path.GetFileName(sample)}");
            File.WriteAllBytes(path, bytes[..(int)(bytes.Length * fraction)]);

            var findings = ModelScanner.ScanPath(path, new ScanOptions());

            Assert.Contains(findings, f => f.Code == "MLG303" && f.Severity == Severity.Error);
        }
    }

    [Fact]
    public void Hugging_face_and_core_ml_package_folders_are_clean_file_by_file()
    {
        foreach (var folder in new[] { "hf_bert_tiny", "hf_gpt2_tiny_sharded", "coreml_linear.mlpackage" })
        {
            var result = ModelScanner.Scan(RepositoryPaths.Combine("tests", "corpus", "formats", "files", folder), new ScanOptions());

            Assert.Empty(result.Findings);
            Assert.All(result.Files.Where(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal)), f => Assert.Equal(["safetensors"], f.Formats));
            Assert.All(result.Files.Where(f => f.Path.EndsWith(".json", StringComparison.Ordinal)), f => Assert.Equal(["json"], f.Formats));
        }
    }
}
