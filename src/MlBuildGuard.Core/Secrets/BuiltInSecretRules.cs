using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.Secrets.Engine;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// The built-in secret rules: formats that are recognisable with high confidence (a fixed prefix, a checksum-like marker,
/// a decodable structure, or a named field), each behind keywords for the prefilter. Generic shapes carry an entropy
/// threshold. docs/secrets.md documents each rule; the regexes here are written for this project from the providers'
/// published token formats.
/// </summary>
public static class BuiltInSecretRules
{
    private static readonly SearchValues<char> Base62 = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    private static readonly SearchValues<char> Base62Underscore = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    private static readonly SearchValues<char> Base64Url = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    private static readonly SearchValues<char> Base64 = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

    /// <summary>A non-backtracking regex, built when a rule first needs it.</summary>
    private static Func<Regex> Rx(string pattern) => () => new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);

    /// <summary>
    /// Whether an AWS key id can start at a keyword (<c>A3T[A-Z0-9]</c> or a four-letter prefix, then 16 of
    /// <c>[A-Z2-7]</c>), from the bytes at hand; true when they end first.
    /// </summary>
    private static bool MayBeAwsKeyId(ReadOnlySpan<byte> b)
    {
        if (b.Length > 3 && !(b[3] is >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'))
        {
            return false;
        }

        for (var i = 4; i < Math.Min(b.Length, 20); i++)
        {
            if (b[i] is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'2' and <= (byte)'7'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a JWT can start at an <c>eyJ</c>: its header (at least 8 more base64url characters) must end at a '.' that
    /// is followed by <c>eyJ</c>. From the bytes at hand; true when they end first.
    /// </summary>
    private static bool MayBeJwt(ReadOnlySpan<byte> b)
    {
        var i = 3;
        while (i < b.Length && Base64UrlBytes.Contains(b[i]))
        {
            i++;
        }

        if (i == b.Length)
        {
            return true;
        }

        if (i < 3 + 8 || b[i] != '.')
        {
            return false;
        }

        var next = b[(i + 1)..];
        return "eyJ"u8[..Math.Min(3, next.Length)].SequenceEqual(next[..Math.Min(3, next.Length)]);
    }

    private static readonly SearchValues<byte> Base64UrlBytes = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"u8);

    private static Keyword[] Exact(params string[] words) => words.Select(w => new Keyword(w, false)).ToArray();

    private static Keyword[] AnyCase(params string[] words) => words.Select(w => new Keyword(w, true)).ToArray();

    public static SecretRule AwsAccessKeyId { get; } = new()
    {
        Id = "aws-access-key-id",
        Description = "an AWS access key id",
        PatternFactory = Rx("(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"),
        Keywords = Exact("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
        LeadingKeywords = ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        MayStartAt = MayBeAwsKeyId,
        Entropy = 3.0,
        TokenCharacters = Base62,
        Before = 0,
        After = 20,
        Validate = s => !s.EndsWith("EXAMPLE", StringComparison.Ordinal), // AWS's documentation example ids
    };

    public static SecretRule AwsSecretAccessKey { get; } = new()
    {
        Id = "aws-secret-access-key",
        Description = "an AWS secret access key",
        // Named (aws_secret_access_key = ..., "SecretAccessKey": "...") or right after its access key id (credentials CSV).
        PatternFactory = Rx("(?i:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)[\"']?[ \\t]{0,5}(?::=|[:=]|=>)[ \\t]{0,5}[\"']?([A-Za-z0-9/+]{40})"
            + "|(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}[\"']?[ \\t]{0,3}[,;|\\t:][ \\t]{0,3}[\"']?([A-Za-z0-9/+]{40})"),
        Keywords = [.. AnyCase("secret_access_key", "secretaccesskey", "aws_secret_key", "awssecretkey"), .. Exact("AKIA", "ASIA", "ABIA", "ACCA", "A3T")],
        LeadingKeywords = ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"], // the second form starts with the key id
        MayStartAt = MayBeAwsKeyId,
        Entropy = 4.0,
        TokenCharacters = Base64,
        Before = 0,
        After = 128,
        Validate = s => !s.EndsWith("EXAMPLEKEY", StringComparison.Ordinal),
    };

    public static SecretRule AzureStorageAccountKey { get; } = new()
    {
        Id = "azure-storage-account-key",
        Description = "an Azure storage account key",
        PatternFactory = Rx("(?i:accountkey)[\"']?[ \\t]{0,3}[=:][ \\t]{0,3}[\"']?([A-Za-z0-9+/]{86}==)"),
        Keywords = AnyCase("accountkey"),
        Entropy = 4.5,
        TokenCharacters = Base64,
        Before = 0,
        After = 128,
    };

    public static SecretRule AzureSharedAccessKey { get; } = new()
    {
        Id = "azure-shared-access-key",
        Description = "an Azure Service Bus / Event Hubs shared access key",
        PatternFactory = Rx("(?i:sharedaccesskey)[ \\t]{0,3}=[ \\t]{0,3}([A-Za-z0-9+/]{43}=)"),
        Keywords = AnyCase("sharedaccesskey="),
        Entropy = 4.0,
        TokenCharacters = Base64,
        Before = 0,
        After = 96,
    };

    public static SecretRule AzureSasToken { get; } = new()
    {
        Id = "azure-sas-token",
        Description = "an Azure shared access signature (SAS) token",
        // An HMAC-SHA256 in base64 (43 characters and '='), URL-encoded or not.
        PatternFactory = Rx("[?&]sig=((?:[A-Za-z0-9+/]|%2[BbFf]){43}(?:%3[Dd]|=))"),
        Keywords = Exact("sig="),
        ContextFactory = Rx("[?&](?:sv|se|sp|spr|st|srt|ss|sr|skoid)="),
        ContextReach = 400,
        Entropy = 4.0,
        Before = 400, // the other parameters may come first
        After = 400,
        Validate = IsSasSignature,
    };

    public static SecretRule GcpServiceAccountKey { get; } = new()
    {
        Id = "gcp-service-account-key",
        Description = "a Google Cloud service-account key (JSON with private_key_id and private_key)",
        // Quotes may be escaped (JSON inside JSON: \") or doubled (a CSV field: "").
        PatternFactory = Rx("private_key_id[\\\\\"]{1,3}[ \\t]{0,5}:[ \\t]{0,5}[\\\\\"]{1,3}([0-9a-f]{40})[\\\\\"]"),
        Keywords = Exact("private_key_id"),
        ContextFactory = Rx("private_key[\\\\\"]{1,3}[ \\t\\r\\n]{0,5}:[ \\t\\r\\n]{0,5}[\\\\\"]{1,3}-----BEGIN"),
        ContextReach = 4096,
        Before = 4096,
        After = 4096,
    };

    public static SecretRule GitHubToken { get; } = new()
    {
        Id = "github-token",
        Description = "a GitHub token (personal access, OAuth, user-to-server, server-to-server, refresh, fine-grained)",
        PatternFactory = Rx("gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}"),
        Keywords = Exact("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        Entropy = 3.0,
        TokenCharacters = Base62Underscore,
        Before = 0,
        After = 96,
    };

    public static SecretRule GitLabToken { get; } = new()
    {
        Id = "gitlab-token",
        Description = "a GitLab personal access token",
        PatternFactory = Rx("glpat-[A-Za-z0-9_-]{20}[A-Za-z0-9_.-]*"),
        Keywords = Exact("glpat-"),
        Entropy = 3.0,
        TokenCharacters = Base64Url,
        Before = 0,
        After = 400,
    };

    public static SecretRule SlackToken { get; } = new()
    {
        Id = "slack-token",
        Description = "a Slack token (bot, user, app, refresh, configuration)",
        PatternFactory = Rx("xox[abeoprs]-(?:[0-9]{8,14}-){1,3}[A-Za-z0-9]{16,64}"),
        Keywords = Exact("xoxa-", "xoxb-", "xoxe-", "xoxo-", "xoxp-", "xoxr-", "xoxs-"),
        TokenCharacters = Base64Url,
        Before = 0,
        After = 160,
    };

    public static SecretRule SlackWebhook { get; } = new()
    {
        Id = "slack-webhook",
        Description = "a Slack incoming webhook URL",
        PatternFactory = Rx("hooks\\.slack\\.com/(?:services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}|(?:workflows|triggers)/[A-Za-z0-9+/]{43,56})"),
        Keywords = Exact("hooks.slack.com/"),
        Before = 0,
        After = 128,
    };

    public static SecretRule StripeLiveKey { get; } = new()
    {
        Id = "stripe-live-key",
        Description = "a Stripe live secret or restricted key",
        PatternFactory = Rx("[sr]k_live_[A-Za-z0-9]{24}[A-Za-z0-9]*"),
        Keywords = Exact("sk_live_", "rk_live_"),
        Entropy = 3.0,
        TokenCharacters = Base62Underscore,
        Before = 0,
        After = 160,
    };

    public static SecretRule OpenAiApiKey { get; } = new()
    {
        Id = "openai-api-key",
        Description = "an OpenAI API key",
        // Every OpenAI key carries "T3BlbkFJ" (base64 of "OpenAI") between two random parts.
        PatternFactory = Rx("sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"),
        Keywords = Exact("T3BlbkFJ"),
        TokenCharacters = Base64Url,
        Entropy = 3.5,
        Before = 200,
        After = 200,
    };

    public static SecretRule AnthropicApiKey { get; } = new()
    {
        Id = "anthropic-api-key",
        Description = "an Anthropic API key",
        PatternFactory = Rx("sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{93}AA"),
        Keywords = Exact("sk-ant-"),
        TokenCharacters = Base64Url,
        Entropy = 3.5,
        Before = 0,
        After = 128,
    };

    public static SecretRule HuggingFaceToken { get; } = new()
    {
        Id = "huggingface-token",
        Description = "a Hugging Face access token",
        PatternFactory = Rx("(?:hf_|api_org_)[A-Za-z]{34}"),
        Keywords = Exact("hf_", "api_org_"),
        TokenCharacters = Base64Url,
        Entropy = 3.5,
        Before = 0,
        After = 48,
    };

    public static SecretRule JsonWebToken { get; } = new()
    {
        Id = "jwt",
        Description = "a JSON Web Token (a signed bearer token)",
        PatternFactory = Rx("eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}"),
        Keywords = Exact("eyJ"),
        LeadingKeywords = ["eyJ"],
        MayStartAt = MayBeJwt,
        TokenCharacters = Base64Url,
        Before = 0,
        After = 8192,
        Validate = IsJwt,
    };

    public static SecretRule ConnectionStringPassword { get; } = new()
    {
        Id = "connection-string-password",
        Description = "a password in a connection string (Password= or Pwd= beside a server, host, user or database key)",
        PatternFactory = Rx("(?i:password|pwd)[ \\t]{0,3}=[ \\t]{0,3}(?:\"([^\"\\r\\n]{3,128})\"|'([^'\\r\\n]{3,128})'|([^;\"'\\s]{3,128}))"),
        Keywords = AnyCase("password", "pwd="),
        ContextFactory = Rx("(?i:server|data source|host|user id|uid|user|username|database|initial catalog|address|addr)[ \\t]{0,3}="),
        ContextReach = 256,
        TokenCharacters = Base62Underscore,
        Before = 256,
        After = 300,
        Validate = s => !Placeholders.IsPlaceholder(s),
    };

    public static SecretRule UrlPassword { get; } = new()
    {
        Id = "url-password",
        Description = "a password in a URL (scheme://user:password@host)",
        PatternFactory = Rx("[A-Za-z][A-Za-z0-9+.-]{1,20}://[^:/?#@\\s\"'<>]{1,64}:([^:/?#@\\s\"'<>]{3,128})@(?:[A-Za-z0-9-]{1,63}\\.?)+"),
        Keywords = Exact("://"),
        Before = 24,
        After = 512,
        Validate = s => !Placeholders.IsPlaceholder(s),
    };

    /// <summary>A PEM private key block; the fingerprint covers the key's base64 body.</summary>
    public static SecretRule PrivateKey { get; } = new()
    {
        Id = "private-key",
        Description = "a PEM private key block",
        Kind = SecretKind.PrivateKey,
        PatternFactory = Rx("-----BEGIN [^\\n]{0,53}PRIVATE KEY-----([A-Za-z0-9+/=\\\\\\r\\n\\t ]*)"),
        Keywords = Exact("PRIVATE KEY-----"),
        Before = 64,
        After = 16 + 4096,
        Normalize = PemBody,
        ReportAtMatch = true,
    };

    /// <summary>Only the header line of a PEM private key block, for checks that need no fingerprint (the lock's hash pass).</summary>
    public static SecretRule PrivateKeyHeader { get; } = new()
    {
        Id = "private-key",
        Description = "a PEM private key block",
        Kind = SecretKind.PrivateKey,
        PatternFactory = Rx("-----BEGIN [^\\n]{0,53}PRIVATE KEY-----"),
        Keywords = Exact("PRIVATE KEY-----"),
        Before = 64,
        After = 16,
    };

    /// <summary>Every built-in rule, in the order docs/secrets.md lists them.</summary>
    public static IReadOnlyList<SecretRule> All { get; } =
    [
        AwsAccessKeyId, AwsSecretAccessKey, AzureStorageAccountKey, AzureSharedAccessKey, AzureSasToken, GcpServiceAccountKey,
        GitHubToken, GitLabToken, SlackToken, SlackWebhook, StripeLiveKey, OpenAiApiKey, AnthropicApiKey, HuggingFaceToken,
        JsonWebToken, ConnectionStringPassword, UrlPassword, PrivateKey,
    ];

    /// <summary>A SAS signature is an HMAC-SHA256: 32 bytes once URL- and base64-decoded.</summary>
    private static bool IsSasSignature(string secret)
    {
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(secret);
        }
        catch (UriFormatException)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[64];
        return Convert.TryFromBase64String(decoded, bytes, out var n) && n == 32;
    }

    /// <summary>A JWT's header is base64url JSON naming its algorithm.</summary>
    private static bool IsJwt(string token)
    {
        var header = token[..token.IndexOf('.')];
        var padded = header.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        var bytes = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, bytes, out var n))
        {
            return false;
        }

        try
        {
            using var json = JsonDocument.Parse(bytes.AsMemory(0, n));
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("alg", out var alg) && alg.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The base64 characters of a PEM body (line breaks and JSON "\n" escapes removed), at most 4,096 of them.</summary>
    private static string PemBody(string captured)
    {
        var body = captured.Replace("\\n", string.Empty, StringComparison.Ordinal).Replace("\\r", string.Empty, StringComparison.Ordinal);
        var kept = new System.Text.StringBuilder();
        foreach (var c in body)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')
            {
                kept.Append(c);
                if (kept.Length == 4096)
                {
                    break;
                }
            }
        }

        return kept.ToString();
    }
}

/// <summary>Values that stand for a password in documentation and templates rather than being one.</summary>
internal static class Placeholders
{
    private static readonly HashSet<string> Words = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passwd", "pwd", "pass", "secret", "changeme", "change_me", "redacted", "null", "none", "empty", "example",
        "your_password", "yourpassword", "mypassword", "placeholder", "dummy", "test",
    };

    public static bool IsPlaceholder(string value)
    {
        var v = value.Trim();
        if (v.Length == 0 || Words.Contains(v))
        {
            return true;
        }

        // Templates and variables: {x}, ${X}, $(X), %X%, <x>, [x], {{x}}, and masks such as *** or xxxx.
        if (v[0] is '{' or '$' or '%' or '<' or '[' || v.StartsWith("@", StringComparison.Ordinal))
        {
            return true;
        }

        return v.All(c => c is '*' or 'x' or 'X' or '.' or '#' or '?' or '-' or '_');
    }
}
