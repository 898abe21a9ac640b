using System.Security.Cryptography;
using System.Text;

namespace MlBuildGuard.Testing.Secrets;

/// <summary>
/// A fake credential of a built-in rule's format: the text to plant (the credential with the field or URL around it that
/// makes it one), the secret the rule should fingerprint, and the rule that should find it.
/// </summary>
public sealed record FakeSecret(string RuleId, string Text, string Secret);

/// <summary>
/// Makes format-valid but random, never-issued credentials at run time. Prefixes are assembled from pieces, so no literal
/// in the repository looks like a token to a push-protection scanner; the random parts come from a seeded generator, so
/// a test or a corpus is the same on every run.
/// </summary>
public sealed class FakeSecrets(int seed)
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private const string Base62 = Upper + Lower + Digits;
    private const string Base64Url = Base62 + "_-";

    private readonly Random _random = new(seed);

    /// <summary>Every built-in rule id, each with a maker of one fake.</summary>
    public IReadOnlyList<(string RuleId, Func<FakeSecret> Make)> Makers => new (string, Func<FakeSecret>)[]
    {
        ("aws-access-key-id", AwsAccessKeyId),
        ("aws-secret-access-key", AwsSecretAccessKey),
        ("azure-storage-account-key", AzureStorageAccountKey),
        ("azure-shared-access-key", AzureSharedAccessKey),
        ("azure-sas-token", AzureSasToken),
        ("gcp-service-account-key", GcpServiceAccountKey),
        ("github-token", GitHubToken),
        ("gitlab-token", GitLabToken),
        ("slack-token", SlackToken),
        ("slack-webhook", SlackWebhook),
        ("stripe-live-key", StripeLiveKey),
        ("openai-api-key", OpenAiApiKey),
        ("anthropic-api-key", AnthropicApiKey),
        ("huggingface-token", HuggingFaceToken),
        ("jwt", Jwt),
        ("connection-string-password", ConnectionStringPassword),
        ("url-password", UrlPassword),
        ("private-key", PrivateKey),
    };

    public string Random(string alphabet, int length) => string.Create(length, (alphabet, _random), static (span, s) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = s.alphabet[s._random.Next(s.alphabet.Length)];
        }
    });

    private byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private static string Join(params string[] parts) => string.Concat(parts);

    public FakeSecret AwsAccessKeyId()
    {
        var id = Join("AK", "IA", Random(Upper + "234567", 16));
        return new("aws-access-key-id", $"aws_access_key_id = {id}", id);
    }

    public FakeSecret AwsSecretAccessKey()
    {
        var key = Random(Base62 + "+/", 40);
        return new("aws-secret-access-key", $"aws_secret_access_key = {key}", key);
    }

    public FakeSecret AzureStorageAccountKey()
    {
        var key = Convert.ToBase64String(Bytes(64));
        return new("azure-storage-account-key", $"DefaultEndpointsProtocol=https;AccountName=fakeacct;Account{"Key"}={key};EndpointSuffix=core.windows.net", key);
    }

    public FakeSecret AzureSharedAccessKey()
    {
        var key = Convert.ToBase64String(Bytes(32));
        return new("azure-shared-access-key", $"Endpoint=sb://fake-ns.servicebus.windows.net/;SharedAccessKeyName=Root;Shared{"Access"}Key={key}", key);
    }

    public FakeSecret AzureSasToken()
    {
        var sig = Uri.EscapeDataString(Convert.ToBase64String(Bytes(32)));
        return new("azure-sas-token", $"https://fakeacct.blob.core.windows.net/data/train.csv?sv=2022-11-02&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=r&{"sig"}={sig}", sig);
    }

    public FakeSecret GcpServiceAccountKey()
    {
        var id = Random("0123456789abcdef", 40);
        var body = Convert.ToBase64String(Bytes(600));
        var json = "{\n  \"type\": \"service_account\",\n  \"project_id\": \"fake-project\",\n  \"private_key_id\": \"" + id
            + "\",\n  \"private_key\": \"-----BEGIN " + "PRIVATE KEY-----\\n" + body + "\\n-----END " + "PRIVATE KEY-----\\n\",\n"
            + "  \"client_email\": \"fake@fake-project.iam.gserviceaccount.com\"\n}";
        return new("gcp-service-account-key", json, id);
    }

    public FakeSecret GitHubToken()
    {
        var token = _random.Next(2) == 0
            ? Join("gh", "pousr"[_random.Next(5)].ToString(), "_", Random(Base62, 36))
            : Join("github", "_pat_", Random(Base62 + "_", 82));
        return new("github-token", $"GITHUB_TOKEN={token}", token);
    }

    public FakeSecret GitLabToken()
    {
        var token = Join("gl", "pat-", Random(Base64Url, 20));
        return new("gitlab-token", $"token: {token}", token);
    }

    public FakeSecret SlackToken()
    {
        var token = Join("xo", "xb-", Random(Digits, 11), "-", Random(Digits, 12), "-", Random(Base62, 24));
        return new("slack-token", $"SLACK_BOT_TOKEN={token}", token);
    }

    public FakeSecret SlackWebhook()
    {
        var url = Join("https://hooks.", "slack.com/services/T", Random(Upper + Digits, 8), "/B", Random(Upper + Digits, 8), "/", Random(Base62, 24));
        return new("slack-webhook", url, url["https://".Length..]);
    }

    public FakeSecret StripeLiveKey()
    {
        var key = Join(_random.Next(2) == 0 ? "sk" : "rk", "_live_", Random(Base62, 24));
        return new("stripe-live-key", $"stripe.api_key = \"{key}\"", key);
    }

    public FakeSecret OpenAiApiKey()
    {
        var key = Join("sk-", "proj-", Random(Base64Url, 56), "T3Blbk", "FJ", Random(Base64Url, 56));
        return new("openai-api-key", $"OPENAI_API_KEY={key}", key);
    }

    public FakeSecret AnthropicApiKey()
    {
        var key = Join("sk-", "ant-", "api03-", Random(Base64Url, 93), "AA");
        return new("anthropic-api-key", $"ANTHROPIC_API_KEY={key}", key);
    }

    public FakeSecret HuggingFaceToken()
    {
        var token = Join("hf", "_", Random(Upper + Lower, 34));
        return new("huggingface-token", $"HF_TOKEN={token}", token);
    }

    public FakeSecret Jwt()
    {
        var header = B64Url(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        var payload = B64Url(Encoding.UTF8.GetBytes($"{{\"sub\":\"{_random.Next(1_000_000)}\",\"name\":\"Fake User\",\"iat\":1700000000}}"));
        var token = $"{header}.{payload}.{B64Url(Bytes(32))}";
        return new("jwt", $"Authorization: Bearer {token}", token);
    }

    public FakeSecret ConnectionStringPassword()
    {
        var password = Random(Base62 + "!#", 16);
        return new("connection-string-password", $"Server=db.fake.test;Database=train;User Id=svc;{"Pass"}word={password};Encrypt=true", password);
    }

    public FakeSecret UrlPassword()
    {
        var password = Random(Base62, 16);
        return new("url-password", $"postgres://svc:{password}@db.fake.test:5432/train", password);
    }

    public FakeSecret PrivateKey()
    {
        var body = Convert.ToBase64String(Bytes(120));
        var pem = "-----BEGIN " + "EC PRIVATE KEY-----\n" + body[..64] + "\n" + body[64..] + "\n-----END " + "EC PRIVATE KEY-----\n";
        return new("private-key", pem, body);
    }

    public static string B64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // ---- benign data that looks random but is no credential ------------------------------------------------------------

    /// <summary>High-entropy values that must not be reported: digests, UUIDs, base64 blobs, numbers, ids.</summary>
    public IEnumerable<string> Benign(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return (i % 6) switch
            {
                0 => Convert.ToHexStringLower(SHA256.HashData(Bytes(16))),
                1 => new Guid(Bytes(16)).ToString(),
                2 => Convert.ToBase64String(Bytes(96)),
                3 => (_random.NextDouble() * 1000 - 500).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                4 => Random(Base62, 40),
                _ => "sha512-" + Convert.ToBase64String(SHA512.HashData(Bytes(8))),
            };
        }
    }

    /// <summary>Random bytes, as in weights or compressed data.</summary>
    public byte[] Noise(int length) => Bytes(length);
}
