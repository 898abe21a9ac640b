using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Engine;
using MlBuildGuard.Core.Secrets.Files;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>The streaming engine: chunk boundaries, positions, bounded work on bad input, text views.</summary>
public sealed class SecretScannerTests
{
    private static IReadOnlyList<SecretMatch> Chunked(byte[] data, params int[] cuts)
    {
        var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
        var from = 0;
        foreach (var cut in cuts.Append(data.Length))
        {
            scanner.Append(data.AsSpan(from, cut - from));
            from = cut;
        }

        return scanner.Complete();
    }

    /// <summary>Scans <paramref name="data"/> with <paramref name="rules"/>, given in chunks of <paramref name="size"/> bytes.</summary>
    /// <summary>A rule set of one rule: <paramref name="pattern"/> on windows from <paramref name="before"/> bytes before its keyword to <paramref name="after"/> after it.</summary>
    private static SecretRuleSet OneRule(string id, string pattern, string keyword, int before, int after) => new([new SecretRule
    {
        Id = id,
        Description = id,
        Pattern = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking),
        Keywords = [new Keyword(keyword, IgnoreCase: false)],
        Before = before,
        After = after,
    }]);

    private static IReadOnlyList<SecretMatch> InChunksOf(int size, SecretRuleSet rules, byte[] data)
    {
        var scanner = new SecretScanner(rules);
        for (var at = 0; at < data.Length; at += size)
        {
            scanner.Append(data.AsSpan(at, Math.Min(size, data.Length - at)));
        }

        return scanner.Complete();
    }

    [Fact]
    public void Secrets_split_across_two_chunks_at_every_offset_are_found_the_same()
    {
        var fakes = new FakeSecrets(21);
        var text = string.Join("\n", fakes.Makers.Select(m => "row," + m.Make().Text)) + "\n";
        var data = Encoding.UTF8.GetBytes(text);
        var whole = SecretScanner.Scan(SecretRuleSet.BuiltIn, data);
        Assert.Equal(fakes.Makers.Count + 1, whole.Count); // the GCP key also holds a private key

        for (var cut = 1; cut < data.Length; cut += 7)
        {
            Assert.Equal(whole, Chunked(data, cut));
        }
    }

    [Fact]
    public void Secrets_fed_one_byte_at_a_time_or_in_odd_chunks_are_found_the_same()
    {
        var fakes = new FakeSecrets(22);
        var data = Encoding.UTF8.GetBytes(string.Join(" ; ", fakes.Makers.Select(m => m.Make().Text)));
        var whole = SecretScanner.Scan(SecretRuleSet.BuiltIn, data);

        Assert.Equal(whole, Chunked(data, Enumerable.Range(1, data.Length - 1).ToArray()));
        Assert.Equal(whole, Chunked(data, Enumerable.Range(1, data.Length / 13).Select(i => i * 13).ToArray()));
    }

    [Fact]
    public void Each_secret_alone_in_small_chunks_is_found_with_what_precedes_its_keyword()
    {
        // The kept tail is only as long as the rules' reach before a keyword (and any window still waiting): a secret
        // whose match starts well before its keyword (SAS tokens, URLs, GCP keys) must still be found when it arrives in
        // small chunks with nothing else pending to keep more bytes.
        var fakes = new FakeSecrets(24);
        foreach (var (ruleId, make) in fakes.Makers)
        {
            var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("filler text, 0.25\n", 300)) + make().Text + "\n" + new string(' ', 300));
            var whole = SecretScanner.Scan(SecretRuleSet.BuiltIn, data);
            Assert.Contains(whole, m => m.RuleId == ruleId);
            foreach (var size in new[] { 1, 61, 1000 })
            {
                Assert.Equal(whole, Chunked(data, Enumerable.Range(1, (data.Length - 1) / size).Select(i => i * size).ToArray()));
            }
        }
    }

    [Fact]
    public void A_rule_that_reaches_far_before_its_keyword_gets_those_bytes_in_small_chunks()
    {
        // A rule may look up to Before bytes ahead of its keyword; the kept tail must hold them whatever the chunks.
        var rules = OneRule("far-reach", "BEGIN ([0-9a-f]{12}) [.]{2990,3000}farkeyword", "farkeyword", before: 3100, after: 20);
        var data = Encoding.ASCII.GetBytes(new string('x', 5000) + "BEGIN 0123456789ab " + new string('.', 2995) + "farkeyword" + new string('x', 500));
        var whole = SecretScanner.Scan(rules, data);
        Assert.Single(whole);
        foreach (var size in new[] { 1, 100, 4000 })
        {
            Assert.Equal(whole, InChunksOf(size, rules, data));
        }
    }

    [Fact]
    public void A_window_that_waits_for_thousands_of_bytes_after_its_keyword_keeps_them_across_small_chunks()
    {
        // A rule that reaches nothing before its keyword keeps a tail of a few bytes while no window waits; a window that
        // needs 6,000 bytes after its keyword makes the tail hold all of them until they have arrived.
        var rules = OneRule("long-value", "longkey=([a-f]{1000,});", "longkey=", before: 0, after: 6100);
        var value = string.Concat(Enumerable.Range(0, 6000).Select(i => (char)('a' + i * 7 % 6)));
        var data = Encoding.ASCII.GetBytes(new string('x', 3000) + "\n;longkey=" + value + ";\n" + new string('y', 9000) + "\nlongkey=" + value + ";\n");
        var whole = SecretScanner.Scan(rules, data);
        Assert.Equal(2, whole.Count);
        Assert.All(whole, m => Assert.Equal(SecretMath.Fingerprint("long-value", value), m.Fingerprint));
        foreach (var size in new[] { 1, 100, 999, 4096 })
        {
            Assert.Equal(whole, InChunksOf(size, rules, data));
        }
    }

    [Fact]
    public void A_secret_deep_in_a_large_stream_after_many_lines_has_its_line_and_column()
    {
        var fake = new FakeSecrets(3).GitHubToken();
        var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
        var line = Encoding.ASCII.GetBytes(new string('a', 99) + "\n");
        for (var i = 0; i < 30_000; i++)
        {
            scanner.Append(line);
        }

        scanner.Append(Encoding.ASCII.GetBytes("12345 " + fake.Secret + "\n"));

        var match = Assert.Single(scanner.Complete());
        Assert.Equal(30_001, match.Line);
        Assert.Equal(7, match.Column);
    }

    [Fact]
    public void A_secret_on_one_huge_line_is_found_with_bounded_memory()
    {
        var fake = new FakeSecrets(4).StripeLiveKey();
        var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
        var filler = Encoding.ASCII.GetBytes(new string('q', 1 << 20).Replace("qqqq", "q q "));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 64; i++)
        {
            scanner.Append(filler);
        }

        scanner.Append(Encoding.ASCII.GetBytes(" " + fake.Text + " "));
        var match = Assert.Single(scanner.Complete());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1, match.Line);
        Assert.Equal(64L * filler.Length + 1 + fake.Text.IndexOf(fake.Secret, StringComparison.Ordinal) + 1, match.Column);
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes for 64 MiB");
    }

    [Fact]
    public void Invalid_utf8_and_nul_bytes_around_a_secret_do_not_hide_it()
    {
        var fake = new FakeSecrets(5).HuggingFaceToken();
        byte[] data = [0xFF, 0xFE, 0x00, 0xC3, (byte)' ', .. Encoding.ASCII.GetBytes(fake.Secret), 0x80, 0x00];

        var match = Assert.Single(SecretScanner.Scan(SecretRuleSet.BuiltIn, data));

        Assert.Equal("huggingface-token", match.RuleId);
        Assert.Equal(5, match.Offset);
    }

    [Fact]
    public void A_flood_of_keywords_stays_linear_and_matches_are_capped()
    {
        var fake = new FakeSecrets(6).SlackToken();
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(fake.Secret + " password= :// eyJ ", 3_000)));
        var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
        scanner.Append(data);

        var matches = scanner.Complete();

        Assert.Equal(SecretScanner.MaxMatches, matches.Count);
        Assert.Equal(2_000, scanner.Omitted);
    }

    [Fact]
    public void Text_from_a_model_view_is_scanned_and_carries_the_view()
    {
        var fake = new FakeSecrets(8).OpenAiApiKey();

        var match = Assert.Single(SecretScanner.ScanText(SecretRuleSet.BuiltIn, "author note: " + fake.Secret, "model.onnx!metadata_props[author]"));

        Assert.Equal("model.onnx!metadata_props[author]", match.View);
        Assert.Equal(14, match.Column);
        Assert.Empty(SecretScanner.ScanText(SecretRuleSet.BuiltIn, "a plain doc string", "model.onnx!doc_string"));
    }

    [Fact]
    public void Every_built_in_format_is_found_at_every_alignment_of_a_block_and_across_a_stretch_edge()
    {
        var fakes = new FakeSecrets(23);
        var offsets = Enumerable.Range(0, 64).Concat(Enumerable.Range(8128 - 80, 90)).ToArray();
        foreach (var (ruleId, make) in fakes.Makers)
        {
            var secret = make();
            foreach (var at in offsets)
            {
                var data = Encoding.UTF8.GetBytes(new string('.', at) + "\n" + secret.Text + "\n" + new string(' ', 200));
                var found = SecretScanner.Scan(SecretRuleSet.BuiltIn, data);
                Assert.Contains(found, m => m.RuleId == ruleId);
            }
        }
    }
}

/// <summary>The integration point for the training-input guard: the hashing pass feeding a scanner.</summary>
public sealed class HashingPassSecretTests
{
    [Fact]
    public void Hashing_with_a_scanner_gives_the_same_digest_and_finds_secrets_across_slices_and_buffers()
    {
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var fakes = new FakeSecrets(31);
        var path = dir.Combine("train.csv");
        var planted = new List<FakeSecret>();
        using (var stream = File.Create(path))
        {
            foreach (var boundary in new[] { 128 << 10, 1 << 20, (1 << 20) + (128 << 10) })
            {
                var fake = fakes.Makers[planted.Count % fakes.Makers.Count].Make();
                var text = Encoding.ASCII.GetBytes("\n" + fake.Text + "\n");
                stream.Write(Encoding.ASCII.GetBytes(new string('z', boundary - 10 - (int)stream.Position).Replace("zzzzzzzzzz", "zzzzzzzzz\n")));
                stream.Write(text);
                planted.Add(fake);
            }
        }

        var plain = Hashing.Sha256File.Compute(path);
        var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
        var scanned = Hashing.Sha256File.Compute(path, scanner);

        Assert.Equal(plain.Hex, scanned.Hex);
        Assert.Equal(plain.Size, scanned.Size);
        Assert.False(scanned.HoldsPrivateKey);
        Assert.Equal(planted.Select(p => SecretMath.Fingerprint(p.RuleId, p.Secret)), scanner.Complete().Select(m => m.Fingerprint));
    }

    [Fact]
    public void The_hashing_pass_and_mlguard_secrets_give_the_lines_of_a_scan_in_memory()
    {
        // Both read a file in buffers of a megabyte and count line feeds as the bytes pass.
        using var dir = new MlBuildGuard.Testing.TempDirectory();
        var fakes = new FakeSecrets(32);
        var path = dir.Combine("train.csv");
        var text = new StringBuilder();
        for (var i = 0; text.Length < (3 << 20); i++)
        {
            // The first secret is past the pass's first buffer (1 MiB), at the end of a line that starts before it.
            var first = text.Length > 1_000_000 && text.Length < 1_010_000;
            text.Append(i).Append(',').Append(first ? new string('y', 100_000) + " " + fakes.GitHubToken().Text
                    : text.Length > 1_100_000 && i % 997 == 0 ? fakes.Makers[i % fakes.Makers.Count].Make().Text
                    : fakes.Random("abcdef0123456789", i % 200))
                .Append(i % 5 == 0 ? "\r\n" : "\n");
        }

        File.WriteAllText(path, text.ToString());
        var expected = SecretScanner.Scan(SecretRuleSet.BuiltIn, File.ReadAllBytes(path));
        Assert.True(expected.Count > 10);
        Assert.True(expected[0].Offset > (1 << 20) && expected[0].Column > 100_000);

        var scanner = new SecretScanner(SecretRuleSet.BuiltIn);
        Hashing.Sha256File.Compute(path, scanner);
        Assert.Equal(expected, scanner.Complete());
        Assert.Equal(expected, SecretFileScanner.Scan(path, SecretRuleSet.BuiltIn).Matches);
    }
}
