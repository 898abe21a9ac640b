using System.IO.Compression;
using System.Text;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>The model scanner through real builds. The malicious files are written by the test and never loaded.</summary>
[Collection(PackagesCollection.Name)]
public sealed class ModelScanBuildTests(PackagesFixture packages)
{
    /// <summary>A protocol-2 pickle calling os.system(cmd): the classic malicious checkpoint payload.</summary>
    private static byte[] OsSystemPickle()
    {
        var cmd = Encoding.ASCII.GetBytes("echo pwned");
        return [0x80, 0x02, .. Encoding.ASCII.GetBytes("cos\nsystem\n"), (byte)'X', (byte)cmd.Length, 0, 0, 0, .. cmd, 0x85, (byte)'R', (byte)'.'];
    }

    /// <summary>{"w": 1} as a protocol-2 pickle.</summary>
    private static byte[] DataPickle() => [0x80, 0x02, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w', (byte)'K', 1, (byte)'s', (byte)'.'];

    /// <summary>A PyTorch-style checkpoint: a zip whose archive/data.pkl is the given pickle.</summary>
    private static void WriteCheckpoint(string path, byte[] dataPkl)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl").Open())
        {
            s.Write(dataPkl);
        }

        using (var s = zip.CreateEntry("archive/version").Open())
        {
            s.Write("3\n"u8);
        }
    }

    private TestProject Project(string body) => new TestProject(packages, "models").WithProject(body);

    [Fact]
    public void A_project_item_holding_a_malicious_checkpoint_fails_the_build_with_MLG301_naming_it()
    {
        var p = Project("""
              <ItemGroup>
                <None Include="models/evil.pt" CopyToOutputDirectory="PreserveNewest" />
              </ItemGroup>
            """);
        WriteCheckpoint(Path.Combine(p.Directory, "models", "evil.pt"), OsSystemPickle());

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        var finding = result.Diagnostics.Single(d => d.Code == "MLG301");
        Assert.Equal(Path.Combine(p.Directory, "models", "evil.pt"), finding.File);
        Assert.Contains("evil.pt!archive/data.pkl: loading it would run shell commands and access files: it imports os.system", finding.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(p.Directory, "bin", "Debug", "net10.0", "models", "evil.pt")), "the build stopped before copying it anywhere");
    }

    [Fact]
    public void A_clean_model_passes_and_is_not_read_again_when_unchanged()
    {
        var p = Project("""
              <ItemGroup>
                <MlModel Include="models/clean.pt" />
              </ItemGroup>
            """);
        WriteCheckpoint(Path.Combine(p.Directory, "models", "clean.pt"), DataPickle());

        var first = p.Build("-v:n");
        var second = p.Build("--no-restore", "-v:n");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Empty(first.Diagnostics);
        Assert.Contains("MlBuildGuard models: 1 model(s), 1 scanned, 0 unchanged since scanned.", first.Output, StringComparison.Ordinal);
        Assert.Contains("MlBuildGuard models: 1 model(s), 0 scanned, 1 unchanged since scanned.", second.Output, StringComparison.Ordinal);
    }

    /// <summary>A pickle that makes a user's own class (mylib.models.Classifier): what a custom scikit-learn step looks like.</summary>
    private static byte[] UserClassPickle() => [0x80, 0x02, .. Encoding.ASCII.GetBytes("cmylib.models\nClassifier\n"), (byte)')', 0x81, (byte)'.'];

    [Fact]
    public void An_unrecognised_model_is_MLG303_and_a_users_own_class_is_an_MLG302_error_by_default()
    {
        var p = Project("""
              <ItemGroup>
                <MlModel Include="models/notes.pt" />
                <MlModel Include="models/custom.pkl" />
              </ItemGroup>
            """);
        p.Write("models/notes.pt", "this is not a model\n");
        File.WriteAllBytes(Path.Combine(p.Directory, "models", "custom.pkl"), UserClassPickle());

        var byDefault = p.Build();
        var lenient = p.Build("--no-restore", "-p:MlGuardStrictModelScan=false");

        Assert.Equal(1, byDefault.ExitCode);
        Assert.Contains(byDefault.Diagnostics, d => d is { Code: "MLG303", Kind: "error" } && d.Message.StartsWith("models/notes.pt:", StringComparison.Ordinal));
        var unknown = byDefault.Diagnostics.Single(d => d.Code == "MLG302");
        Assert.Equal("error", unknown.Kind);
        Assert.Contains("'mylib.models.Classifier'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("<MlGuardAllowedGlobal Include=\"mylib.models.Classifier\" />", unknown.Message, StringComparison.Ordinal);
        Assert.Contains(lenient.Diagnostics, d => d is { Code: "MLG302", Kind: "warning" });
    }

    [Fact]
    public void The_allowed_global_line_the_message_names_makes_the_build_pass()
    {
        var p = Project("""
              <ItemGroup>
                <MlModel Include="models/custom.pkl" />
                <MlGuardAllowedGlobal Include="mylib.models.Classifier" />
              </ItemGroup>
            """);
        Directory.CreateDirectory(Path.Combine(p.Directory, "models"));
        File.WriteAllBytes(Path.Combine(p.Directory, "models", "custom.pkl"), UserClassPickle());

        var result = p.Build();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void A_module_wide_allowed_global_property_silences_MLG302()
    {
        var p = Project("""
              <ItemGroup>
                <MlModel Include="models/custom.pkl" />
              </ItemGroup>
              <PropertyGroup>
                <MlGuardAllowedGlobals>mylib.models.*</MlGuardAllowedGlobals>
              </PropertyGroup>
            """);
        Directory.CreateDirectory(Path.Combine(p.Directory, "models"));
        File.WriteAllBytes(Path.Combine(p.Directory, "models", "custom.pkl"), UserClassPickle());

        var result = p.Build();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Models_in_formats_that_cannot_run_code_pass_and_their_truncated_copies_are_MLG303()
    {
        var corpus = MlBuildGuard.Testing.RepositoryPaths.Combine("tests", "corpus");
        string[] files =
        [
            "real/files/torchscript_script_transformer.pt", "real/files/xgboost_classifier.json", "real/files/xgboost_classifier.ubj",
            "formats/files/lightgbm_binary.txt", "formats/files/tflite_fully_connected.tflite",
        ];
        var good = Project("""
              <ItemGroup>
                <MlModel Include="models/*" />
                <MlModel Include="hf_bert_tiny" />
              </ItemGroup>
            """);
        var truncated = Project("""
              <ItemGroup>
                <MlModel Include="models/*" />
              </ItemGroup>
            """);
        Directory.CreateDirectory(Path.Combine(good.Directory, "models"));
        Directory.CreateDirectory(Path.Combine(truncated.Directory, "models"));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(corpus, file));
            File.WriteAllBytes(Path.Combine(good.Directory, "models", Path.GetFileName(file)), bytes);
            File.WriteAllBytes(Path.Combine(truncated.Directory, "models", Path.GetFileName(file)), bytes[..(bytes.Length * 2 / 3)]);
        }

        var folder = Path.Combine(corpus, "formats", "files", "hf_bert_tiny");
        Directory.CreateDirectory(Path.Combine(good.Directory, "hf_bert_tiny"));
        foreach (var file in Directory.GetFiles(folder))
        {
            File.Copy(file, Path.Combine(good.Directory, "hf_bert_tiny", Path.GetFileName(file)));
        }

        var passed = good.Build();
        var failed = truncated.Build();

        Assert.True(passed.ExitCode == 0, passed.ToString());
        Assert.Empty(passed.Diagnostics);
        Assert.Equal(1, failed.ExitCode);
        foreach (var file in files)
        {
            Assert.Contains(failed.Diagnostics, d => d is { Code: "MLG303", Kind: "error" } && d.File.EndsWith(Path.GetFileName(file), StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Escaping_external_data_bad_headers_embedded_code_and_scan_limits_fail_the_build_while_real_models_pass()
    {
        var p = Project("""
              <ItemGroup>
                <MlModel Include="models/**/*" />
              </ItemGroup>
            """);
        var corpus = MlBuildGuard.Testing.RepositoryPaths.Combine("tests", "corpus");
        var models = new Dictionary<string, string>
        {
            ["files/onnx-external/dotdot/model.onnx"] = "MLG304",
            ["files/invalid-header/st_end_before_begin.safetensors"] = "MLG305",
            ["files/keras/lambda_layer.keras"] = "MLG306",
            ["files/limits/nested_zip_depth10.zip"] = "MLG307",
            ["real/files/torch_state_dict.pt"] = "",
            ["real/files/onnx_matmul_add.onnx"] = "",
            ["files/benign/empty_and_scalar.safetensors"] = "",
        };
        foreach (var (file, code) in models)
        {
            var target = Path.Combine(p.Directory, "models", code.Length == 0 ? "clean" : code, Path.GetFileName(file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(corpus, file), target);
        }

        var result = p.Build();

        Assert.Equal(1, result.ExitCode);
        foreach (var code in new[] { "MLG304", "MLG305", "MLG306", "MLG307" })
        {
            Assert.Contains(result.Diagnostics, d => d.Code == code && d.Kind == "error" && d.File.Contains(Path.Combine("models", code), StringComparison.Ordinal));
        }

        Assert.DoesNotContain(result.Diagnostics, d => d.File.Contains(Path.Combine("models", "clean"), StringComparison.Ordinal));
    }
}
