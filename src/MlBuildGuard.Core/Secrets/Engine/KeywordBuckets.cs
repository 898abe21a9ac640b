using System.Runtime.Intrinsics;

namespace MlBuildGuard.Core.Secrets.Engine;

/// <summary>
/// How <see cref="KeywordSearch"/> looks for its keywords: for each keyword a four-byte <b>anchor</b> (the run of four
/// of its bytes that ordinary data matches least), and the keywords spread over 8 buckets (one bit each) so that each
/// bucket's tables admit as little ordinary data as possible. A byte's buckets at anchor position k are
/// <c>Low[k][b &amp; 15]</c>, and at the first position also <c>High[0][b &gt;&gt; 4]</c>: a "Teddy" lookup (Hyperscan, Rust's
/// regex crate) that takes the high nibble at one position only. On AVX2 the raw byte indexes the low-nibble shuffle
/// (bytes of 0x80 and more give 0, and keywords are ASCII) with no shift or mask, so four positions cost fewer
/// operations than both nibbles at three. Letters of either case share their low nibble. Low nibbles alone at four
/// positions were measured too: three-byte keywords (<c>A3T</c>, <c>eyJ</c>, <c>hf_</c>, <c>://</c>) then carry about
/// 12 bits, and with the rest a third of the 64-byte blocks of CSV and base64 let a candidate through; the first
/// position's high nibble brings that back to what both nibbles at three positions let through (docs/benchmarks.md).
/// Since the tables admit every mix of the nibbles of a bucket's anchors, keywords go where they widen a bucket least.
/// A keyword shorter than four bytes admits any byte at the positions past its end (<see cref="Exact"/> is then 0xFF
/// for every byte, and the search masks those positions' bytes to their low nibble so bytes of 0x80 and more pass).
/// </summary>
internal sealed class KeywordBuckets
{
    /// <summary>The anchor's length: positions looked up per candidate.</summary>
    public const int Width = 4;

    public const int Count = 8;

    public KeywordBuckets(byte[][] lower, bool[] ignoreCase)
    {
        var n = lower.Length;
        Anchor = new int[n];

        // Each keyword's own cost at each anchor offset; the least specific keywords are placed first.
        var options = Enumerable.Range(0, n).Select(k => Enumerable.Range(0, Math.Max(1, lower[k].Length - Width + 1))
            .Select(offset => Nibbles(lower[k], offset, ignoreCase[k])).ToArray()).ToArray();
        var lists = Enumerable.Range(0, Count).Select(_ => new List<long[]>()).ToArray();
        var members = Enumerable.Range(0, Count).Select(_ => new List<int>()).ToArray();
        var order = Enumerable.Range(0, n)
            .OrderByDescending(k => options[k].Min(o => Admitted([o])))
            .ThenBy(k => lower[k].Length)
            .ThenBy(k => k);
        foreach (var k in order)
        {
            var best = (Bucket: 0, Offset: 0, Cost: double.MaxValue);
            for (var b = 0; b < Count; b++)
            {
                var before = Admitted(lists[b]);
                for (var offset = 0; offset < options[k].Length; offset++)
                {
                    var cost = Admitted([.. lists[b], options[k][offset]]) - before;
                    if (cost < best.Cost * (1 - 1e-9) || (cost <= best.Cost * (1 + 1e-9) && members[b].Count < members[best.Bucket].Count))
                    {
                        best = (b, offset, cost);
                    }
                }
            }

            lists[best.Bucket].Add(options[k][best.Offset]);
            members[best.Bucket].Add(k);
            Anchor[k] = best.Offset;
        }

        Members = members.Select(m => m.Order().ToArray()).ToArray();
        Exact = Enumerable.Range(0, Width).Select(_ => new byte[256]).ToArray();
        var low = new byte[Width, 16];
        var high = new byte[Width, 16];
        for (var b = 0; b < Count; b++)
        {
            var bit = (byte)(1 << b);
            foreach (var k in Members[b])
            {
                for (var p = 0; p < Width; p++)
                {
                    foreach (var value in Variants(lower[k], Anchor[k] + p, ignoreCase[k]))
                    {
                        low[p, value & 15] |= bit;
                        high[p, value >> 4] |= bit;
                        Exact[p][value] |= bit;
                    }
                }
            }
        }

        Low = Enumerable.Range(0, Width).Select(p => Vector128.Create(Enumerable.Range(0, 16).Select(v => low[p, v]).ToArray())).ToArray();
        High = Enumerable.Range(0, Width).Select(p => Vector128.Create(Enumerable.Range(0, 16).Select(v => high[p, v]).ToArray())).ToArray();
        MinLength = lower.Length == 0 ? Width : Math.Min(Width, lower.Min(bytes => bytes.Length));
    }

    /// <summary>Per keyword, where its anchor starts within it.</summary>
    public int[] Anchor { get; }

    /// <summary>Per bucket, its keywords (ascending).</summary>
    public int[][] Members { get; }

    /// <summary>Per anchor position, the buckets admitted by each low nibble.</summary>
    public Vector128<byte>[] Low { get; }

    /// <summary>
    /// Per anchor position, the buckets admitted by each high nibble: the search's loop looks up the first position's;
    /// the others narrow the blocks it keeps before any byte is compared.
    /// </summary>
    public Vector128<byte>[] High { get; }

    /// <summary>Per anchor position, the buckets whose keywords have exactly that byte there (every bucket past a short keyword's end).</summary>
    public byte[][] Exact { get; }

    /// <summary>
    /// The shortest keyword's length, at most <see cref="Width"/>: anchor positions from this one on may lie past a
    /// keyword's end, where any byte is admitted, so a lookup there must not drop bytes of 0x80 and more; positions
    /// before it hold only ASCII anchor bytes.
    /// </summary>
    public int MinLength { get; }

    /// <summary>
    /// Per anchor position, the byte values (bits of 256) a keyword's lookups admit there: every byte with one of its low
    /// nibbles, at the first position only those with one of its high nibbles too; every byte past its end.
    /// </summary>
    private static long[] Nibbles(byte[] bytes, int offset, bool ignoreCase) =>
        Enumerable.Range(0, Width).Select(p =>
        {
            var values = Variants(bytes, offset + p, ignoreCase).ToArray();
            var (lows, highs) = (values.Aggregate(0, (set, v) => set | 1 << (v & 15)), values.Aggregate(0, (set, v) => set | 1 << (v >> 4)));
            return (long)lows | (p == 0 ? (long)highs << 16 : 0xFFFFL << 16);
        }).ToArray();

    /// <summary>The byte values a keyword may have at index <paramref name="k"/>: any byte past its end.</summary>
    private static IEnumerable<int> Variants(byte[] bytes, int k, bool ignoreCase)
    {
        if (k >= bytes.Length)
        {
            return Enumerable.Range(0, 256);
        }

        var b = bytes[k];
        return ignoreCase && b is >= (byte)'a' and <= (byte)'z' ? [b, b - 32] : [b];
    }

    /// <summary>
    /// The offsets of the two rarest bytes of a keyword by <see cref="Frequencies"/>, the second of another value than the
    /// first where the keyword has one (both 0 for a one-byte keyword).
    /// </summary>
    public static (int A, int B) RarestPair(byte[] keyword)
    {
        var byRarity = Enumerable.Range(0, keyword.Length).OrderBy(n => Frequencies[keyword[n]]).ThenBy(n => n).ToArray();
        var a = byRarity[0];
        var b = byRarity.Skip(1).Cast<int?>().FirstOrDefault(n => keyword[n!.Value] != keyword[a]) ?? byRarity.ElementAtOrDefault(1);
        return (a, b);
    }

    /// <summary>
    /// The expected share of positions of ordinary data that a bucket's tables let through: over the anchor positions,
    /// the product of the frequencies of the bytes whose nibbles the bucket admits there (low and high nibble packed as
    /// by <see cref="Nibbles"/>).
    /// </summary>
    private static double Admitted(IReadOnlyCollection<long[]> bucket)
    {
        if (bucket.Count == 0)
        {
            return 0;
        }

        double product = 1;
        for (var p = 0; p < Width; p++)
        {
            var admitted = 0L;
            foreach (var anchor in bucket)
            {
                admitted |= anchor[p];
            }

            double share = 0;
            for (var value = 0; value < 256; value++)
            {
                if ((admitted & (1L << (value & 15))) != 0 && (admitted & (1L << (16 + (value >> 4)))) != 0)
                {
                    share += Frequencies[value];
                }
            }

            product *= share;
        }

        return product;
    }

    /// <summary>
    /// A rough model of the bytes of training data and model files: text (lowercase letters and spaces most common),
    /// numbers, identifiers and encoded values (hex, base64, UUIDs: capitals, digits, '-', '+', '/', '='), CSV and JSON
    /// punctuation, and binary data.
    /// </summary>
    private static readonly double[] Frequencies = Normalised(Enumerable.Range(0, 256).Select(b => (byte)b switch
    {
        >= (byte)'a' and <= (byte)'z' => 3.0,
        >= (byte)'A' and <= (byte)'Z' => 1.5,
        >= (byte)'0' and <= (byte)'9' => 3.0,
        (byte)' ' => 8.0,
        (byte)',' or (byte)'.' or (byte)'"' or (byte)'-' or (byte)'\n' or (byte)':' => 2.0,
        (byte)'/' or (byte)'+' or (byte)'=' or (byte)'_' or (byte)'\'' or (byte)'{' or (byte)'}' => 0.8,
        < 0x20 or >= 0x7F => 0.1,
        _ => 0.3,
    }));

    private static double[] Normalised(IEnumerable<double> weights)
    {
        var array = weights.ToArray();
        var sum = array.Sum();
        return array.Select(w => w / sum).ToArray();
    }
}
