using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Formats;

/// <summary>
/// The text files that travel with models: configurations are validated, and the names a loader imports from them
/// (Hydra's _target_, Hugging Face's auto_map, PyYAML's python tags) are judged like pickle globals.
/// </summary>
public sealed class ConfigFormatsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ScannedFile Scan(string name, string content, ScanOptions? options = null)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, content);
        return Assert.Single(ModelScanner.Scan(path, options ?? new ScanOptions()).Files);
    }

    [Fact]
    public void A_hugging_face_config_with_python_style_nan_is_clean_json()
    {
        var file = Scan("config.json", """{"model_type": "bert", "hidden_size": 8, "initializer_range": NaN, "max": Infinity, "min": -Infinity}""");

        Assert.Equal(["json"], file.Formats);
        Assert.Empty(file.Findings);
    }

    [Theory]
    [InlineData("config.json", "{\"model\": {\"_target_\": \"os.system\", \"command\": \"id\"}}")]
    [InlineData("config.yaml", "model:\n  _target_: subprocess.Popen\n  args: [id]\n")]
    [InlineData("config.yaml", "cmd: !!python/object/apply:os.system [\"id\"]\n")]
    [InlineData("notes.txt", "trainer: !!python/object/new:subprocess.Popen [[\"id\"]]\n")]
    public void A_loader_that_would_call_a_dangerous_name_is_MLG301(string name, string content)
    {
        var file = Scan(name, content);

        var finding = Assert.Single(file.Findings);
        Assert.Equal("MLG301", finding.Code);
    }

    [Fact]
    public void Hydra_targets_and_auto_map_outside_the_allowlist_are_MLG302_until_allowed()
    {
        const string config = """{"auto_map": {"AutoModel": "modeling_tiny.TinyModel", "AutoConfig": "org/repo--configuration_tiny.TinyConfig"}, "encoder": {"_target_": "nemo.collections.asr.modules.ConformerEncoder"}}""";

        var file = Scan("config.json", config);
        var allowed = Scan("config.json", config, new ScanOptions { AllowedGlobals = ["modeling_tiny.*", "configuration_tiny.TinyConfig", "nemo.*"] });

        Assert.Equal(["'configuration_tiny.TinyConfig'", "'modeling_tiny.TinyModel'", "'nemo.collections.asr.modules.ConformerEncoder'"],
            file.Findings.Select(f => f.Message.Split(" it imports ")[1].Split(',')[0]).Order(StringComparer.Ordinal));
        Assert.All(file.Findings, f => Assert.Equal(("MLG302", Severity.Error), (f.Code, f.Severity)));
        Assert.Empty(allowed.Findings);
    }

    [Fact]
    public void Text_that_only_mentions_a_python_tag_is_text()
    {
        var file = Scan("README.md", "# Notes\n\nPyYAML's `!!python/object/apply:` tags run code: never `yaml.load` untrusted files.\n- item: one: two\n");

        Assert.Empty(file.Findings);
    }

    [Fact]
    public void Plain_python_data_tags_in_yaml_are_data()
    {
        var file = Scan("params.yaml", "betas: !!python/tuple [0.9, 0.999]\nname: !!python/str adam\n");

        Assert.Equal(["yaml"], file.Formats);
        Assert.Empty(file.Findings);
    }

    [Fact]
    public void Malformed_json_and_yaml_are_MLG303_with_their_position()
    {
        var json = Scan("tokenizer.json", "{\"version\": \"1.0\", \"model\": {\"vocab\": [");
        var yaml = Scan("config.yaml", "model:\n  name: x\n    bad: indentation\n");

        Assert.Contains("it is not valid JSON (line 1", Assert.Single(json.Findings).Message);
        Assert.Contains("it is not valid YAML (line 3", Assert.Single(yaml.Findings).Message);
    }

    [Fact]
    public void A_keras_architecture_json_is_scanned_as_a_keras_configuration()
    {
        var file = Scan("model.json", """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEAAAA=", null, null], "function_type": "lambda"}}]},
             "keras_version": "2.12.0", "backend": "tensorflow"}
            """);

        Assert.Equal("MLG306", Assert.Single(file.Findings).Code);
    }

    [Fact]
    public void Text_that_starts_with_a_bracket_but_is_not_named_json_is_text()
    {
        var file = Scan("vocab.txt", "[PAD]\n[UNK]\n[CLS]\nhello\n");

        Assert.Equal(["text"], file.Formats);
        Assert.Empty(file.Findings);
    }

    [Fact]
    public void A_git_lfs_pointer_in_place_of_a_model_is_MLG303()
    {
        var file = Scan("model.onnx.txt", "version https://git-lfs.github.com/spec/v1\noid sha256:" + new string('a', 64) + "\nsize 1048576\n");

        Assert.Contains("git lfs pull", Assert.Single(file.Findings).Message);
    }

    [Fact]
    public void Text_with_a_binary_byte_after_its_head_is_MLG303()
    {
        var path = _dir.Combine("merges.txt");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(new string('a', 70_000)), 0x00, 0x01]);

        Assert.Contains("byte 70000 is not", Assert.Single(ModelScanner.ScanPath(path, new ScanOptions())).Message);
    }

    [Fact]
    public void A_pmml_file_with_a_dtd_is_refused()
    {
        var file = Scan("model.pmml", """
            <?xml version="1.0"?>
            <!DOCTYPE PMML [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>&x;</PMML>
            """);

        Assert.Equal("MLG303", Assert.Single(file.Findings).Code);
        Assert.DoesNotContain("root:", Assert.Single(file.Findings).Message);
    }

    [Fact]
    public void Xml_that_is_not_pmml_is_MLG303()
    {
        var file = Scan("model.pmml", "<?xml version=\"1.0\"?>\n<PMMLish xmlns=\"urn:other\"><PMML/></PMMLish>\n");

        Assert.Contains("not PMML", Assert.Single(file.Findings).Message);
    }

    [Fact]
    public void A_lightgbm_model_whose_trees_disagree_with_tree_sizes_is_MLG303()
    {
        var sample = File.ReadAllText(RepositoryPaths.Combine("tests", "corpus", "formats", "files", "lightgbm_binary.txt"));
        var file = Scan("model.txt", sample.Replace("tree_sizes=326 323", "tree_sizes=326 323 300", StringComparison.Ordinal));

        Assert.Contains("tree_sizes lists 3 trees but the file holds 2", Assert.Single(file.Findings).Message);
    }
}
