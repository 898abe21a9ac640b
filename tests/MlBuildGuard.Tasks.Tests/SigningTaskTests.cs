using System.Security.Cryptography;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tasks.Tests;

/// <summary>MlGuardVerifyModelSignatures (MLG602–MLG604, MLG606) and MlGuardSignModelOutputs (MLG601, MLG605).</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class SigningTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeBuildEngine _engine = new();
    private readonly KeyPair _publisher = KeyPair.Generate();
    private readonly string? _savedKey = Environment.GetEnvironmentVariable(MlGuardSignModelOutputs.KeyVariable);
    private readonly string? _savedPassphrase = Environment.GetEnvironmentVariable(MlGuardSignModelOutputs.PassphraseVariable);

    public SigningTaskTests()
    {
        File.WriteAllText(ProjectFile, "<Project />\n");
        _dir.Write("keys/publisher.pub.pem", _publisher.PublicPem);
        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.KeyVariable, null);
        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.PassphraseVariable, null);
    }

    private string ProjectFile => _dir.Combine("app.csproj");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.KeyVariable, _savedKey);
        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.PassphraseVariable, _savedPassphrase);
        _dir.Dispose();
    }

    private static ITaskItem Item(string spec, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(spec);
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }

        return item;
    }

    private MlGuardVerifyModelSignatures Verify(ITaskItem[] models, params string[] trustedKeys) => new()
    {
        BuildEngine = _engine,
        ProjectDirectory = _dir.Path,
        ProjectFile = ProjectFile,
        Models = models,
        TrustedKeys = trustedKeys.Select(k => (ITaskItem)new TaskItem(k)).ToArray(),
        Today = "2026-11-26",
    };

    private MlGuardSignModelOutputs Sign(string? signingKey, string? require, params ITaskItem[] outputs) => new()
    {
        BuildEngine = _engine,
        ProjectDirectory = _dir.Path,
        ProjectFile = ProjectFile,
        Outputs = outputs,
        SigningKey = signingKey,
        RequireSignedOutputs = require,
        Today = "2026-11-26",
    };

    /// <summary>An ECDSA P-256 key pair as PEM (PKCS#8 private, SPKI public), made without MlBuildGuard.</summary>
    private sealed record KeyPair(string PrivatePem, string PublicPem)
    {
        public static KeyPair Generate()
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return new KeyPair(ec.ExportPkcs8PrivateKeyPem(), ec.ExportSubjectPublicKeyInfoPem());
        }
    }

    /// <summary>Signs with the signing task in a build of its own.</summary>
    private void SignWith(KeyPair key, string relative)
    {
        var keyFile = _dir.Write("secrets/" + Guid.NewGuid().ToString("N") + ".pem", key.PrivatePem);
        var engine = new FakeBuildEngine();
        var task = Sign(keyFile, "true", Item(relative));
        task.BuildEngine = engine;
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));
        File.Delete(keyFile);
    }

    private bool Verifies(string relative, KeyPair key)
    {
        var keyFile = _dir.Write("keys/" + Guid.NewGuid().ToString("N") + ".pub.pem", key.PublicPem);
        var task = Verify([Item(relative)], keyFile);
        task.BuildEngine = new FakeBuildEngine();
        return task.Execute();
    }

    private string SignedFileModel(string relative = "models/m.onnx", KeyPair? key = null)
    {
        var path = _dir.Write(relative, "model bytes\n");
        SignWith(key ?? _publisher, relative);
        return path;
    }

    private string SignedFolderModel(string relative = "models/bert")
    {
        _dir.Write(relative + "/config.json", "{}\n");
        _dir.Write(relative + "/weights.bin", "weights\n");
        SignWith(_publisher, relative);
        return _dir.Combine(relative);
    }

    private BuildErrorEventArgs SingleError(string code)
    {
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(code, error.Code);
        return error;
    }

    // ---------------------------------------------------------------- verification of consumed models

    [Fact]
    public void A_model_signed_by_a_trusted_key_passes_quietly()
    {
        SignedFileModel();
        SignedFolderModel();

        Assert.True(Verify([Item("models/m.onnx"), Item("models/bert")], "keys/publisher.pub.pem").Execute());

        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
        Assert.Contains(_engine.Messages, m => m.Message == "MlBuildGuard model signatures: 2 model(s) checked, 2 valid, 0 unchanged since verified.");
    }

    [Fact]
    public void An_unchanged_valid_model_is_not_hashed_again_but_a_changed_one_is_and_CI_always_verifies()
    {
        var model = SignedFolderModel();
        MlGuardVerifyModelSignatures Run(FakeBuildEngine engine, string? ci = null)
        {
            var task = Verify([Item("models/bert")], "keys/publisher.pub.pem");
            task.BuildEngine = engine;
            task.CacheFile = "obj/mlguard/model-signatures.cache";
            task.ContinuousIntegrationBuild = ci;
            return task;
        }

        var first = new FakeBuildEngine();
        var second = new FakeBuildEngine();
        var onCi = new FakeBuildEngine();
        var tampered = new FakeBuildEngine();
        Assert.True(Run(first).Execute());
        Assert.True(Run(second).Execute());
        Assert.True(Run(onCi, "true").Execute());
        File.WriteAllText(Path.Combine(model, "weights.bin"), "weights\n".ToUpperInvariant());
        Assert.False(Run(tampered).Execute());

        Assert.Contains(first.Messages, m => m.Message == "MlBuildGuard model signatures: 1 model(s) checked, 1 valid, 0 unchanged since verified.");
        Assert.Contains(second.Messages, m => m.Message == "MlBuildGuard model signatures: 1 model(s) checked, 1 valid, 1 unchanged since verified.");
        Assert.Contains(onCi.Messages, m => m.Message == "MlBuildGuard model signatures: 1 model(s) checked, 1 valid, 0 unchanged since verified.");
        Assert.Equal("MLG603", Assert.Single(tampered.Errors).Code);
    }

    [Fact]
    public void A_model_without_key_or_RequireSignature_is_not_checked()
    {
        _dir.Write("models/m.onnx", "unsigned\n");

        Assert.True(Verify([Item("models/m.onnx")]).Execute());

        Assert.Empty(_engine.Errors);
        Assert.Contains(_engine.Messages, m => m.Message == "MlBuildGuard model signatures: 0 model(s) checked, 0 valid, 0 unchanged since verified.");
    }

    [Fact]
    public void No_signature_while_a_key_is_configured_is_MLG602_on_the_model()
    {
        var model = _dir.Write("models/m.onnx", "unsigned\n");

        Assert.False(Verify([Item("models/m.onnx")], "keys/publisher.pub.pem").Execute());

        var error = SingleError("MLG602");
        Assert.Equal(model, error.File);
        Assert.Contains("'models/m.onnx.sig' does not exist", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("docs/rules/MLG602.md", error.HelpLink, StringComparison.Ordinal);
    }

    [Fact]
    public void No_signature_with_RequireSignature_and_no_key_is_MLG602()
    {
        _dir.Write("models/m.onnx", "unsigned\n");

        Assert.False(Verify([Item("models/m.onnx", ("RequireSignature", "true"))]).Execute());

        Assert.Contains("RequireSignature", SingleError("MLG602").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_folder_model_is_MLG603_naming_the_extra_and_changed_files()
    {
        var model = SignedFolderModel();
        File.AppendAllText(Path.Combine(model, "weights.bin"), "backdoor");
        File.WriteAllText(Path.Combine(model, "loader.py"), "import os\n");

        Assert.False(Verify([Item("models/bert", ("TrustedKey", "keys/publisher.pub.pem"))]).Execute());

        var error = SingleError("MLG603");
        Assert.Equal(model, error.File);
        Assert.Contains("extra files: loader.py", error.Message, StringComparison.Ordinal);
        Assert.Contains("changed files: weights.bin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_signature_is_MLG603()
    {
        var model = _dir.Write("models/m.onnx", "model\n");
        _dir.Write("models/m.onnx.sig", "{ not a bundle");

        Assert.False(Verify([Item("models/m.onnx")], "keys/publisher.pub.pem").Execute());

        Assert.Equal(model, SingleError("MLG603").File);
    }

    [Fact]
    public void A_signature_by_another_key_is_MLG604_and_any_one_trusted_key_suffices()
    {
        var stranger = KeyPair.Generate();
        var model = SignedFileModel("models/a.onnx", stranger);
        SignedFileModel("models/b.onnx");
        _dir.Write("keys/other.pub.pem", KeyPair.Generate().PublicPem);

        Assert.False(Verify([Item("models/a.onnx"), Item("models/b.onnx", ("TrustedKey", "keys/publisher.pub.pem"))], "keys/other.pub.pem").Execute());

        var error = SingleError("MLG604");
        Assert.Equal(model, error.File);
        Assert.Contains("'keys/other.pub.pem'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trusted_key_file_holding_a_private_key_is_MLG606_without_the_key()
    {
        SignedFileModel();
        var pem = _publisher.PrivatePem;
        var keyFile = _dir.Write("keys/oops.pem", pem);

        Assert.False(Verify([Item("models/m.onnx")], "keys/oops.pem").Execute());

        var error = SingleError("MLG606");
        Assert.Equal(keyFile, error.File);
        var base64 = pem.Split('\n')[1];
        Assert.DoesNotContain(base64, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_finding_on_a_signature_can_be_suppressed_by_the_model_path()
    {
        _dir.Write("models/m.onnx", "unsigned\n");
        var task = Verify([Item("models/m.onnx")], "keys/publisher.pub.pem");
        task.Suppressions = [Item("MLG602", ("Subject", "models/m.onnx"), ("Justification", "vendor ships no signature yet"), ("Expires", "2027-01-01"))];

        Assert.True(task.Execute());

        Assert.Empty(_engine.Errors);
    }

    // ---------------------------------------------------------------- signing of produced models

    [Fact]
    public void A_key_file_signs_each_output_and_the_signature_verifies()
    {
        var keyFile = _dir.Write("secrets/signing.pem", _publisher.PrivatePem);
        var file = _dir.Write("bin/model.onnx", "produced\n");
        _dir.Write("bin/folder/weights.bin", "w\n");
        _dir.Write("bin/skipped.onnx", "s\n");

        var task = Sign(keyFile, "true", Item("bin/model.onnx"), Item("bin/folder"), Item("bin/skipped.onnx", ("Sign", "false")));
        Assert.True(task.Execute());

        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
        Assert.Equal(2, task.Signatures.Length);
        Assert.True(File.Exists(file + ".sig"));
        Assert.True(Verifies("bin/model.onnx", _publisher));
        Assert.True(Verifies("bin/folder", _publisher));
        Assert.False(Verifies("bin/folder", KeyPair.Generate()));
        Assert.False(File.Exists(_dir.Combine("bin", "skipped.onnx.sig")));
    }

    [Fact]
    public void The_key_may_come_as_PEM_text_from_MLGUARD_SIGNING_KEY()
    {
        var file = _dir.Write("bin/model.onnx", "produced\n");
        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.KeyVariable, _publisher.PrivatePem);

        Assert.True(Sign(null, "true", Item("bin/model.onnx")).Execute());

        Assert.Empty(_engine.Errors);
        Assert.True(File.Exists(file + ".sig"));
        Assert.True(Verifies("bin/model.onnx", _publisher));
    }

    [Fact]
    public void An_encrypted_key_is_read_with_the_passphrase_from_the_environment_only()
    {
        var file = _dir.Write("bin/model.onnx", "produced\n");
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = _dir.Write("secrets/signing.pem", ec.ExportEncryptedPkcs8PrivateKeyPem("s3cret",
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        var publicKey = new KeyPair("", ec.ExportSubjectPublicKeyInfoPem());

        Assert.False(Sign(keyFile, "false", Item("bin/model.onnx")).Execute());
        var noPassphrase = SingleError("MLG605");
        Assert.Contains("no passphrase", noPassphrase.Message, StringComparison.Ordinal);
        Assert.Equal(keyFile, noPassphrase.File);

        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.PassphraseVariable, "wrong");
        Assert.False(Sign(keyFile, "false", Item("bin/model.onnx")).Execute());
        Assert.Equal(2, _engine.Errors.Count);
        Assert.Equal("MLG605", _engine.Errors[1].Code);
        Assert.DoesNotContain("wrong", _engine.Errors[1].Message!.Replace("wrong passphrase", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".sig"));

        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.PassphraseVariable, "s3cret");
        Assert.True(Sign(keyFile, "false", Item("bin/model.onnx")).Execute());
        Assert.True(Verifies("bin/model.onnx", publicKey));
    }

    [Fact]
    public void An_unusable_key_from_the_environment_is_MLG605_naming_the_variable_not_the_text()
    {
        _dir.Write("bin/model.onnx", "produced\n");
        Environment.SetEnvironmentVariable(MlGuardSignModelOutputs.KeyVariable, "-----BEGIN PRIVATE KEY-----\nQUJDREVGR0g=\n-----END PRIVATE KEY-----\n");

        Assert.False(Sign("", "false", Item("bin/model.onnx")).Execute());

        var error = SingleError("MLG605");
        Assert.Contains("'MLGUARD_SIGNING_KEY'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("QUJDREVGR0g", error.Message, StringComparison.Ordinal);
        Assert.Equal(ProjectFile, error.File);
    }

    [Fact]
    public void No_key_is_an_MLG601_message_locally_a_warning_on_CI_and_an_error_when_signed_outputs_are_required()
    {
        var file = _dir.Write("bin/model.onnx", "produced\n");

        Assert.True(Sign(null, "", Item("bin/model.onnx")).Execute());
        Assert.Empty(_engine.Warnings);
        var message = Assert.Single(_engine.Messages, m => m.Code == "MLG601");
        Assert.Equal((file, MessageImportance.Normal), (message.File, message.Importance));
        Assert.DoesNotContain("mlguard sign", message.Message, StringComparison.Ordinal);

        var onCi = Sign(null, "false", Item("bin/model.onnx"));
        onCi.ContinuousIntegrationBuild = "true";
        Assert.True(onCi.Execute());
        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal(("MLG601", file), (warning.Code, warning.File));
        Assert.Contains("MLGUARD_SIGNING_KEY", warning.Message, StringComparison.Ordinal);

        Assert.False(Sign(null, "true", Item("bin/model.onnx")).Execute());
        var error = SingleError("MLG601");
        Assert.Equal(file, error.File);
        Assert.Contains("set MlGuardRequireSignedOutputs to false", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".sig"));
    }

    [Fact]
    public void A_private_key_inside_a_model_output_is_MLG606_and_nothing_is_signed()
    {
        var keyFile = _dir.Write("keys/signing.pem", KeyPair.Generate().PrivatePem);
        _dir.Write("bin/model/weights.bin", "weights\n");
        var leaked = _dir.Write("bin/model/deploy/key.pem", "Bag Attributes\n" + KeyPair.Generate().PrivatePem);
        _dir.Write("bin/clean/weights.bin", "weights\n");
        _dir.Write("bin/clean/publisher.pub.pem", _publisher.PublicPem);

        Assert.False(Sign(keyFile, "true", Item("bin/model")).Execute());
        var error = SingleError("MLG606");
        Assert.Equal(leaked, error.File);
        Assert.DoesNotContain("BEGIN", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.Combine("bin/model.sig")));

        Assert.True(Sign(keyFile, "true", Item("bin/clean")).Execute(), "a public key in a model is not a finding");
        Assert.True(File.Exists(_dir.Combine("bin/clean.sig")));
    }
}
