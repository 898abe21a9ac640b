using System.Text;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Core.Tests.Secrets;

public sealed class PrivateKeyDetectorTests
{
    private static readonly string Pkcs8 = OmsPrivateKey.Generate().ToPkcs8Pem();

    public static TheoryData<string> PrivateHeaders => new()
    {
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
    };

    [Theory]
    [MemberData(nameof(PrivateHeaders))]
    public void Every_kind_of_private_key_header_is_found(string header)
    {
        Assert.True(PrivateKeyDetector.Contains(Encoding.ASCII.GetBytes("id\ttext\n1\t" + header + "\nMIGHAgEA\n")));
    }

    [Theory]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n")]
    [InlineData("-----END PRIVATE KEY-----\n")] // an end line alone is not a key
    [InlineData("the words PRIVATE KEY----- on a line of their own\n")]
    [InlineData("-----BEGIN \nPRIVATE KEY-----\n")] // the header must be one line
    [InlineData("")]
    public void Public_keys_and_near_misses_are_not_private_keys(string text)
    {
        Assert.False(PrivateKeyDetector.Contains(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void A_key_split_across_chunks_at_any_offset_is_found()
    {
        var data = Encoding.ASCII.GetBytes(new string('x', 300) + "\n" + Pkcs8 + new string('y', 300));
        for (var cut = 1; cut < data.Length; cut++)
        {
            var detector = new PrivateKeyDetector();
            detector.Append(data.AsSpan(0, cut));
            detector.Append(data.AsSpan(cut));
            Assert.True(detector.Found, $"split at {cut}");
        }
    }

    [Fact]
    public void A_key_fed_one_byte_at_a_time_is_found_and_clean_data_is_not()
    {
        var key = Encoding.ASCII.GetBytes("a,b\n" + Pkcs8);
        var clean = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("-----BEGIN PUBLIC KEY----- PRIVATE KE\n", 20)));
        var withKey = new PrivateKeyDetector();
        var withoutKey = new PrivateKeyDetector();
        foreach (var b in key)
        {
            withKey.Append([b]);
        }

        foreach (var b in clean)
        {
            withoutKey.Append([b]);
        }

        Assert.True(withKey.Found);
        Assert.False(withoutKey.Found);
    }

    [Fact]
    public void Hashing_a_file_reports_a_key_deep_inside_a_large_file_in_the_same_pass()
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var path = dir.Combine("big.tsv");
        using (var stream = File.Create(path))
        {
            var filler = Encoding.ASCII.GetBytes(new string('z', Sha256File.BufferSize - 20) + "\n");
            stream.Write(filler); // the header straddles the 1 MiB read boundary
            stream.Write(Encoding.ASCII.GetBytes(Pkcs8));
            stream.Write(filler);
        }

        var digest = Sha256File.Compute(path);
        File.WriteAllText(path, "label\ttext\n1\tfine\n");
        var clean = Sha256File.Compute(path);

        Assert.True(digest.HoldsPrivateKey);
        Assert.False(clean.HoldsPrivateKey);
    }
}
