using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlBuildGuard.Core.Secrets.Engine;

/// <summary>A keyword of the prefilter: its ASCII bytes, and whether letters match in either case.</summary>
public readonly record struct Keyword(string Text, bool IgnoreCase);

/// <summary>A keyword found at a byte offset of the searched data.</summary>
public readonly record struct KeywordHit(int Position, int Keyword);

/// <summary>
/// Finds many short keywords in bytes at once, fast enough to run beside SHA-256 in the same pass (SPEC §8). It is the
/// "Teddy" technique: the keywords are spread over 8 buckets (one bit each), and for every 32-byte block two SIMD
/// nibble-table lookups per fingerprint byte say which buckets' first four bytes could start at each position (keywords
/// are spread so that each bucket's tables stay tight). Only those
/// few candidates are compared with the keywords themselves. .NET's <c>SearchValues&lt;string&gt;</c> does the same for
/// UTF-16 text; secrets are scanned as raw bytes, and widening every byte to a char first costs more than the search.
/// Without SIMD a table-driven scalar loop gives the same answers.
/// </summary>
public sealed class KeywordSearch
{
    private const int Fingerprint = 4;
    private const int Buckets = 8;

    private readonly byte[][] _lower; // keyword bytes, letters lowered where the keyword ignores case
    private readonly bool[] _ignoreCase;
    private readonly int[][] _bucketKeywords;

    // Per keyword and fingerprint position, the sets of low and high nibbles it admits (bit n = nibble n).
    private readonly (int Low, int High)[][] _nibbles;

    // Nibble tables per fingerprint position: lo[k][n] / hi[k][n] hold the buckets whose keywords may have a byte with that
    // low / high nibble at position k. A byte's buckets at position k are lo[k][b & 15] & hi[k][b >> 4].
    private readonly Vector128<byte>[] _lo = new Vector128<byte>[Fingerprint];
    private readonly Vector128<byte>[] _hi = new Vector128<byte>[Fingerprint];

    // The exact per-byte bucket masks, for the scalar path and the last bytes of the data.
    private readonly byte[][] _table = new byte[Fingerprint][];

    public KeywordSearch(IReadOnlyList<Keyword> keywords)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        Keywords = keywords;
        _lower = new byte[keywords.Count][];
        _ignoreCase = new bool[keywords.Count];
        for (var i = 0; i < keywords.Count; i++)
        {
            var text = keywords[i].Text;
            if (string.IsNullOrEmpty(text) || text.Any(c => c > 0x7F))
            {
                throw new ArgumentException($"keyword '{text}' must be non-empty ASCII", nameof(keywords));
            }

            _ignoreCase[i] = keywords[i].IgnoreCase;
            _lower[i] = text.Select(c => (byte)(keywords[i].IgnoreCase ? char.ToLowerInvariant(c) : c)).ToArray();
            MaxLength = Math.Max(MaxLength, text.Length);
        }

        _nibbles = _lower.Select((bytes, i) => Enumerable.Range(0, Fingerprint).Select(k =>
        {
            int low = 0, high = 0;
            foreach (var value in Variants(bytes, k, _ignoreCase[i]))
            {
                low |= 1 << (value & 15);
                high |= 1 << (value >> 4);
            }

            return (low, high);
        }).ToArray()).ToArray();

        // Each bucket admits the nibble combinations of all its keywords, so a bucket of unlike keywords lets through
        // much more than its keywords: put each keyword (the least specific first) where it widens a bucket least.
        var bucketLists = Enumerable.Range(0, Buckets).Select(_ => new List<int>()).ToArray();
        var order = Enumerable.Range(0, keywords.Count).OrderByDescending(i => Admitted([i])).ThenBy(i => keywords[i].Text, StringComparer.Ordinal);
        foreach (var keyword in order)
        {
            var best = Enumerable.Range(0, Buckets)
                .OrderBy(b => Admitted([.. bucketLists[b], keyword]) - Admitted(bucketLists[b]))
                .ThenBy(b => bucketLists[b].Count)
                .First();
            bucketLists[best].Add(keyword);
        }

        _bucketKeywords = bucketLists.Select(l => l.ToArray()).ToArray();
        var lo = new byte[Fingerprint, 16];
        var hi = new byte[Fingerprint, 16];
        for (var k = 0; k < Fingerprint; k++)
        {
            _table[k] = new byte[256];
        }

        for (var b = 0; b < Buckets; b++)
        {
            var bit = (byte)(1 << b);
            foreach (var keyword in _bucketKeywords[b])
            {
                var bytes = _lower[keyword];
                for (var k = 0; k < Fingerprint; k++)
                {
                    foreach (var value in Variants(bytes, k, _ignoreCase[keyword]))
                    {
                        lo[k, value & 15] |= bit;
                        hi[k, value >> 4] |= bit;
                        _table[k][value] |= bit;
                    }
                }
            }
        }

        for (var k = 0; k < Fingerprint; k++)
        {
            _lo[k] = Vector128.Create(Enumerable.Range(0, 16).Select(n => lo[k, n]).ToArray());
            _hi[k] = Vector128.Create(Enumerable.Range(0, 16).Select(n => hi[k, n]).ToArray());
        }
    }

    public IReadOnlyList<Keyword> Keywords { get; }

    /// <summary>The length of the longest keyword: a hit may need this many bytes from its position.</summary>
    public int MaxLength { get; }

    /// <summary>
    /// The expected share of positions of ordinary text that a bucket of these keywords lets through its nibble tables:
    /// over the fingerprint positions, the product of the frequencies of the bytes whose low and high nibbles the bucket
    /// admits there. Text is modelled roughly (lowercase letters common, then spaces, digits, capitals, punctuation).
    /// </summary>
    private double Admitted(IReadOnlyCollection<int> bucket)
    {
        if (bucket.Count == 0)
        {
            return 0;
        }

        double product = 1;
        for (var k = 0; k < Fingerprint; k++)
        {
            // The low and high nibbles admitted at k, as 16-bit sets.
            int lows = 0, highs = 0;
            foreach (var i in bucket)
            {
                lows |= _nibbles[i][k].Low;
                highs |= _nibbles[i][k].High;
            }

            double share = 0;
            for (var high = 0; high < 16; high++)
            {
                if ((highs & (1 << high)) == 0)
                {
                    continue;
                }

                for (var low = 0; low < 16; low++)
                {
                    if ((lows & (1 << low)) != 0)
                    {
                        share += Frequencies[(high << 4) | low];
                    }
                }
            }

            product *= share;
        }

        return product;
    }

    private static readonly double[] Frequencies = Enumerable.Range(0, 256).Select(b => TextFrequency((byte)b)).ToArray();

    private static double TextFrequency(byte b) => b switch
    {
        >= (byte)'a' and <= (byte)'z' => 0.03,
        (byte)' ' => 0.1,
        >= (byte)'0' and <= (byte)'9' => 0.02,
        >= (byte)'A' and <= (byte)'Z' => 0.01,
        < 0x20 or >= 0x7F => 0.0005,
        _ => 0.004,
    };

    /// <summary>The byte values a keyword may have at position <paramref name="k"/>: any byte past its end.</summary>
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
    /// Adds to <paramref name="hits"/>, in position order (keywords at one position in bucket order), every keyword that starts at a position in
    /// [<paramref name="from"/>, <paramref name="data"/>.Length) and ends within <paramref name="data"/>.
    /// </summary>
    public void FindAll(ReadOnlySpan<byte> data, int from, List<KeywordHit> hits)
    {
        var i = from;
        if (Avx2.IsSupported)
        {
            i = FindAvx2(data, i, hits);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            i = FindVector128(data, i, hits);
        }

        for (; i < data.Length; i++)
        {
            var m = 0xFF;
            for (var k = 0; k < Fingerprint && i + k < data.Length; k++)
            {
                m &= _table[k][data[i + k]];
            }

            if (m != 0)
            {
                Verify(data, i, (uint)m, hits);
            }
        }
    }

    private int FindAvx2(ReadOnlySpan<byte> data, int i, List<KeywordHit> hits)
    {
        var lo0 = Vector256.Create(_lo[0], _lo[0]);
        var lo1 = Vector256.Create(_lo[1], _lo[1]);
        var lo2 = Vector256.Create(_lo[2], _lo[2]);
        var hi0 = Vector256.Create(_hi[0], _hi[0]);
        var hi1 = Vector256.Create(_hi[1], _hi[1]);
        var hi2 = Vector256.Create(_hi[2], _hi[2]);
        var lo3 = Vector256.Create(_lo[3], _lo[3]);
        var hi3 = Vector256.Create(_hi[3], _hi[3]);
        var nibble = Vector256.Create((byte)15);
        ref var start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        var last = data.Length - 32 - (Fingerprint - 1);
        for (; i <= last; i += 32)
        {
            var v0 = Vector256.LoadUnsafe(ref start, (nuint)i);
            var v1 = Vector256.LoadUnsafe(ref start, (nuint)(i + 1));
            var v2 = Vector256.LoadUnsafe(ref start, (nuint)(i + 2));
            var v3 = Vector256.LoadUnsafe(ref start, (nuint)(i + 3));
            var m = Avx2.Shuffle(lo0, v0 & nibble) & Avx2.Shuffle(hi0, Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(lo1, v1 & nibble) & Avx2.Shuffle(hi1, Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(lo2, v2 & nibble) & Avx2.Shuffle(hi2, Vector256.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(lo3, v3 & nibble) & Avx2.Shuffle(hi3, Vector256.ShiftRightLogical(v3.AsUInt16(), 4).AsByte() & nibble);
            if (m == Vector256<byte>.Zero)
            {
                continue;
            }

            var positions = ~Vector256.Equals(m, Vector256<byte>.Zero).ExtractMostSignificantBits();
            while (positions != 0)
            {
                var j = BitOperations.TrailingZeroCount(positions);
                positions &= positions - 1;
                Verify(data, i + j, m.GetElement(j), hits);
            }
        }

        return Math.Max(i, 0);
    }

    private int FindVector128(ReadOnlySpan<byte> data, int i, List<KeywordHit> hits)
    {
        var nibble = Vector128.Create((byte)15);
        ref var start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        var last = data.Length - 16 - (Fingerprint - 1);
        for (; i <= last; i += 16)
        {
            var m = Vector128<byte>.AllBitsSet;
            for (var k = 0; k < Fingerprint; k++)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)(i + k));
                m &= Vector128.ShuffleNative(_lo[k], v & nibble) & Vector128.ShuffleNative(_hi[k], Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);
            }

            if (m == Vector128<byte>.Zero)
            {
                continue;
            }

            var positions = ~Vector128.Equals(m, Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF;
            while (positions != 0)
            {
                var j = BitOperations.TrailingZeroCount(positions);
                positions &= positions - 1;
                Verify(data, i + j, m.GetElement(j), hits);
            }
        }

        return Math.Max(i, 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Verify(ReadOnlySpan<byte> data, int at, uint buckets, List<KeywordHit> hits)
    {
        while (buckets != 0)
        {
            var b = BitOperations.TrailingZeroCount(buckets);
            buckets &= buckets - 1;
            foreach (var k in _bucketKeywords[b])
            {
                if (Matches(data, at, k))
                {
                    hits.Add(new KeywordHit(at, k));
                }
            }
        }
    }

    /// <summary>Whether keyword <paramref name="k"/> is at <paramref name="at"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> data, int at, int k)
    {
        var keyword = _lower[k];
        if (at + keyword.Length > data.Length)
        {
            return false;
        }

        var candidate = data.Slice(at, keyword.Length);
        if (!_ignoreCase[k])
        {
            return candidate.SequenceEqual(keyword);
        }

        for (var n = 0; n < keyword.Length; n++)
        {
            var c = candidate[n];
            if ((c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c + 32) : c) != keyword[n])
            {
                return false;
            }
        }

        return true;
    }
}
