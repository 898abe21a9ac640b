using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Engine;
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
    public void The_keyword_search_finds_exactly_what_a_naive_search_finds()
    {
        var random = new Random(99);
        const string Alphabet = "ghp_PaSsWoRd:/xabAB \n\0\xff";
        var keywords = new[] { new Keyword("ghp_", false), new Keyword("password", true), new Keyword("://", false), new Keyword("x", false), new Keyword("ab", true) };
        var search = new KeywordSearch(keywords);
        for (var round = 0; round < 50; round++)
        {
            var data = new byte[random.Next(0, 600)];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (byte)Alphabet[random.Next(Alphabet.Length)];
            }

            var hits = new List<KeywordHit>();
            search.FindAll(data, 0, hits);
            var expected = new List<KeywordHit>();
            for (var at = 0; at < data.Length; at++)
            {
                for (var k = 0; k < keywords.Length; k++)
                {
                    if (search.Matches(data, at, k))
                    {
                        expected.Add(new KeywordHit(at, k));
                    }
                }
            }

            Assert.Equal(expected.OrderBy(h => h.Position).ThenBy(h => h.Keyword), hits.OrderBy(h => h.Position).ThenBy(h => h.Keyword));
        }
    }

    [Theory]
    [InlineData("built-in")]
    [InlineData("private-key header")]
    [InlineData("one keyword that overlaps itself")]
    public void Keywords_are_found_in_order_from_any_start_with_the_line_feeds_counted(string set)
    {
        // The built-in set anchors keywords at bytes inside them and runs the AVX2 loop 64 bytes at a time; a set of one
        // exact keyword takes the span search instead: plant keywords (in mixed case) in random bytes and text around
        // block edges, and compare with a naive search.
        var search = set switch
        {
            "built-in" => SecretRuleSet.BuiltIn.Search,
            "private-key header" => SecretRuleSet.PrivateKeyHeaderOnly.Search,
            _ => new KeywordSearch([new Keyword("a=a", IgnoreCase: false)]),
        };
        var random = new Random(7);
        const string Filler = "abc xyz,0123\n\"=:/_-KEY\xff\x80\0";
        for (var round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 400)];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = round % 2 == 0 ? (byte)random.Next(256) : (byte)Filler[random.Next(Filler.Length)];
            }

            for (var n = random.Next(0, 6); n > 0 && data.Length > 0; n--)
            {
                var keyword = search.Keywords[random.Next(search.Keywords.Count)];
                var text = keyword.IgnoreCase && random.Next(2) == 0 ? keyword.Text.ToUpperInvariant() : keyword.Text;
                var at = random.Next(data.Length);
                Encoding.ASCII.GetBytes(text).AsSpan(0, Math.Min(text.Length, data.Length - at)).CopyTo(data.AsSpan(at));
            }

            var from = round % 3 == 0 ? random.Next(0, data.Length + 1) : 0;
            var expected = new List<KeywordHit>();
            for (var at = from; at < data.Length; at++)
            {
                for (var k = 0; k < search.Keywords.Count; k++)
                {
                    if (search.Matches(data, at, k))
                    {
                        expected.Add(new KeywordHit(at, k));
                    }
                }
            }

            var hits = new List<KeywordHit>();
            search.FindAll(data, from, hits);
            Assert.Equal(expected, hits);
            hits.Clear();
            var lineFeeds = search.FindAllCountingLineFeeds(data, hits);
            Assert.Equal(data.Count(b => b == (byte)'\n'), lineFeeds);
            Assert.Equal(expected.Where(h => h.Position >= from), hits.Where(h => h.Position >= from));
        }
    }

    [Theory]
    [InlineData("built-in")]
    [InlineData("private-key header")]
    public void Every_keyword_is_found_at_every_offset_around_vector_block_and_stretch_edges(string set)
    {
        // The AVX2 loop reads 32-byte halves of 64-byte blocks, keeps the blocks with a candidate for a stretch of 127
        // blocks (8128 bytes) and verifies them afterwards; the scalar loop takes the last bytes. Plant each keyword (in
        // lower and upper case where case does not matter) at every offset near those edges in base64-like filler, which
        // itself lets many candidates through, and compare with a naive search, line feeds included.
        var search = set == "built-in" ? SecretRuleSet.BuiltIn.Search : SecretRuleSet.PrivateKeyHeaderOnly.Search;
        var random = new Random(11);
        const string Filler = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n";
        var filler = Enumerable.Range(0, 8128 + 200).Select(_ => (byte)Filler[random.Next(Filler.Length)]).ToArray();
        var fillerHits = Naive(search, filler, 0, filler.Length);
        int[] edges = [0, 32, 64, 8128];
        var offsets = edges.SelectMany(e => Enumerable.Range(e - 20, 40)).Where(o => o >= 0).Distinct().ToArray();
        for (var k = 0; k < search.Keywords.Count; k++)
        {
            var keyword = search.Keywords[k];
            foreach (var text in keyword.IgnoreCase ? [keyword.Text, keyword.Text.ToUpperInvariant()] : new[] { keyword.Text })
            {
                foreach (var at in offsets.Where(o => o + text.Length <= filler.Length))
                {
                    var data = (byte[])filler.Clone();
                    Encoding.ASCII.GetBytes(text).CopyTo(data, at);

                    // Only hits that start near the planted keyword can differ from the filler's.
                    var (near, far) = (Math.Max(0, at - search.MaxLength), Math.Min(data.Length, at + text.Length + search.MaxLength));
                    var expected = fillerHits.Where(h => h.Position < near || h.Position >= far).Concat(Naive(search, data, near, far))
                        .OrderBy(h => h.Position).ThenBy(h => h.Keyword);
                    var hits = new List<KeywordHit>();
                    var lineFeeds = search.FindAllCountingLineFeeds(data, hits);
                    Assert.Equal(expected, hits);
                    Assert.Contains(new KeywordHit(at, k), hits);
                    Assert.Equal(data.Count(b => b == (byte)'\n'), lineFeeds);
                }
            }
        }
    }

    [Fact]
    public void Keywords_in_every_block_of_several_stretches_are_all_found_in_order()
    {
        // Every 64-byte block holds a candidate, so the AVX2 loop keeps every block of each stretch.
        var search = SecretRuleSet.BuiltIn.Search;
        var random = new Random(12);
        var data = new byte[3 * 8128 + 777];
        random.NextBytes(data);
        for (var at = 0; at + 20 < data.Length; at += random.Next(5, 70))
        {
            var text = search.Keywords[random.Next(search.Keywords.Count)].Text;
            Encoding.ASCII.GetBytes(text).CopyTo(data, at);
        }

        var hits = new List<KeywordHit>();
        var lineFeeds = search.FindAllCountingLineFeeds(data, hits);
        Assert.Equal(Naive(search, data, 0, data.Length), hits);
        Assert.Equal(data.Count(b => b == (byte)'\n'), lineFeeds);
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

    /// <summary>Every keyword that starts at a position in [from, to) of the data, by comparing each one there.</summary>
    private static List<KeywordHit> Naive(KeywordSearch search, byte[] data, int from, int to)
    {
        var expected = new List<KeywordHit>();
        for (var at = from; at < to; at++)
        {
            for (var k = 0; k < search.Keywords.Count; k++)
            {
                if (search.Matches(data, at, k))
                {
                    expected.Add(new KeywordHit(at, k));
                }
            }
        }

        return expected;
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
}
