using System.Diagnostics;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Tool.Tests;

/// <summary><c>mlguard keygen</c>, <c>sign</c> and <c>verify</c>: thin adapters over the core OMS signing.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class SigningCommandTests : IDisposable
{
    private const string PassphraseVariable = "MLGUARD_SIGNING_KEY_PASSWORD";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Cli.Run(args);

    /// <summary>A model folder with two files.</summary>
    private string Model()
    {
        _dir.Write("model/weights.bin", "weights");
        _dir.Write("model/config/config.json", "{}");
        return _dir.Combine("model");
    }

    private (string Private, string Public) Keygen(string curve = "p256", string name = "key")
    {
        var (priv, pub) = (_dir.Combine(name + ".pem"), _dir.Combine(name + ".pub.pem"));
        var (code, _, stderr) = Run("keygen", "--private-key", priv, "--public-key", pub, "--curve", curve);
        Assert.True(code == 0, stderr);
        return (priv, pub);
    }

    /// <summary>Signs <paramref name="model"/> into MODEL.sig with a new key; returns the public key.</summary>
    private string Signed(string model)
    {
        var (priv, pub) = Keygen();
        var (code, _, stderr) = Run("sign", model, "--private-key", priv);
        Assert.True(code == 0, stderr);
        return pub;
    }

    [Fact]
    public void Keygen_writes_pkcs8_and_spki_pem_with_an_owner_only_private_key()
    {
        var (priv, pub) = Keygen();

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", File.ReadAllText(priv), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", File.ReadAllText(pub), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(priv));
        }

        Assert.Equal([priv, pub], Directory.GetFiles(_dir.Path).Order(StringComparer.Ordinal).ToArray()); // no temporary files left
    }

    [Fact]
    public void Keygen_never_overwrites_and_writes_nothing_when_either_file_exists()
    {
        var existing = _dir.Write("old.pem", "keep me");

        var first = Run("keygen", "--private-key", existing, "--public-key", _dir.Combine("new.pub.pem"));
        var second = Run("keygen", "--private-key", _dir.Combine("new.pem"), "--public-key", existing);

        Assert.Equal(2, first.ExitCode);
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("already exists", first.Stderr, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.Equal([existing], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Keygen_rejects_an_unknown_curve()
    {
        var (code, _, stderr) = Run("keygen", "--private-key", _dir.Combine("k.pem"), "--public-key", _dir.Combine("k.pub"), "--curve", "p192");

        Assert.Equal(2, code);
        Assert.Contains("p192", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Theory]
    [InlineData("p256")]
    [InlineData("p384")]
    [InlineData("p521")]
    public void Keygen_sign_verify_round_trips_on_every_curve(string curve)
    {
        var model = Model();
        var (priv, pub) = Keygen(curve);

        var sign = Run("sign", model, "--private-key", priv);
        Assert.True(sign.ExitCode == 0, sign.Stderr);
        Assert.True(File.Exists(model + ".sig"));

        var (code, stdout, stderr) = Run("verify", model, "--public-key", pub);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("", stdout);
        Assert.Contains("is valid", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_file_model_with_an_explicit_signature_path_round_trips()
    {
        var model = _dir.Write("m.onnx", "onnx bytes");
        var (priv, pub) = Keygen();
        var signature = _dir.Combine("sigs", "m.bundle");

        Assert.Equal(0, Run("sign", model, "--private-key", priv, "--signature", signature).ExitCode);
        Assert.True(File.Exists(signature));
        Assert.Equal(0, Run("verify", model, "--public-key", pub, "--signature", signature).ExitCode);
        Assert.Equal(1, Run("verify", model, "--public-key", pub).ExitCode); // m.onnx.sig does not exist
    }

    [Fact]
    public void A_changed_single_file_model_is_named_by_its_file_name()
    {
        var model = _dir.Write("m.onnx", "onnx bytes");
        var (priv, pub) = Keygen();
        Assert.Equal(0, Run("sign", model, "--private-key", priv).ExitCode);
        File.WriteAllText(model, "other bytes");

        var (code, stdout, _) = Run("verify", model, "--public-key", pub);

        Assert.Equal(1, code);
        Assert.Contains("the content of m.onnx changed since it was signed", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("files: .", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Shard_size_signs_with_the_shards_method_which_verifies_and_catches_a_changed_byte()
    {
        var model = _dir.Write("big.bin", new string('w', 2500));
        var (priv, pub) = Keygen();

        var (signCode, _, signErr) = Run("sign", model, "--private-key", priv, "--shard-size", "1000");
        var statement = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(System.Text.Json.JsonDocument.Parse(File.ReadAllText(model + ".sig"))
            .RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!)).RootElement.GetProperty("predicate");
        var valid = Run("verify", model, "--public-key", pub).ExitCode;
        var bytes = File.ReadAllBytes(model);
        bytes[1500] ^= 1;
        File.WriteAllBytes(model, bytes);
        var (tamperedCode, tamperedOut, _) = Run("verify", model, "--public-key", pub);

        Assert.True(signCode == 0, signErr);
        Assert.Equal("shards", statement.GetProperty("serialization").GetProperty("method").GetString());
        Assert.Equal([".:0:1000", ".:1000:2000", ".:2000:2500"],
            statement.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(0, valid);
        Assert.Equal(1, tamperedCode);
        Assert.Contains("MLG603", tamperedOut, StringComparison.Ordinal);
        Assert.Equal(2, Run("sign", model, "--private-key", priv, "--shard-size", "0").ExitCode);
    }

    [Fact]
    public void A_changed_byte_is_MLG603_naming_the_changed_file()
    {
        var model = Model();
        var pub = Signed(model);
        var path = Path.Combine(model, "weights.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[0] ^= 1;
        File.WriteAllBytes(path, bytes);

        var (code, stdout, _) = Run("verify", model, "--public-key", pub);

        Assert.Equal(1, code);
        Assert.StartsWith($"{model}.sig: error MLG603: ", stdout, StringComparison.Ordinal);
        Assert.Contains("changed files: weights.bin", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_added_file_is_MLG603_naming_the_extra_file()
    {
        var model = Model();
        var pub = Signed(model);
        _dir.Write("model/payload.py", "import os");

        var (code, stdout, _) = Run("verify", model, "--public-key", pub);

        Assert.Equal(1, code);
        Assert.Contains("error MLG603: ", stdout, StringComparison.Ordinal);
        Assert.Contains("extra files: payload.py", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_removed_file_is_MLG603_naming_the_missing_file()
    {
        var model = Model();
        var pub = Signed(model);
        File.Delete(Path.Combine(model, "config", "config.json"));

        var (code, stdout, _) = Run("verify", model, "--public-key", pub);

        Assert.Equal(1, code);
        Assert.Contains("error MLG603: ", stdout, StringComparison.Ordinal);
        Assert.Contains("missing files: config/config.json", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_key_is_MLG604()
    {
        var model = Model();
        Signed(model);
        var (_, otherPub) = Keygen(name: "other");

        var (code, stdout, _) = Run("verify", model, "--public-key", otherPub);

        Assert.Equal(1, code);
        Assert.StartsWith($"{model}.sig: error MLG604: ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void No_signature_is_MLG602()
    {
        var model = Model();
        var (_, pub) = Keygen();

        var (code, stdout, _) = Run("verify", model, "--public-key", pub);

        Assert.Equal(1, code);
        Assert.StartsWith($"{model}: error MLG602: ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_bundle_is_MLG603()
    {
        var model = Model();
        var (_, pub) = Keygen();
        File.WriteAllText(model + ".sig", "{\"mediaType\": \"not a bundle\"");

        var (code, stdout, _) = Run("verify", model, "--public-key", pub);

        Assert.Equal(1, code);
        Assert.StartsWith($"{model}.sig: error MLG603: ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_private_key_given_as_the_public_key_is_MLG606_without_its_material()
    {
        var model = Model();
        var (priv, _) = Keygen();
        Run("sign", model, "--private-key", priv);

        var (code, stdout, stderr) = Run("verify", model, "--public-key", priv);

        Assert.Equal(2, code);
        Assert.StartsWith($"{priv}: error MLG606: ", stdout, StringComparison.Ordinal);
        AssertNoKeyMaterial(stdout + stderr, priv);
    }

    [Fact]
    public void Usage_and_io_errors_exit_2()
    {
        var model = Model();
        var (priv, pub) = Keygen();
        var garbage = _dir.Write("garbage.pem", "not a key");

        Assert.Equal(2, Run("verify", _dir.Combine("absent"), "--public-key", pub).ExitCode);
        Assert.Equal(2, Run("verify", model, "--public-key", _dir.Combine("absent.pem")).ExitCode);
        Assert.Equal(2, Run("verify", model, "--public-key", garbage).ExitCode);
        Assert.Equal(2, Run("verify", model).ExitCode);
        Assert.Equal(2, Run("sign", _dir.Combine("absent"), "--private-key", priv).ExitCode);
        Assert.Equal(2, Run("sign", model).ExitCode);
    }

    [Fact]
    public void An_unreadable_or_public_signing_key_is_MLG605_and_exit_2()
    {
        var model = Model();
        var (_, pub) = Keygen();

        var missing = Run("sign", model, "--private-key", _dir.Combine("absent.pem"));
        var wrongKind = Run("sign", model, "--private-key", pub);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("error MLG605: ", missing.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, wrongKind.ExitCode);
        Assert.StartsWith($"{pub}: error MLG605: ", wrongKind.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(model + ".sig"));
    }

    [LinuxFact]
    public void An_encrypted_key_signs_with_the_passphrase_from_the_environment_and_a_wrong_one_is_MLG605()
    {
        var model = Model();
        var plain = _dir.Combine("plain.pem");
        var encrypted = _dir.Combine("encrypted.pem");
        var pub = _dir.Combine("encrypted.pub.pem");
        RunTool("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", plain);
        RunTool("openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:s3cret-Pass", "-in", plain, "-out", encrypted);
        RunTool("openssl", "pkey", "-in", plain, "-pubout", "-out", pub);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(encrypted), StringComparison.Ordinal);

        var none = WithPassphrase(null, () => Run("sign", model, "--private-key", encrypted));
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("error MLG605: ", none.Stdout, StringComparison.Ordinal);

        var wrong = WithPassphrase("wrong-Pass", () => Run("sign", model, "--private-key", encrypted));
        Assert.Equal(2, wrong.ExitCode);
        Assert.StartsWith($"{encrypted}: error MLG605: ", wrong.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-Pass", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-Pass", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
        AssertNoKeyMaterial(wrong.Stdout + wrong.Stderr, encrypted);
        Assert.False(File.Exists(model + ".sig"));

        var right = WithPassphrase("s3cret-Pass", () => Run("sign", model, "--private-key", encrypted));
        Assert.True(right.ExitCode == 0, right.Stdout + right.Stderr);
        Assert.DoesNotContain("s3cret-Pass", right.Stdout + right.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, Run("verify", model, "--public-key", pub).ExitCode);
    }

    [Fact]
    public void A_golden_bundle_of_the_reference_implementation_verifies()
    {
        var golden = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "testdata", "oms", "golden"));
        var model = Path.Combine(golden, "v1.1.0-elliptic-key");

        var (code, stdout, stderr) = Run("verify", model, "--public-key", Path.Combine(golden, "keys", "signing-key-pub.pem"),
            "--signature", Path.Combine(model, "model.sig"));

        Assert.True(code == 0, stdout + stderr);
    }

    /// <summary>No PEM armour and no base64 line of the key file appears in <paramref name="output"/>.</summary>
    private static void AssertNoKeyMaterial(string output, string keyFile)
    {
        Assert.DoesNotContain("-----BEGIN", output, StringComparison.Ordinal);
        foreach (var line in File.ReadAllLines(keyFile).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, output, StringComparison.Ordinal);
        }
    }

    /// <summary>Runs <paramref name="action"/> with the passphrase variable set (or unset), then restores it.</summary>
    private static T WithPassphrase<T>(string? value, Func<T> action)
    {
        var previous = Environment.GetEnvironmentVariable(PassphraseVariable);
        Environment.SetEnvironmentVariable(PassphraseVariable, value);
        try
        {
            return action();
        }
        finally
        {
            Environment.SetEnvironmentVariable(PassphraseVariable, previous);
        }
    }

    private static void RunTool(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)}: {stdout.Result}{stderr}");
    }
}
