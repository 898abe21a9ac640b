using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlBuildGuard.Core.Secrets.Engine;

/// <summary>A keyword of the prefilter: its ASCII bytes, and whether letters match in either case.</summary>
public readonly record struct Keyword(string Text, bool IgnoreCase);

/// <summary>A keyword found at a byte offset of the searched data.</summary>
public readonly record struct KeywordHit(int Position, int Keyword);

/// <summary>
/// Finds many short keywords in bytes at once, cheaply enough to run beside SHA-256 in the same pass (SPEC §8). Each
/// keyword is looked for by a three-byte anchor inside it, with the keywords spread over 8 buckets
/// (<see cref="KeywordBuckets"/>): per 32 bytes, two SIMD nibble-table lookups per anchor position say which buckets'
/// anchors could be at each position, and only those few candidates are compared with the keywords themselves, eight
/// bytes at a time. The same loop counts line feeds for the scanner, so its bytes are read once. .NET's
/// <c>SearchValues&lt;string&gt;</c> does the same for UTF-16 text; secrets are scanned as raw bytes, and widening every
/// byte to a char first costs more than the search. Without SIMD a table-driven scalar loop gives the same answers.
/// </summary>
public sealed class KeywordSearch
{
    private const int Width = KeywordBuckets.Width;

    private readonly byte[][] _lower; // keyword bytes, letters lowered where the keyword ignores case
    private readonly bool[] _ignoreCase;
    private readonly int[] _anchor;
    private readonly int[][] _bucketKeywords;
    private readonly Vector128<byte>[] _lo;
    private readonly Vector128<byte>[] _hi;
    private readonly byte[][] _table;
    private readonly bool _asciiAnchors;
    private readonly bool _anchorsMove; // some anchor is not at its keyword's start, so hits can come out of order

    // The first (up to) eight bytes of each keyword for a quick comparison: data bytes ORed with Fold (0x20 on letters
    // that match in either case) and ANDed with Mask (the keyword's bytes) must equal Head.
    private readonly ulong[] _head;
    private readonly ulong[] _fold;
    private readonly ulong[] _mask;

    public KeywordSearch(IReadOnlyList<Keyword> keywords)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        Keywords = keywords;
        _lower = new byte[keywords.Count][];
        _ignoreCase = new bool[keywords.Count];
        _head = new ulong[keywords.Count];
        _fold = new ulong[keywords.Count];
        _mask = new ulong[keywords.Count];
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
            for (var n = 0; n < Math.Min(8, text.Length); n++)
            {
                var b = _lower[i][n];
                _head[i] |= (ulong)b << (8 * n);
                _mask[i] |= 0xFFUL << (8 * n);
                if (_ignoreCase[i] && b is >= (byte)'a' and <= (byte)'z')
                {
                    _fold[i] |= 0x20UL << (8 * n);
                }
            }
        }

        var buckets = new KeywordBuckets(_lower, _ignoreCase);
        _anchor = buckets.Anchor;
        _bucketKeywords = buckets.Members;
        _lo = buckets.Low;
        _hi = buckets.High;
        _table = buckets.Exact;
        _asciiAnchors = buckets.AsciiAnchors;
        _anchorsMove = _anchor.Any(a => a > 0);
    }

    public IReadOnlyList<Keyword> Keywords { get; }

    /// <summary>The length of the longest keyword: a hit may need this many bytes from its position.</summary>
    public int MaxLength { get; }

    /// <summary>
    /// Adds to <paramref name="hits"/>, in position order (keywords at one position in index order), every keyword that
    /// starts at a position in [<paramref name="from"/>, <paramref name="data"/>.Length) and ends within <paramref name="data"/>.
    /// </summary>
    public void FindAll(ReadOnlySpan<byte> data, int from, List<KeywordHit> hits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        Find(data, from, hits, countLineFeeds: false);
    }

    /// <summary>
    /// <see cref="FindAll"/> from the start of <paramref name="data"/>, and the number of line feeds ('\n') in it, counted
    /// in the same pass over the bytes.
    /// </summary>
    internal long FindAllCountingLineFeeds(ReadOnlySpan<byte> data, List<KeywordHit> hits) => Find(data, 0, hits, countLineFeeds: true);

    private long Find(ReadOnlySpan<byte> data, int from, List<KeywordHit> hits, bool countLineFeeds)
    {
        var first = hits.Count;
        long lineFeeds = 0;
        var i = from;
        var counted = from; // the line feeds of data[from..counted] are in lineFeeds
        if (Keywords.Count > 0 && Avx2.IsSupported)
        {
            i = (_asciiAnchors, countLineFeeds) switch
            {
                (true, true) => FindAvx2<Yes, Yes>(data, i, hits, ref lineFeeds),
                (true, false) => FindAvx2<Yes, No>(data, i, hits, ref lineFeeds),
                (false, true) => FindAvx2<No, Yes>(data, i, hits, ref lineFeeds),
                _ => FindAvx2<No, No>(data, i, hits, ref lineFeeds),
            };
            counted = i;
        }
        else if (Keywords.Count > 0 && Vector128.IsHardwareAccelerated)
        {
            i = FindVector128(data, i, hits);
        }

        if (countLineFeeds)
        {
            lineFeeds += data[counted..].Count((byte)'\n');
        }

        if (Keywords.Count > 0)
        {
            for (; i < data.Length; i++)
            {
                var m = 0xFF;
                for (var k = 0; k < Width && i + k < data.Length; k++)
                {
                    m &= _table[k][data[i + k]];
                }

                if (m != 0)
                {
                    Verify(data, from, i, (uint)m, hits);
                }
            }
        }

        if (_anchorsMove && hits.Count - first > 1)
        {
            SortFrom(hits, first);
        }

        return lineFeeds;
    }

    /// <summary>Puts hits[first..] in position order (anchors at different offsets of their keywords find them out of order).</summary>
    private static void SortFrom(List<KeywordHit> hits, int first)
    {
        for (var n = first + 1; n < hits.Count; n++)
        {
            if (Compare(hits[n - 1], hits[n]) > 0)
            {
                hits.Sort(first, hits.Count - first, Comparer<KeywordHit>.Create(Compare));
                return;
            }
        }

        static int Compare(KeywordHit a, KeywordHit b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Keyword.CompareTo(b.Keyword);
    }

    /// <summary>
    /// 64 bytes per iteration: for each 32, the nibble lookups of the three anchor positions (unaligned loads at +0, +1,
    /// +2), ANDed; one branch for both. Returns where the scalar loop takes over; adds the line feeds of the bytes covered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindAvx2<TAscii, TCount>(ReadOnlySpan<byte> data, int i, List<KeywordHit> hits, ref long lineFeeds)
        where TAscii : struct, IFlag
        where TCount : struct, IFlag
    {
        var lo0 = Vector256.Create(_lo[0], _lo[0]);
        var lo1 = Vector256.Create(_lo[1], _lo[1]);
        var lo2 = Vector256.Create(_lo[2], _lo[2]);
        var hi0 = Vector256.Create(_hi[0], _hi[0]);
        var hi1 = Vector256.Create(_hi[1], _hi[1]);
        var hi2 = Vector256.Create(_hi[2], _hi[2]);
        var nibble = Vector256.Create((byte)15);
        var lineFeed = Vector256.Create((byte)'\n');
        ref var start = ref MemoryMarshal.GetReference(data);
        var last = data.Length - 64 - (Width - 1);
        while (i <= last)
        {
            // Per-byte line feed counters may count to 255: 127 iterations add at most 254.
            var counts = Vector256<byte>.Zero;
            var stop = Math.Min(last, i + 126 * 64);
            for (; i <= stop; i += 64)
            {
                var a0 = Vector256.LoadUnsafe(ref start, (nuint)i);
                var a1 = Vector256.LoadUnsafe(ref start, (nuint)(i + 1));
                var a2 = Vector256.LoadUnsafe(ref start, (nuint)(i + 2));
                var b0 = Vector256.LoadUnsafe(ref start, (nuint)(i + 32));
                var b1 = Vector256.LoadUnsafe(ref start, (nuint)(i + 33));
                var b2 = Vector256.LoadUnsafe(ref start, (nuint)(i + 34));
                Vector256<byte> ma, mb;
                if (TAscii.On)
                {
                    ma = Avx2.Shuffle(lo0, a0) & Avx2.Shuffle(hi0, Vector256.ShiftRightLogical(a0.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo1, a1) & Avx2.Shuffle(hi1, Vector256.ShiftRightLogical(a1.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo2, a2) & Avx2.Shuffle(hi2, Vector256.ShiftRightLogical(a2.AsUInt16(), 4).AsByte() & nibble);
                    mb = Avx2.Shuffle(lo0, b0) & Avx2.Shuffle(hi0, Vector256.ShiftRightLogical(b0.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo1, b1) & Avx2.Shuffle(hi1, Vector256.ShiftRightLogical(b1.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo2, b2) & Avx2.Shuffle(hi2, Vector256.ShiftRightLogical(b2.AsUInt16(), 4).AsByte() & nibble);
                }
                else
                {
                    ma = Avx2.Shuffle(lo0, a0 & nibble) & Avx2.Shuffle(hi0, Vector256.ShiftRightLogical(a0.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo1, a1 & nibble) & Avx2.Shuffle(hi1, Vector256.ShiftRightLogical(a1.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo2, a2 & nibble) & Avx2.Shuffle(hi2, Vector256.ShiftRightLogical(a2.AsUInt16(), 4).AsByte() & nibble);
                    mb = Avx2.Shuffle(lo0, b0 & nibble) & Avx2.Shuffle(hi0, Vector256.ShiftRightLogical(b0.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo1, b1 & nibble) & Avx2.Shuffle(hi1, Vector256.ShiftRightLogical(b1.AsUInt16(), 4).AsByte() & nibble)
                        & Avx2.Shuffle(lo2, b2 & nibble) & Avx2.Shuffle(hi2, Vector256.ShiftRightLogical(b2.AsUInt16(), 4).AsByte() & nibble);
                }

                if (TCount.On)
                {
                    // A match is all ones (-1): subtracting it adds one.
                    counts -= Vector256.Equals(a0, lineFeed) + Vector256.Equals(b0, lineFeed);
                }

                if ((ma | mb) != Vector256<byte>.Zero)
                {
                    Candidates(data, i, ma, hits);
                    Candidates(data, i + 32, mb, hits);
                }
            }

            if (TCount.On)
            {
                lineFeeds += (long)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
            }
        }

        return i;
    }

    /// <summary>Verifies each position of a 32-byte block whose bucket mask is not zero.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Candidates(ReadOnlySpan<byte> data, int at, Vector256<byte> m, List<KeywordHit> hits)
    {
        var positions = ~Vector256.Equals(m, Vector256<byte>.Zero).ExtractMostSignificantBits();
        while (positions != 0)
        {
            var j = BitOperations.TrailingZeroCount(positions);
            positions &= positions - 1;
            Verify(data, 0, at + j, m.GetElement(j), hits);
        }
    }

    private int FindVector128(ReadOnlySpan<byte> data, int i, List<KeywordHit> hits)
    {
        var nibble = Vector128.Create((byte)15);
        ref var start = ref MemoryMarshal.GetReference(data);
        var last = data.Length - 16 - (Width - 1);
        for (; i <= last; i += 16)
        {
            var m = Vector128<byte>.AllBitsSet;
            for (var k = 0; k < Width; k++)
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
                Verify(data, 0, i + j, m.GetElement(j), hits);
            }
        }

        return i;
    }

    /// <summary>Adds the keywords of <paramref name="buckets"/> whose anchor is at <paramref name="at"/> and that start at or after <paramref name="from"/>.</summary>
    private void Verify(ReadOnlySpan<byte> data, int from, int at, uint buckets, List<KeywordHit> hits)
    {
        while (buckets != 0)
        {
            var b = BitOperations.TrailingZeroCount(buckets);
            buckets &= buckets - 1;
            foreach (var k in _bucketKeywords[b])
            {
                var position = at - _anchor[k];
                if (position >= from && IsAt(data, position, k))
                {
                    hits.Add(new KeywordHit(position, k));
                }
            }
        }
    }

    /// <summary><see cref="Matches"/> with the first eight bytes compared at once where the data has them.</summary>
    private bool IsAt(ReadOnlySpan<byte> data, int at, int k)
    {
        if (at + 8 > data.Length)
        {
            return Matches(data, at, k);
        }

        var head = BinaryPrimitives.ReadUInt64LittleEndian(data[at..]);
        return ((head | _fold[k]) & _mask[k]) == _head[k] && (_lower[k].Length <= 8 || Matches(data, at, k));
    }

    /// <summary>Whether keyword <paramref name="k"/> is at <paramref name="at"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> data, int at, int k)
    {
        var keyword = _lower[k];
        if (at < 0 || at + keyword.Length > data.Length)
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

    /// <summary>A compile-time switch for the SIMD loop's variants (the JIT drops the branches of the other).</summary>
    private interface IFlag
    {
        static abstract bool On { get; }
    }

    private readonly struct Yes : IFlag
    {
        public static bool On => true;
    }

    private readonly struct No : IFlag
    {
        public static bool On => false;
    }
}
