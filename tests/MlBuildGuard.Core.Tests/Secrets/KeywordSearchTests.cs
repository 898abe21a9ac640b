using System.Text;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Engine;

namespace MlBuildGuard.Core.Tests.Secrets;

/// <summary>
/// The keyword prefilter of the scanner, on each of its paths (the AVX2 loop where the CPU has it, the 16-byte loop, the
/// scalar loop), against a naive search: block and stretch edges, keywords shorter than the four-byte anchor, bytes of
/// 0x80 and more next to them, letters in any case, and searches that start inside the data.
/// </summary>
public sealed class KeywordSearchTests
{
    public static TheoryData<string> Paths => new(Enum.GetNames<SearchPath>());

    /// <summary>Each of the comma-separated keyword sets on each path.</summary>
    public static TheoryData<string, string> SetsOnPaths(string sets)
    {
        var data = new TheoryData<string, string>();
        foreach (var set in sets.Split(','))
        {
            foreach (var path in Enum.GetNames<SearchPath>())
            {
                data.Add(set, path);
            }
        }

        return data;
    }

    /// <summary>A keyword set by name, searched on the named path.</summary>
    private static KeywordSearch Set(string set, string path)
    {
        var keywords = set switch
        {
            "built-in" => SecretRuleSet.BuiltIn.Search.Keywords,
            "private-key header" => SecretRuleSet.PrivateKeyHeaderOnly.Search.Keywords,
            "one keyword that overlaps itself" => [new Keyword("a=a", IgnoreCase: false)],
            "four bytes or more" => [new Keyword("ghp_", false), new Keyword("password", true), new Keyword("AKIA", false), new Keyword("sharedaccesskey=", true)],
            "one and two bytes" => [new Keyword("x", false), new Keyword("Ab", true), new Keyword("eyJ", false), new Keyword("pwd=", true)],
            _ => throw new ArgumentException(set, nameof(set)),
        };
        return new KeywordSearch(keywords, Enum.Parse<SearchPath>(path));
    }

    [Fact]
    public void The_built_in_set_has_keywords_shorter_than_the_anchor_so_the_masked_lookup_is_exercised()
    {
        // The wildcard positions of short keywords are what the tests below plant bytes of 0x80 and more into.
        Assert.Contains(SecretRuleSet.BuiltIn.Search.Keywords, k => k.Text.Length < KeywordBuckets.Width);
        Assert.Contains(SecretRuleSet.BuiltIn.Search.Keywords, k => k.Text.Length >= KeywordBuckets.Width);
    }

    [Theory]
    [MemberData(nameof(SetsOnPaths), "built-in,four bytes or more,one and two bytes")]
    public void Short_keywords_followed_by_any_byte_and_keywords_in_any_case_are_found_at_every_offset_near_edges(string set, string path)
    {
        // A keyword shorter than the anchor admits any byte after it: plant each keyword, letters in a random mix of
        // cases where case does not matter, followed by bytes of 0x80 and more, NUL and line feeds, at every offset near
        // the 32-byte halves, the 64-byte blocks, the 127-block stretch and the end of the data.
        var search = Set(set, path);
        var random = new Random(13);
        const int Length = 8128 + 140;
        var filler = Enumerable.Range(0, Length).Select(_ => random.Next(3) switch { 0 => (byte)random.Next(0x80, 0x100), 1 => (byte)"\0\n\xff\x80"[random.Next(4)], _ => (byte)random.Next(0x20, 0x7F) }).ToArray();
        var fillerHits = Naive(search, filler, 0, filler.Length);
        int[] edges = [0, 32, 64, 96, 8128, Length];
        var offsets = edges.SelectMany(e => Enumerable.Range(e - 12, 24)).Where(o => o >= 0).Distinct().ToArray();
        for (var k = 0; k < search.Keywords.Count; k++)
        {
            var keyword = search.Keywords[k];
            foreach (var at in offsets.Where(o => o + keyword.Text.Length <= Length))
            {
                var text = keyword.IgnoreCase ? new string(keyword.Text.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : c).ToArray()) : keyword.Text;
                var data = (byte[])filler.Clone();
                Encoding.ASCII.GetBytes(text).CopyTo(data, at);
                for (var after = at + text.Length; after < Math.Min(Length, at + text.Length + 4); after++)
                {
                    data[after] = (byte)(0x80 + random.Next(0x80));
                }

                AssertFindsPlanted(search, data, fillerHits, at, text.Length + 4, k);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_search_from_a_start_inside_the_data_reports_no_keyword_that_begins_before_it(string path)
    {
        // Long keywords are anchored at bytes inside them, so their anchor can lie after the start while the keyword
        // begins before it: such a keyword is not a hit of a search from that start.
        var search = Set("built-in", path);
        foreach (var (text, k) in search.Keywords.Select((keyword, k) => (keyword.Text, k)).Where(keyword => keyword.Text.Length > KeywordBuckets.Width))
        {
            foreach (var at in new[] { 5, 60, 100, 300 })
            {
                var data = Encoding.ASCII.GetBytes(new string('.', at) + text + new string('.', 400));
                for (var from = at - 2; from <= at + 1; from++)
                {
                    var hits = new List<KeywordHit>();
                    search.FindAll(data, from, hits);
                    Assert.Equal(from <= at ? [new KeywordHit(at, k)] : [], hits);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void The_keyword_search_finds_exactly_what_a_naive_search_finds(string path)
    {
        var random = new Random(99);
        const string Alphabet = "ghp_PaSsWoRd:/xabAB \n\0\xff";
        var keywords = new[] { new Keyword("ghp_", false), new Keyword("password", true), new Keyword("://", false), new Keyword("x", false), new Keyword("ab", true) };
        var search = new KeywordSearch(keywords, Enum.Parse<SearchPath>(path));
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
    [MemberData(nameof(SetsOnPaths), "built-in,private-key header,one keyword that overlaps itself")]
    public void Keywords_are_found_in_order_from_any_start_with_the_line_feeds_counted(string set, string path)
    {
        // The built-in set anchors keywords at bytes inside them and runs the AVX2 loop 64 bytes at a time; a set of one
        // exact keyword takes the span search instead: plant keywords (in mixed case) in random bytes and text around
        // block edges, and compare with a naive search.
        var search = Set(set, path);
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
    [MemberData(nameof(SetsOnPaths), "built-in,private-key header")]
    public void Every_keyword_is_found_at_every_offset_around_vector_block_and_stretch_edges(string set, string path)
    {
        // The AVX2 loop reads 32-byte halves of 64-byte blocks, keeps the blocks with a candidate for a stretch of 127
        // blocks (8128 bytes) and verifies them afterwards; the scalar loop takes the last bytes. Plant each keyword (in
        // lower and upper case where case does not matter) at every offset near those edges in base64-like filler, which
        // itself lets many candidates through, and compare with a naive search, line feeds included.
        var search = Set(set, path);
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

                    AssertFindsPlanted(search, data, fillerHits, at, text.Length, k);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Keywords_in_every_block_of_several_stretches_are_all_found_in_order(string path)
    {
        // Every 64-byte block holds a candidate, so the AVX2 loop keeps every block of each stretch.
        var search = Set("built-in", path);
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

    /// <summary>Every keyword that starts at a position in [from, to) of the data, by comparing each one there.</summary>
    /// <summary>
    /// A search of <paramref name="data"/> (the filler with a keyword planted at <paramref name="at"/>, <paramref name="planted"/>
    /// bytes changed) finds what a naive search finds, the planted keyword among it, and counts every line feed. Only
    /// hits that start near the planted bytes can differ from the filler's own.
    /// </summary>
    private static void AssertFindsPlanted(KeywordSearch search, byte[] data, List<KeywordHit> fillerHits, int at, int planted, int k)
    {
        var (near, far) = (Math.Max(0, at - search.MaxLength), Math.Min(data.Length, at + planted + search.MaxLength));
        var expected = fillerHits.Where(h => h.Position < near || h.Position >= far).Concat(Naive(search, data, near, far))
            .OrderBy(h => h.Position).ThenBy(h => h.Keyword);
        var hits = new List<KeywordHit>();
        var lineFeeds = search.FindAllCountingLineFeeds(data, hits);
        Assert.Equal(expected, hits);
        Assert.Contains(new KeywordHit(at, k), hits);
        Assert.Equal(data.Count(b => b == (byte)'\n'), lineFeeds);
    }

    internal static List<KeywordHit> Naive(KeywordSearch search, byte[] data, int from, int to)
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
