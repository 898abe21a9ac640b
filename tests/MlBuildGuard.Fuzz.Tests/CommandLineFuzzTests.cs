using System.Text;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>
/// <c>mlguard verify</c> and <c>mlguard audit</c> in-process, as a user runs them: a mutated signature, public key,
/// NuGet lock, restore result, advisory or nuget.config ends with exit code 1 or 2 and a coded message, never with an
/// "Unhandled exception" and a stack trace.
/// </summary>
public sealed class CommandLineFuzzTests : IDisposable
{
    private readonly ITestOutputHelper _output;

    private readonly TempDirectory _root = new("mlguard-fuzz-cli");

    public CommandLineFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        _root.Write("model.onnx", "signed model bytes");
        _root.Write("key.pub.pem", Samples.Keys.Public);
        OmsSigner.SignToFile(Model, OmsPrivateKey.FromPem(Samples.Keys.Pkcs8));

        // A restored project: its NuGet configuration keeps the package cache inside the test folder.
        File.WriteAllBytes(_root.Write("app/nuget.config", ""), Samples.NuGetConfig());
        _root.Write("app/app.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Contoso.Widget\" Version=\"1.2.3\" /></ItemGroup></Project>\n");
        File.WriteAllBytes(_root.Write("app/packages.lock.json", ""), Samples.PackagesLock());
        File.WriteAllBytes(_root.Write("app/obj/project.assets.json", ""), Samples.Assets());
        File.WriteAllBytes(_root.Write("advisories/GHSA-447r-wph3-92pm.json", ""), Samples.Osv());
    }

    public void Dispose() => _root.Dispose();

    private string Model => _root.Combine("model.onnx");

    private string App => _root.Combine("app");

    [Fact]
    public void Verify_with_a_mutated_signature()
    {
        var signature = Model + ".sig";
        Fuzzer.Run(_output, "mlguard verify (signature)", [File.ReadAllBytes(signature)], input =>
        {
            File.WriteAllBytes(signature, input);
            Oracle.Mlguard("verify", Model, "--public-key", _root.Combine("key.pub.pem"));
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Verify_with_a_mutated_public_key()
    {
        var key = _root.Combine("fuzzed.pub.pem");
        Fuzzer.Run(_output, "mlguard verify (public key)", [Encoding.UTF8.GetBytes(Samples.Keys.Public)], input =>
        {
            File.WriteAllBytes(key, input);
            Oracle.Mlguard("verify", Model, "--public-key", key);
        }, (random, sample) => TextMutator.Mutate(random, sample, Samples.PemTokens));
    }

    [Fact]
    public void Audit_with_a_mutated_packages_lock()
    {
        var lockFile = _root.Combine("bare", "packages.lock.json");
        File.Copy(Path.Combine(App, "nuget.config"), _root.Write("bare/nuget.config", ""), overwrite: true);
        Fuzzer.Run(_output, "mlguard audit (packages.lock.json)", [Samples.PackagesLock()], input =>
        {
            File.WriteAllBytes(lockFile, input);
            Oracle.Mlguard("audit", lockFile, "--offline", "--advisories", _root.Combine("advisories"));
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Audit_with_a_mutated_restore_result()
    {
        var assets = Path.Combine(App, "obj", "project.assets.json");
        Fuzzer.Run(_output, "mlguard audit (project.assets.json)", [Samples.Assets()], input =>
        {
            File.WriteAllBytes(assets, input);
            Oracle.Mlguard("audit", App, "--offline", "--advisories", _root.Combine("advisories"));
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Audit_with_a_mutated_advisory()
    {
        var advisories = _root.Combine("fuzzed-advisories");
        Directory.CreateDirectory(advisories);
        var path = Path.Combine(advisories, "advisory.json");
        var stamp = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Fuzzer.Run(_output, "mlguard audit (advisory)", [Samples.Osv(), Samples.OsvWithEverything(), Samples.VulnerabilityPage()], input =>
        {
            File.WriteAllBytes(path, input);
            File.SetLastWriteTimeUtc(path, stamp = stamp.AddTicks(1));
            Oracle.Mlguard("audit", Path.Combine(App, "packages.lock.json"), "--offline", "--advisories", advisories);
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Audit_with_a_mutated_nuget_config()
    {
        var config = Path.Combine(App, "nuget.config");
        Fuzzer.Run(_output, "mlguard audit (nuget.config)", [Samples.NuGetConfig()], input =>
        {
            File.WriteAllBytes(config, input);
            Oracle.Mlguard("audit", App, "--offline", "--advisories", _root.Combine("advisories"));
        }, (random, sample) => TextMutator.Mutate(random, sample, Samples.XmlTokens));
    }
}
