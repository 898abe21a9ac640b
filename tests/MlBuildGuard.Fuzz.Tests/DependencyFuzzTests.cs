using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Provenance;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>
/// The dependency guard's inputs, through <see cref="DependencyGuard.Run"/> as the build runs it (offline, with an
/// offline advisory folder and a package cache): packages.lock.json (MLG104), project.assets.json (MLG104), nuget.config
/// (MLG203), requirements files (MLG109) and the package-integrity cache under obj/ (a cache can only save time).
/// </summary>
public sealed class DependencyFuzzTests : IDisposable
{
    private readonly ITestOutputHelper _output;

    private readonly TempDirectory _root = new("mlguard-fuzz-deps");

    private string App => _root.Combine("app");

    private DependencyRequest Request(string? lockFile = null, string? assets = null, string? integrityCache = null) => new()
    {
        ProjectDirectory = App,
        ProjectFile = Path.Combine(App, "app.csproj"),
        NuGetLockFile = lockFile ?? Path.Combine(App, "packages.lock.json"),
        AssetsFile = assets,
        RestorePackagesWithLockFile = "true",
        RestoreLockedMode = "true",
        PackagesFolder = _root.Combine("packages"),
        IntegrityCacheFile = integrityCache,
        AdvisoryDatabase = _root.Combine("advisories"),
        Offline = true,
        PythonRequirementFiles = [],
    };

    public DependencyFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        _root.Write("app/app.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Contoso.Widget\" Version=\"1.2.3\" /></ItemGroup></Project>\n");
        File.WriteAllBytes(Path.Combine(App, "packages.lock.json"), Samples.PackagesLock());
        File.WriteAllBytes(_root.Write("advisories/GHSA-447r-wph3-92pm.json", ""), Samples.Osv());
        // A package folder that is not what the lock pins: the integrity check has something to compare.
        _root.Write("packages/contoso.widget/1.2.3/contoso.widget.nuspec", "<package />");
        _root.Write("packages/contoso.widget/1.2.3/contoso.widget.1.2.3.nupkg.sha512", Samples.ContentHash);
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Packages_lock_json_is_MLG104()
    {
        var path = Path.Combine(App, "fuzzed", "packages.lock.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Fuzzer.Run(_output, "packages.lock.json", [Samples.PackagesLock()], input =>
        {
            File.WriteAllBytes(path, input);
            Oracle.NoInternalFailure(DependencyGuard.Run(Request(lockFile: path)).Findings);
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Project_assets_json_is_MLG104_and_provenance_reads_it_or_says_why_not()
    {
        var path = _root.Combine("app", "obj", "project.assets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Fuzzer.Run(_output, "project.assets.json", [Samples.Assets()], input =>
        {
            File.WriteAllBytes(path, input);
            Oracle.NoInternalFailure(DependencyGuard.Run(Request(assets: path)).Findings);
            Oracle.OnlyThrows<DependencyDataException>(() => PackageMaterials.Read(path, _root.Combine("packages")));
        }, JsonMutator.Mutate);
    }

    [Fact]
    public void Nuget_config_is_a_coded_error()
    {
        var project = _root.Combine("configured");
        Directory.CreateDirectory(project);
        Fuzzer.Run(_output, "nuget.config", [Samples.NuGetConfig()], input =>
        {
            File.WriteAllBytes(Path.Combine(project, "nuget.config"), input);
            Oracle.OnlyThrows<DependencyDataException>(() => NuGetPackageFeeds.Load(project));
        }, (random, sample) => TextMutator.Mutate(random, sample, Samples.XmlTokens));
    }

    [Fact]
    public void Requirements_files_are_MLG109()
    {
        var folder = _root.Combine("python");
        _root.Write("python/base-requirements.txt", "requests==2.32.3 --hash=sha256:4444444444444444444444444444444444444444444444444444444444444444\n");
        var path = Path.Combine(folder, "requirements.txt");
        Fuzzer.Run(_output, "requirements.txt", [Samples.Requirements()], input =>
        {
            File.WriteAllBytes(path, input);
            var findings = new List<Finding>();
            PythonRequirements.Check(path, findings);
            Oracle.NoInternalFailure(findings);
            if (findings.Any(f => f.Code != RuleCatalog.UnpinnedPythonRequirement.Code))
            {
                throw new FuzzOracleException("a requirements file gave " + string.Join(", ", findings.Select(f => f.Code).Distinct()));
            }
        }, (random, sample) => TextMutator.Mutate(random, sample, Samples.RequirementTokens));
    }

    [Fact]
    public void The_package_integrity_cache_only_saves_time()
    {
        var cache = _root.Combine("app", "obj", "mlguard", "package-integrity.cache");
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        var expected = Codes(DependencyGuard.Run(Request()));
        DependencyGuard.Run(Request(integrityCache: cache));
        var sample = File.Exists(cache) ? File.ReadAllBytes(cache) : "/nowhere\tfingerprint hash\n"u8.ToArray();
        Fuzzer.Run(_output, "package-integrity cache", [sample], input =>
        {
            File.WriteAllBytes(cache, input);
            var codes = Codes(DependencyGuard.Run(Request(integrityCache: cache)));
            if (codes != expected)
            {
                throw new FuzzOracleException($"with a damaged cache the findings are {codes}, without one {expected}");
            }
        }, (random, sample) => TextMutator.Mutate(random, sample, ["\t", " ", "/", "sha512-", "\n"]));
    }

    private static string Codes(DependencyResult result) => string.Join(",", result.Findings.Select(f => f.Code).Order(StringComparer.Ordinal));
}
