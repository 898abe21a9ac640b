using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Locking;
using LockFile = MlBuildGuard.Core.Locking.LockFile;
using NuGet.Frameworks;
using NuGet.LibraryModel;
using NuGet.ProjectModel;
using NuGet.Versioning;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>Valid inputs of each format, the seeds every mutation starts from.</summary>
internal static class Samples
{
    public const string TrainingData = "label\ttext\n1\tgood\n0\tbad\n";

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A lock as the writer makes it: the training input data/train.tsv (holding <see cref="TrainingData"/>) and a zip model output.</summary>
    public static byte[] Lock()
    {
        var lockFile = new LockFile();
        lockFile.TrainingInputs["data/train.tsv"] = new LockedFile(Sha256(TrainingData), Encoding.UTF8.GetByteCount(TrainingData), "https://example.org/reviews-v3");
        lockFile.TrainingInputs["data/labels.csv"] = new LockedFile(Sha256("a,b\n"), 4);
        var entries = new SortedDictionary<string, string>(Utf8OrdinalComparer.Instance) { ["archive/data.pkl"] = Sha256("pkl"), ["archive/version"] = Sha256("3\n") };
        return LockFileWriter.ToBytes(lockFile.WithModelOutputs([new("bin/Debug/net10.0/model.zip", new LockedFile(Sha256("model"), 5, null, entries))]));
    }

    public const string ContentHash = "HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==";

    public static byte[] PackagesLock() => Encoding.UTF8.GetBytes($$"""
        {
          "version": 1,
          "dependencies": {
            "net10.0": {
              "Contoso.Widget": {
                "type": "Direct",
                "requested": "[1.2.3, )",
                "resolved": "1.2.3",
                "contentHash": "{{ContentHash}}",
                "dependencies": { "Contoso.Core": "[2.0.0, )" }
              },
              "Contoso.Core": { "type": "Transitive", "resolved": "2.0.0", "contentHash": "{{ContentHash}}" },
              "lib": { "type": "Project", "dependencies": { "Contoso.Core": "[2.0.0, )" } }
            },
            "net10.0/linux-x64": {
              "Contoso.Core": { "type": "Transitive", "resolved": "2.0.0", "contentHash": "{{ContentHash}}" }
            }
          }
        }
        """);

    /// <summary>A restore result written by NuGet's own writer (two packages, one direct), matching <see cref="PackagesLock"/>.</summary>
    public static byte[] Assets()
    {
        var framework = NuGetFramework.Parse("net10.0");
        var assets = new NuGet.ProjectModel.LockFile { Version = 3 };
        var target = new LockFileTarget { TargetFramework = framework };
        foreach (var (id, version, deps) in new[] { ("Contoso.Widget", "1.2.3", new[] { "Contoso.Core" }), ("Contoso.Core", "2.0.0", Array.Empty<string>()) })
        {
            var v = NuGetVersion.Parse(version);
            target.Libraries.Add(new LockFileTargetLibrary
            {
                Name = id,
                Version = v,
                Type = "package",
                Dependencies = deps.Select(d => new NuGet.Packaging.Core.PackageDependency(d, VersionRange.Parse("2.0.0"))).ToList(),
            });
            assets.Libraries.Add(new LockFileLibrary { Name = id, Version = v, Type = "package", Sha512 = ContentHash, Path = $"{id.ToLowerInvariant()}/{version}" });
        }

        assets.Targets.Add(target);
        assets.ProjectFileDependencyGroups.Add(new ProjectFileDependencyGroup("net10.0", ["Contoso.Widget >= 1.2.3"]));
        var spec = new PackageSpec([new TargetFrameworkInformation
        {
            FrameworkName = framework,
            TargetAlias = "net10.0",
            Dependencies = [new LibraryDependency { LibraryRange = new LibraryRange("Contoso.Widget", VersionRange.Parse("1.2.3"), LibraryDependencyTarget.Package) }],
        }])
        {
            Name = "app",
            Version = NuGetVersion.Parse("1.0.0"),
            RestoreMetadata = new ProjectRestoreMetadata { ProjectName = "app", ProjectUniqueName = "/src/app/app.csproj", ProjectPath = "/src/app/app.csproj", ProjectStyle = ProjectStyle.PackageReference },
        };
        assets.PackageSpec = spec;
        using var stream = new MemoryStream();
        new LockFileFormat().Write(stream, assets);
        return stream.ToArray();
    }

    public static byte[] NuGetConfig() => """
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <config>
            <add key="globalPackagesFolder" value="packages" />
          </config>
          <packageSources>
            <clear />
            <add key="local" value="feed" />
            <add key="contoso" value="https://nuget.contoso.test/v3/index.json" protocolVersion="3" />
          </packageSources>
          <packageSourceMapping>
            <packageSource key="local"><package pattern="Contoso.*" /></packageSource>
            <packageSource key="contoso"><package pattern="*" /></packageSource>
          </packageSourceMapping>
          <auditSources><clear /></auditSources>
          <disabledPackageSources><add key="contoso" value="false" /></disabledPackageSources>
        </configuration>
        """u8.ToArray();

    public static readonly string[] XmlTokens =
    [
        "<!DOCTYPE configuration [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>", "&b;", "&a;", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
        "&x;", "<![CDATA[", "]]>", "<add key=\"k\" value=\"v\" value=\"w\" />", "<packageSources>", "</packageSources>", "<clear />",
        "<?xml version=\"1.1\" encoding=\"utf-16\"?>", "<configuration>", "</configuration>", "<a><a><a><a><a><a><a><a>", "\"", "<", ">", "=",
        "<add key=\"\" value=\"\" />", "<add key=\"x\" value=\"%HOME%/../..\" />", "<package pattern=\"*\" />", "<packageSource key=\"nowhere\">",
    ];

    /// <summary>The OSV advisory the repository's sample ships, as the GitHub Advisory Database publishes them.</summary>
    public static byte[] Osv() => File.ReadAllBytes(RepositoryPaths.Combine("samples", "advisories", "GHSA-447r-wph3-92pm.json"));

    public static byte[] OsvWithEverything() => """
        {
          "schema_version": "1.4.0",
          "id": "GHSA-aaaa-bbbb-cccc",
          "modified": "2026-01-01T00:00:00Z",
          "severity": [ { "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" } ],
          "affected": [
            { "package": { "ecosystem": "NuGet", "name": "Contoso.Widget" },
              "ranges": [ { "type": "ECOSYSTEM", "events": [ { "introduced": "0" }, { "fixed": "1.2.4" }, { "introduced": "2.0.0" }, { "last_affected": "2.1.0" } ] },
                          { "type": "GIT", "events": [ { "introduced": "0" } ] } ],
              "versions": [ "1.0.0", "1.2.3" ],
              "database_specific": { "severity": "HIGH" } },
            { "package": { "ecosystem": "PyPI", "name": "torch" } }
          ],
          "references": [ { "type": "ADVISORY", "url": "https://example.org/advisory" } ],
          "database_specific": { "severity": "MODERATE" }
        }
        """u8.ToArray();

    public static byte[] VulnerabilityPage() => """
        {
          "contoso.widget": [
            { "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc", "severity": 2, "versions": "[1.0.0, 1.2.4)" },
            { "url": "https://example.org/a", "severity": 3, "versions": "(, 0.9.0]" }
          ],
          "contoso.core": []
        }
        """u8.ToArray();

    public static byte[] VulnerabilityIndex() => """
        [ { "@name": "base", "@id": "https://example.org/v3/vulnerabilities/base.json", "@updated": "2026-11-01T00:00:00Z" } ]
        """u8.ToArray();

    /// <summary>A zip the way OSV exports an ecosystem (all.zip): one advisory per entry.</summary>
    public static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(content);
            }
        }

        return stream.ToArray();
    }

    public static byte[] Requirements() => """
        # training step
        --index-url https://pypi.org/simple
        numpy==2.1.3 \
            --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000 \
            --hash=sha256:1111111111111111111111111111111111111111111111111111111111111111
        torch===2.5.1 --hash=sha256:2222222222222222222222222222222222222222222222222222222222222222 ; python_version >= "3.10"
        scikit-learn[extra]==1.5.2 --hash=sha256:3333333333333333333333333333333333333333333333333333333333333333
        -r base-requirements.txt
        """u8.ToArray();

    public static readonly string[] RequirementTokens =
    [
        "==", "===", ">=", "~=", "!=", "\\", "-r ", "--requirement=", "-c ", "-e ", "--hash=sha256:", "--hash=md5:0", "--hash", "#", " ; ", "[", "]",
        "@ https://example.org/x.whl", "file:///etc/passwd", "-r requirements.txt", "-r /dev/null", "-r ../../../../etc/hostname", "pkg==1.0",
        "--index-url", "-i", "--extra-index-url http://evil.test", "git+https://example.org/repo.git#egg=x", "\t", " ",
    ];

    public static byte[] GlobalJson() => """
        {
          "sdk": { "version": "10.0.100", "rollForward": "latestPatch", "allowPrerelease": false },
          "msbuild-sdks": { "Microsoft.Build.Traversal": "4.1.0" }
        }
        """u8.ToArray();

    /// <summary>An ECDSA key pair as PEM texts: SPKI public, PKCS#8 private, SEC1 private, passphrase-encrypted PKCS#8 private.</summary>
    public static (string Public, string Pkcs8, string Sec1, string Encrypted) Keys { get; } = MakeKeys();

    public const string Passphrase = "correct horse";

    private static (string, string, string, string) MakeKeys()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (ec.ExportSubjectPublicKeyInfoPem(), ec.ExportPkcs8PrivateKeyPem(), ec.ExportECPrivateKeyPem(),
            ec.ExportEncryptedPkcs8PrivateKeyPem(Passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
    }

    public static readonly string[] PemTokens =
    [
        "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----", "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----", "-----END EC PRIVATE KEY-----", "-----BEGIN ENCRYPTED PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN CERTIFICATE-----", "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,00000000000000000000000000000000", "====", "=", "AAAA", "////",
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", "MCowBQYDK2VwAyEA", "-----", "\r",
    ];
}
