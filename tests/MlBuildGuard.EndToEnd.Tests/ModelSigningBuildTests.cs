using System.IO.Compression;
using System.Security.Cryptography;
using MlBuildGuard.EndToEnd.Tests.Infrastructure;

namespace MlBuildGuard.EndToEnd.Tests;

/// <summary>Signing produced models and verifying consumed ones (MLG601–MLG606) through real builds of the packed package.</summary>
[Collection(PackagesCollection.Name)]
public sealed class ModelSigningBuildTests(PackagesFixture packages)
{
    /// <summary>An ECDSA P-256 key pair made without MlBuildGuard: the private key outside any project, the public key returned as PEM.</summary>
    private string NewKeyPair(out string publicPem)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var folder = Path.Combine(packages.Root, "keys-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var privateKey = Path.Combine(folder, "signing.pem");
        File.WriteAllText(privateKey, ec.ExportPkcs8PrivateKeyPem());
        publicPem = ec.ExportSubjectPublicKeyInfoPem();
        return privateKey;
    }

    /// <summary>A project that produces models/out.pt (a clean checkpoint) and declares it as MlModelOutput.</summary>
    private TestProject Producer()
    {
        var p = new TestProject(packages, "signer").WithProject("""
              <ItemGroup>
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
            """);
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        return p;
    }

    /// <summary>A project that consumes models/out.pt, trusting the key in keys/publisher.pub.pem.</summary>
    private TestProject Consumer(string publicPem, string signedModel)
    {
        var p = new TestProject(packages, "consumer").WithProject("""
              <ItemGroup>
                <MlModel Include="models/out.pt" />
                <MlTrustedKey Include="keys/publisher.pub.pem" />
              </ItemGroup>
            """);
        p.Write("keys/publisher.pub.pem", publicPem);
        Directory.CreateDirectory(Path.Combine(p.Directory, "models"));
        File.Copy(signedModel, Path.Combine(p.Directory, "models", "out.pt"));
        File.Copy(signedModel + ".sig", Path.Combine(p.Directory, "models", "out.pt.sig"));
        return p;
    }

    [Fact]
    public void Without_a_key_a_model_output_is_an_MLG601_warning_on_CI_and_with_one_the_build_signs_it_once()
    {
        var p = Producer();
        var model = Path.Combine(p.Directory, "models", "out.pt");
        var key = NewKeyPair(out _);

        var local = p.Build();
        var unsigned = p.Build("--no-restore", "-p:ContinuousIntegrationBuild=true", "-p:RestoreLockedMode=true");
        var signed = p.Build("--no-restore", "-p:MlGuardSigningKey=" + key);
        var again = p.Build("--no-restore", "-p:MlGuardSigningKey=" + key);

        Assert.True(local.ExitCode == 0, local.ToString());
        Assert.Empty(local.Diagnostics); // off CI, no key is a message and a word in the summary
        Assert.Contains("1 model sealed (not signed)", local.Output, StringComparison.Ordinal);
        Assert.True(unsigned.ExitCode == 0, unsigned.ToString());
        var warning = Assert.Single(unsigned.Diagnostics);
        Assert.Equal(("warning", "MLG601", model), (warning.Kind, warning.Code, warning.File));
        Assert.True(signed.ExitCode == 0, signed.ToString());
        Assert.Empty(signed.Diagnostics);
        Assert.Contains("MlBuildGuard: signed 'models/out.pt' with a P256 key into 'models/out.pt.sig'.", signed.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(model + ".sig"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("MlBuildGuard: signed", again.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", signed.Output + unsigned.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_signed_by_a_build_verifies_in_a_consumer_and_fails_with_MLG603_once_tampered()
    {
        var producer = Producer();
        var key = NewKeyPair(out var publicPem);
        var produced = producer.Build("-p:MlGuardSigningKey=" + key);
        Assert.True(produced.ExitCode == 0, produced.ToString());

        var consumer = Consumer(publicPem, Path.Combine(producer.Directory, "models", "out.pt"));
        var valid = consumer.Build("-v:n");
        var again = consumer.Build("--no-restore", "-v:n");
        TestModels.WriteCheckpoint(Path.Combine(consumer.Directory, "models", "out.pt"), TestModels.DataPickle(2));
        var tampered = consumer.Build("--no-restore");

        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.Empty(valid.Diagnostics);
        Assert.Contains("MlBuildGuard model signatures: 1 model(s) checked, 1 valid, 0 unchanged since verified.", valid.Output, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("MlBuildGuard model signatures: 1 model(s) checked, 1 valid, 1 unchanged since verified.", again.Output, StringComparison.Ordinal);
        Assert.Equal(1, tampered.ExitCode);
        var error = Assert.Single(tampered.Diagnostics);
        Assert.Equal(("error", "MLG603", Path.Combine(consumer.Directory, "models", "out.pt")), (error.Kind, error.Code, error.File));
        Assert.Contains("the content of out.pt changed since it was signed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_signed_by_another_key_is_MLG604_and_an_unsigned_one_MLG602()
    {
        var producer = Producer();
        var key = NewKeyPair(out _);
        Assert.Equal(0, producer.Build("-p:MlGuardSigningKey=" + key).ExitCode);
        NewKeyPair(out var otherPublicPem);

        var consumer = Consumer(otherPublicPem, Path.Combine(producer.Directory, "models", "out.pt"));
        var untrusted = consumer.Build();
        File.Delete(Path.Combine(consumer.Directory, "models", "out.pt.sig"));
        var missing = consumer.Build("--no-restore");

        Assert.Equal(1, untrusted.ExitCode);
        Assert.Equal(["MLG604"], untrusted.Codes("error"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal(["MLG602"], missing.Codes("error"));
    }

    [Fact]
    public void A_private_key_among_training_inputs_is_MLG606_at_its_declaration_and_nothing_is_locked()
    {
        var key = NewKeyPair(out _);
        var p = new TestProject(packages, "secretdata").WithProject("""
              <ItemGroup>
                <MlTrainingInput Include="data/*.tsv" />
              </ItemGroup>
            """);
        p.Write("data/train.tsv", "label\ttext\n1\tgood\n");
        p.Write("data/leaked.tsv", "label\ttext\n0\t" + File.ReadAllText(key).ReplaceLineEndings(" \n"));

        var withKey = p.Build();
        File.Delete(Path.Combine(p.Directory, "data", "leaked.tsv"));
        var withoutKey = p.Build("--no-restore");

        Assert.Equal(1, withKey.ExitCode);
        var finding = Assert.Single(withKey.Diagnostics, d => d.Code == "MLG606");
        Assert.Equal(p.ProjectFile, finding.File);
        Assert.Equal(p.LineOf("<MlTrainingInput Include=\"data/*.tsv\""), finding.Line);
        Assert.Contains("'data/leaked.tsv' holds private key material", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", withKey.Output, StringComparison.Ordinal);
        Assert.True(withoutKey.ExitCode == 0, withoutKey.ToString());
        Assert.Empty(withoutKey.Diagnostics);
        Assert.DoesNotContain("leaked.tsv", File.ReadAllText(p.LockFile), StringComparison.Ordinal); // the lock came only once the key was gone
    }

    [Fact]
    public void The_signing_key_and_its_passphrase_from_the_environment_reach_no_binlog_log_or_output_file()
    {
        var producer = Producer();
        const string passphrase = "binlog-canary-passphrase-7f3a";
        string pem;
        using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            pem = ec.ExportEncryptedPkcs8PrivateKeyPem(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
        }

        var keyBody = pem.Split('\n')[1]; // a line of the key's base64
        producer.Environment["MLGUARD_SIGNING_KEY"] = pem;
        producer.Environment["MLGUARD_SIGNING_KEY_PASSWORD"] = passphrase;

        var build = producer.Build("-bl:build.binlog");
        using var binlog = new GZipStream(File.OpenRead(Path.Combine(producer.Directory, "build.binlog")), CompressionMode.Decompress);
        using var text = new MemoryStream();
        binlog.CopyTo(text);
        var logged = System.Text.Encoding.Latin1.GetString(text.ToArray());
        var written = string.Concat(Directory.GetFiles(producer.Directory, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".binlog", StringComparison.Ordinal) && new FileInfo(f).Length < 1 << 20)
            .Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.True(File.Exists(Path.Combine(producer.Directory, "models", "out.pt.sig")));
        Assert.Contains("MlGuardSignModelOutputs", logged, StringComparison.Ordinal); // the binlog was read: it names the task
        foreach (var secret in new[] { passphrase, keyBody })
        {
            Assert.DoesNotContain(secret, logged, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, build.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, written, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_consumed_model_is_recorded_with_its_digest_verdict_and_signing_key_in_the_provenance_and_the_bom()
    {
        var key = NewKeyPair(out var publicPem);
        var p = new TestProject(packages, "records").WithProject("""
              <ItemGroup>
                <MlModel Include="models/in.pt" TrustedKey="keys/publisher.pub.pem" />
                <MlModel Include="models/vocab.txt" />
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
            """);
        p.Write("keys/publisher.pub.pem", publicPem);
        p.Write("models/vocab.txt", "hello\nworld\n");
        var input = Path.Combine(p.Directory, "models", "in.pt");
        TestModels.WriteCheckpoint(input, TestModels.DataPickle(1));
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        var signer = MlBuildGuard.Core.Signing.OmsPrivateKey.FromPem(File.ReadAllText(key));
        MlBuildGuard.Core.Signing.OmsSigner.SignToFile(input, signer);

        var build = p.Build();

        Assert.True(build.ExitCode == 0, build.ToString());
        var output = Path.Combine(p.Directory, "bin", "Debug", "net10.0");
        using var provenance = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "mlguard.provenance.json")));
        var consumed = provenance.RootElement.GetProperty("predicate").GetProperty("buildDefinition").GetProperty("resolvedDependencies")
            .EnumerateArray().Where(d => d.TryGetProperty("name", out var n) && n.GetString()!.StartsWith("models/", StringComparison.Ordinal))
            .ToDictionary(d => d.GetProperty("name").GetString()!);
        Assert.Equal(["models/in.pt", "models/vocab.txt"], consumed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(input))),
            consumed["models/in.pt"].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal("verified", consumed["models/in.pt"].GetProperty("annotations").GetProperty("signature").GetString());
        Assert.Equal(signer.PublicKey.Hint, consumed["models/in.pt"].GetProperty("annotations").GetProperty("keyFingerprint").GetString());
        Assert.Equal("not checked", consumed["models/vocab.txt"].GetProperty("annotations").GetProperty("signature").GetString());
        var bom = File.ReadAllText(Path.Combine(output, "mlguard.cdx.json"));
        Assert.Contains("\"consumed-model:models/in.pt\"", bom, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_time_builds_neither_verify_nor_sign()
    {
        var key = NewKeyPair(out var publicPem);
        var p = new TestProject(packages, "designtime").WithProject("""
              <ItemGroup>
                <MlModel Include="models/in.pt" />
                <MlTrustedKey Include="keys/publisher.pub.pem" />
                <MlModelOutput Include="models/out.pt" />
              </ItemGroup>
            """);
        p.Write("keys/publisher.pub.pem", publicPem);
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "in.pt"), TestModels.DataPickle(1));
        TestModels.WriteCheckpoint(Path.Combine(p.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        p.Environment["MLGUARD_SIGNING_KEY"] = File.ReadAllText(key);
        Assert.Equal(0, p.Restore().ExitCode);

        var designTime = p.DesignTimeBuild();
        var full = p.Build("--no-restore");

        Assert.True(designTime.ExitCode == 0, designTime.ToString());
        Assert.DoesNotContain("MlBuildGuard", designTime.Output, StringComparison.Ordinal);
        Assert.Equal(1, full.ExitCode);
        Assert.Equal(["MLG602"], full.Codes("error"));
        Assert.False(File.Exists(Path.Combine(p.Directory, "models", "out.pt.sig")), "a failed build signs nothing");
    }

    [Fact]
    public void An_unusable_signing_key_is_MLG605_without_key_material_and_a_private_trusted_key_is_MLG606()
    {
        var producer = Producer();
        var key = NewKeyPair(out _);
        var encrypted = Path.Combine(Path.GetDirectoryName(key)!, "encrypted.pem");
        using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(encrypted, ec.ExportEncryptedPkcs8PrivateKeyPem("right-passphrase",
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        }

        producer.Environment["MLGUARD_SIGNING_KEY_PASSWORD"] = "wrong-passphrase";
        var wrongPassphrase = producer.Build("-p:MlGuardSigningKey=" + encrypted);
        var signedWithWrongPassphrase = File.Exists(Path.Combine(producer.Directory, "models", "out.pt.sig"));
        producer.Environment["MLGUARD_SIGNING_KEY_PASSWORD"] = "right-passphrase";
        var rightPassphrase = producer.Build("--no-restore", "-p:MlGuardSigningKey=" + encrypted);

        var consumer = new TestProject(packages, "consumer").WithProject("""
              <ItemGroup>
                <MlModel Include="models/out.pt" />
                <MlTrustedKey Include="keys/publisher.pem" />
              </ItemGroup>
            """);
        consumer.Write("keys/publisher.pem", File.ReadAllText(key));
        TestModels.WriteCheckpoint(Path.Combine(consumer.Directory, "models", "out.pt"), TestModels.DataPickle(1));
        var privateTrusted = consumer.Build();

        Assert.Equal(1, wrongPassphrase.ExitCode);
        Assert.Equal(["MLG605"], wrongPassphrase.Codes("error"));
        Assert.DoesNotContain("wrong-passphrase", wrongPassphrase.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", wrongPassphrase.Output, StringComparison.Ordinal);
        Assert.False(signedWithWrongPassphrase, "nothing is signed with a key that cannot be opened");
        Assert.True(rightPassphrase.ExitCode == 0, rightPassphrase.ToString());
        Assert.Empty(rightPassphrase.Diagnostics);
        Assert.Equal(1, privateTrusted.ExitCode);
        var finding = Assert.Single(privateTrusted.Diagnostics, d => d.Code == "MLG606");
        Assert.Equal(Path.Combine(consumer.Directory, "keys", "publisher.pem"), finding.File);
        Assert.DoesNotContain("BEGIN", privateTrusted.Output, StringComparison.Ordinal);
    }
}
