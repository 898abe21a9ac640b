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
/// keyword is looked for by a four-byte anchor inside it, with the keywords spread over 8 buckets
/// (<see cref="KeywordBuckets"/>): per 32 bytes, one SIMD low-nibble table lookup per anchor position, indexed by the
/// raw bytes, and one high-nibble lookup at the first, say which buckets' anchors could be at each position, and only those few candidates are narrowed by exact
/// per-byte tables and compared with the keywords themselves, eight bytes at a time. The same loop counts line feeds for the scanner, so its bytes are read once. .NET's
/// <c>SearchValues&lt;string&gt;</c> does the same for UTF-16 text; secrets are scanned as raw bytes, and widening every
/// byte to a char first costs more than the search. Without AVX2 the same loop runs 16 bytes wide (Arm, the Native AOT
/// <c>mlguard</c>; <c>KeywordSearch.Vector128.cs</c>); without SIMD a table-driven scalar loop gives the same answers. A
/// set of one exact keyword (the private-key detector) skips the lookups: two byte compares per position do.
/// </summary>
public sealed partial class KeywordSearch
{
    private const int Width = KeywordBuckets.Width;

    private readonly byte[][] _lower; // keyword bytes, letters lowered where the keyword ignores case
    private readonly bool[] _ignoreCase;
    private readonly int[] _anchor;
    private readonly int[][] _bucketKeywords;
    private readonly Vector128<byte>[] _lo;
    private readonly Vector128<byte>[] _hi; // per anchor position, the high-nibble table
    private readonly byte[][] _table;
    private readonly int _minLength; // the shortest keyword's length, at most Width
    private readonly SearchPath _path;
    private readonly byte[]? _single; // the keyword of a set of one that matches exactly
    private readonly (int A, int B) _pair; // offsets of its two rarest bytes
    private readonly bool _anchorsMove; // some anchor is not at its keyword's start, so hits can come out of order

    // The first (up to) eight bytes of each keyword for a quick comparison: data bytes ORed with Fold (0x20 on letters
    // that match in either case) and ANDed with Mask (the keyword's bytes) must equal Head.
    private readonly ulong[] _head;
    private readonly ulong[] _fold;
    private readonly ulong[] _mask;

    public KeywordSearch(IReadOnlyList<Keyword> keywords)
        : this(keywords, SearchPath.Fastest)
    {
    }

    /// <summary>A search that takes the given path even where a faster one is supported (tests check each path).</summary>
    internal KeywordSearch(IReadOnlyList<Keyword> keywords, SearchPath path)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        _path = path;
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
        _minLength = buckets.MinLength;
        _anchorsMove = _anchor.Any(a => a > 0);
        if (keywords.Count == 1 && (!_ignoreCase[0] || !_lower[0].Any(b => char.IsAsciiLetter((char)b))))
        {
            _single = _lower[0];
            _pair = KeywordBuckets.RarestPair(_single);
        }
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
        if (_single is { } single)
        {
            long singleLineFeeds = 0;
            var start = from;
            if (UseAvx2)
            {
                start = countLineFeeds ? FindPairAvx2<Yes>(data, from, hits, ref singleLineFeeds) : FindPairAvx2<No>(data, from, hits, ref singleLineFeeds);
            }
            else if (_path != SearchPath.Scalar && Vector128.IsHardwareAccelerated)
            {
                start = countLineFeeds ? FindPair128<Yes>(data, from, hits, ref singleLineFeeds) : FindPair128<No>(data, from, hits, ref singleLineFeeds);
            }

            FindSingle(data, start, single, hits);
            return countLineFeeds ? singleLineFeeds + data[start..].Count((byte)'\n') : 0;
        }

        var first = hits.Count;
        long lineFeeds = 0;
        var i = from;
        var counted = from; // the line feeds of data[from..counted] are in lineFeeds
        if (Keywords.Count > 0 && UseAvx2)
        {
            i = (_minLength, countLineFeeds) switch
            {
                (Width, true) => FindAvx2<MaskNone, Yes>(data, from, hits, ref lineFeeds),
                (Width, false) => FindAvx2<MaskNone, No>(data, from, hits, ref lineFeeds),
                (Width - 1, true) => FindAvx2<MaskLast, Yes>(data, from, hits, ref lineFeeds),
                (Width - 1, false) => FindAvx2<MaskLast, No>(data, from, hits, ref lineFeeds),
                (_, true) => FindAvx2<MaskAfterFirst, Yes>(data, from, hits, ref lineFeeds),
                _ => FindAvx2<MaskAfterFirst, No>(data, from, hits, ref lineFeeds),
            };
            counted = i;
        }
        else if (Keywords.Count > 0 && _path != SearchPath.Scalar && Vector128.IsHardwareAccelerated)
        {
            i = FindVector128(data, from, hits, countLineFeeds, ref lineFeeds);
            counted = i;
        }

        if (countLineFeeds)
        {
            lineFeeds += data[counted..].Count((byte)'\n');
        }

        if (Keywords.Count > 0)
        {
            // The bytes the SIMD loops leave (all of them on the scalar path): four table lookups per position, without
            // bounds checks while a whole anchor fits, then the last positions, where the anchor runs past the end.
            for (; i <= data.Length - Width; i++)
            {
                if (ExactBuckets(data, i) is var buckets and not 0)
                {
                    Verify(data, from, i, (uint)buckets, hits);
                }
            }

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

    /// <summary>
    /// A set of one exact keyword (the private-key detector of the hashing pass), 64 bytes per iteration: a keyword can
    /// start only where its two rarest bytes (<see cref="KeywordBuckets.RarestPair"/>) are at their offsets, so the loop
    /// compares two loads per 32 bytes with them, far less work than the nibble lookups of three anchor positions, and
    /// counts line feeds beside. As in <see cref="FindAvx2"/>, blocks with a candidate are only noted, and checked after
    /// the stretch. Returns the first keyword start not looked at; adds the line feeds before it (with
    /// <paramref name="from"/> 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindPairAvx2<TCount>(ReadOnlySpan<byte> data, int i, List<KeywordHit> hits, ref long lineFeeds)
        where TCount : struct, IFlag
    {
        var (a, b) = (_pair.A, _pair.B);
        var first = Vector256.Create(_single![a]);
        var second = Vector256.Create(_single[b]);
        var lineFeed = Vector256.Create((byte)'\n');
        Span<int> noted = stackalloc int[Stretch];
        var last = data.Length - 64 - Math.Max(Math.Max(a, b), _single.Length - 1);
        while (i <= last)
        {
            var counts = Vector256<byte>.Zero;
            var blocks = Math.Min(Stretch, (last - i) / 64 + 1);
            var found = 0;
            ref var p = ref Unsafe.Add(ref MemoryMarshal.GetReference(data), i);
            for (var n = 0; n < blocks; n++)
            {
                var m = (Vector256.Equals(Vector256.LoadUnsafe(ref p, (nuint)a), first) & Vector256.Equals(Vector256.LoadUnsafe(ref p, (nuint)b), second))
                    | (Vector256.Equals(Vector256.LoadUnsafe(ref p, (nuint)a + 32), first) & Vector256.Equals(Vector256.LoadUnsafe(ref p, (nuint)b + 32), second));
                if (TCount.On)
                {
                    counts -= Vector256.Equals(Vector256.LoadUnsafe(ref p), lineFeed) + Vector256.Equals(Vector256.LoadUnsafe(ref p, 32), lineFeed);
                }

                if (m != Vector256<byte>.Zero)
                {
                    noted[found++] = n;
                }

                p = ref Unsafe.Add(ref p, 64);
            }

            if (TCount.On)
            {
                lineFeeds += (long)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
            }

            AddPairHits(data, i, 64, noted[..found], hits);
            i += 64 * blocks;
        }

        return i;
    }

    /// <summary>
    /// The single keyword at every start of the noted blocks (indexes of <paramref name="blockBytes"/>-byte blocks from
    /// <paramref name="i"/>) of a pair loop. The loops stop early enough that the keyword fits before the end of the data
    /// at every start of a block.
    /// </summary>
    private void AddPairHits(ReadOnlySpan<byte> data, int i, int blockBytes, ReadOnlySpan<int> noted, List<KeywordHit> hits)
    {
        var single = _single!;
        var (a, b) = (_pair.A, _pair.B);
        foreach (var n in noted)
        {
            for (var at = i + blockBytes * n; at < i + blockBytes * (n + 1); at++)
            {
                if (data[at + a] == single[a] && data[at + b] == single[b] && data.Slice(at, single.Length).SequenceEqual(single))
                {
                    hits.Add(new KeywordHit(at, 0));
                }
            }
        }
    }

    /// <summary>The keyword of a set of one exact keyword at every start from <paramref name="from"/> (overlaps included).</summary>
    private static void FindSingle(ReadOnlySpan<byte> data, int from, byte[] keyword, List<KeywordHit> hits)
    {
        for (var i = from; i < data.Length;)
        {
            var at = data[i..].IndexOf(keyword);
            if (at < 0)
            {
                return;
            }

            hits.Add(new KeywordHit(i + at, 0));
            i += at + 1;
        }
    }

    private bool UseAvx2 => _path == SearchPath.Fastest && Avx2.IsSupported;

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

    /// <summary>Iterations of the AVX2 loop between two flushes of its candidate blocks (and of its line feed counters).</summary>
    private const int Stretch = 127;

    /// <summary>
    /// 64 bytes per iteration: for each 32, the low-nibble lookups of the four anchor positions (unaligned loads at +0,
    /// +1, +2, +3) and the first position's high-nibble lookup, ANDed. The loop neither branches on its data nor calls
    /// anything, so its tables stay in registers and ordinary data costs no mispredicted jump: every block's offset is
    /// stored in the next free slot of a buffer, and the slot is kept (the count moves on) only when a lookup admits some
    /// bucket. After a stretch of up to 127 blocks the kept blocks, a few percent of them, are looked up again, narrowed
    /// and verified (<see cref="Candidates"/>) in position order. Returns where the scalar loop takes over; adds the line
    /// feeds of the bytes covered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private int FindAvx2<TMask, TCount>(ReadOnlySpan<byte> data, int from, List<KeywordHit> hits, ref long lineFeeds)
        where TMask : struct, IMasking
        where TCount : struct, IFlag
    {
        var tables = new NibbleTables(_lo, _hi[0]);
        Span<nint> noted = stackalloc nint[Stretch + 1];
        var high = new HighTables(_hi);
        ref var start = ref MemoryMarshal.GetReference(data);
        var i = from;
        var last = data.Length - 64 - (Width - 1);
        while (i <= last)
        {
            var blocks = Math.Min(Stretch, (last - i) / 64 + 1);
            var found = ScanStretch<TMask, TCount>(ref Unsafe.Add(ref start, i), blocks, tables, noted, ref lineFeeds);
            foreach (var offset in noted[..found])
            {
                var at = i + (int)offset;
                var (first, second) = Narrow<TMask>(ref Unsafe.Add(ref start, at), tables, high);
                if ((first | second) != Vector256<byte>.Zero)
                {
                    Candidates(data, from, at, Positions(first), hits);
                    Candidates(data, from, at + 32, Positions(second), hits);
                }
            }

            i += 64 * blocks;
        }

        return i;
    }

    /// <summary>
    /// For benchmarks (<c>SecretsBench candidates</c>, by reflection): how many of the 64-byte blocks of
    /// <paramref name="data"/> the AVX2 loop keeps, how many of those still have a candidate after <see cref="Narrow"/>
    /// (their positions are compared byte by byte), and how many blocks were looked at. Zeros without AVX2.
    /// </summary>
    internal (long Kept, long Narrowed, long Blocks) CandidateBlocks(byte[] data)
    {
        if (Keywords.Count == 0 || !UseAvx2)
        {
            return (0, 0, 0);
        }

        var tables = new NibbleTables(_lo, _hi[0]);
        var high = new HighTables(_hi);
        long narrowed = 0;
        var noted = new nint[Stretch + 1];
        long candidates = 0, blocks = 0, lineFeeds = 0;
        var last = data.Length - 64 - (Width - 1);
        for (var i = 0; i <= last;)
        {
            var n = Math.Min(Stretch, (last - i) / 64 + 1);
            ref var p = ref data[i];
            var found = _minLength switch
            {
                Width => ScanStretch<MaskNone, No>(ref p, n, tables, noted, ref lineFeeds),
                Width - 1 => ScanStretch<MaskLast, No>(ref p, n, tables, noted, ref lineFeeds),
                _ => ScanStretch<MaskAfterFirst, No>(ref p, n, tables, noted, ref lineFeeds),
            };
            foreach (var offset in noted.AsSpan(0, found))
            {
                ref var block = ref data[i + (int)offset];
                var (first, second) = _minLength switch
                {
                    Width => Narrow<MaskNone>(ref block, tables, high),
                    Width - 1 => Narrow<MaskLast>(ref block, tables, high),
                    _ => Narrow<MaskAfterFirst>(ref block, tables, high),
                };
                narrowed += (first | second) != Vector256<byte>.Zero ? 1 : 0;
            }

            candidates += found;
            blocks += n;
            i += 64 * n;
        }

        return (candidates, narrowed, blocks);
    }

    /// <summary>
    /// The loop of <see cref="FindAvx2"/> over <paramref name="blocks"/> 64-byte blocks from <paramref name="p"/>: a
    /// method of its own, without calls, so that the JIT keeps the tables in registers across iterations. Returns how
    /// many blocks were kept in <paramref name="noted"/> (their byte offsets from <paramref name="p"/>). Only the offset
    /// is stored per block: storing the two bucket vectors too cost more than looking the few kept blocks up again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int ScanStretch<TMask, TCount>(ref byte p, int blocks, in NibbleTables tables, Span<nint> noted, ref long lineFeeds)
        where TMask : struct, IMasking
        where TCount : struct, IFlag
    {
        var (lo0, lo1, lo2, lo3, hi0) = (tables.Lo0, tables.Lo1, tables.Lo2, tables.Lo3, tables.Hi0);
        var nibble = Vector256.Create((byte)15);
        var lineFeed = Vector256.Create((byte)'\n');
        ref var note = ref MemoryMarshal.GetReference(noted);
        ref var first = ref p;
        ref var end = ref Unsafe.Add(ref p, 64 * blocks);

        // Per-byte line feed counters may count to 255: a stretch adds at most 2 * 127 = 254.
        var counts = Vector256<byte>.Zero;
        nint found = 0;
        while (Unsafe.IsAddressLessThan(ref p, ref end))
        {
            var a0 = Vector256.LoadUnsafe(ref p);
            var b0 = Vector256.LoadUnsafe(ref p, 32);
            var ma = Match<TMask>(a0, Vector256.LoadUnsafe(ref p, 1), Vector256.LoadUnsafe(ref p, 2), Vector256.LoadUnsafe(ref p, 3), lo0, lo1, lo2, lo3, hi0, nibble);
            var mb = Match<TMask>(b0, Vector256.LoadUnsafe(ref p, 33), Vector256.LoadUnsafe(ref p, 34), Vector256.LoadUnsafe(ref p, 35), lo0, lo1, lo2, lo3, hi0, nibble);
            if (TCount.On)
            {
                // A match is all ones (-1): subtracting it adds one.
                counts -= Vector256.Equals(a0, lineFeed) + Vector256.Equals(b0, lineFeed);
            }

            // Written every time, kept only for a block with a candidate (otherwise the next block overwrites the slot).
            Unsafe.Add(ref note, found) = Unsafe.ByteOffset(ref first, ref p);
            found += Unsafe.BitCast<bool, byte>((ma | mb) != Vector256<byte>.Zero);
            p = ref Unsafe.Add(ref p, 64);
        }

        if (TCount.On)
        {
            lineFeeds += (long)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
        }

        return (int)found;
    }

    /// <summary>The low-nibble tables of the four anchor positions and the high-nibble table of the first, each in both 128-bit lanes.</summary>
    private readonly struct NibbleTables(Vector128<byte>[] lo, Vector128<byte> hi)
    {
        public readonly Vector256<byte> Hi0 = Vector256.Create(hi, hi);
        public readonly Vector256<byte> Lo0 = Vector256.Create(lo[0], lo[0]);
        public readonly Vector256<byte> Lo1 = Vector256.Create(lo[1], lo[1]);
        public readonly Vector256<byte> Lo2 = Vector256.Create(lo[2], lo[2]);
        public readonly Vector256<byte> Lo3 = Vector256.Create(lo[3], lo[3]);
    }

    /// <summary>
    /// Per byte of a 32-byte block, the buckets whose anchors may start there (the low-nibble lookups and the first
    /// position's high-nibble lookup, ANDed). A raw byte indexes the low-nibble shuffle: one of 0x80 or more gives 0,
    /// right where every bucket's anchor byte is ASCII. At positions
    /// where some keyword has ended (<typeparamref name="TMask"/>) any byte must pass, so the byte is first masked to its
    /// low nibble.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Match<TMask>(Vector256<byte> v0, Vector256<byte> v1, Vector256<byte> v2, Vector256<byte> v3,
        Vector256<byte> lo0, Vector256<byte> lo1, Vector256<byte> lo2, Vector256<byte> lo3, Vector256<byte> hi0, Vector256<byte> nibble)
        where TMask : struct, IMasking
    {
        var l1 = TMask.From <= 1 ? v1 & nibble : v1;
        var l2 = TMask.From <= 2 ? v2 & nibble : v2;
        var l3 = TMask.From <= 3 ? v3 & nibble : v3;
        return Avx2.Shuffle(lo0, v0) & Avx2.Shuffle(hi0, Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble)
            & Avx2.Shuffle(lo1, l1) & Avx2.Shuffle(lo2, l2) & Avx2.Shuffle(lo3, l3);
    }

    /// <summary>
    /// Looks a kept block (at <paramref name="block"/>) up again as the loop did, and narrows it by the high-nibble
    /// lookups of the other three anchor positions: every anchor position's byte is then checked on both nibbles, in a
    /// few vector operations, before any byte is compared one at a time (most kept blocks of CSV and base64 have no
    /// candidate left). Past a short keyword's end the tables admit every high nibble. The loop leaves
    /// <see cref="Width"/> - 1 bytes after each block, so the loads stay in the data. Returns the two halves' bucket vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> First, Vector256<byte> Second) Narrow<TMask>(ref byte block, in NibbleTables tables, in HighTables high)
        where TMask : struct, IMasking
    {
        var nibble = Vector256.Create((byte)15);
        ref var b = ref Unsafe.Add(ref block, 32);
        var ma = Match<TMask>(Vector256.LoadUnsafe(ref block), Vector256.LoadUnsafe(ref block, 1), Vector256.LoadUnsafe(ref block, 2), Vector256.LoadUnsafe(ref block, 3),
            tables.Lo0, tables.Lo1, tables.Lo2, tables.Lo3, tables.Hi0, nibble);
        var mb = Match<TMask>(Vector256.LoadUnsafe(ref b), Vector256.LoadUnsafe(ref b, 1), Vector256.LoadUnsafe(ref b, 2), Vector256.LoadUnsafe(ref b, 3),
            tables.Lo0, tables.Lo1, tables.Lo2, tables.Lo3, tables.Hi0, nibble);
        return (ma & high.Of(ref block), mb & high.Of(ref b));
    }

    /// <summary>The high-nibble tables of anchor positions 1 to 3, each in both 128-bit lanes.</summary>
    private readonly struct HighTables(Vector128<byte>[] hi)
    {
        private readonly Vector256<byte> _hi1 = Vector256.Create(hi[1], hi[1]);
        private readonly Vector256<byte> _hi2 = Vector256.Create(hi[2], hi[2]);
        private readonly Vector256<byte> _hi3 = Vector256.Create(hi[3], hi[3]);

        /// <summary>Per byte of the 32 from <paramref name="p"/>, the buckets that the high nibbles at +1, +2 and +3 admit.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<byte> Of(ref byte p)
        {
            var nibble = Vector256.Create((byte)15);
            return Avx2.Shuffle(_hi1, Vector256.ShiftRightLogical(Vector256.LoadUnsafe(ref p, 1).AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(_hi2, Vector256.ShiftRightLogical(Vector256.LoadUnsafe(ref p, 2).AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(_hi3, Vector256.ShiftRightLogical(Vector256.LoadUnsafe(ref p, 3).AsUInt16(), 4).AsByte() & nibble);
        }
    }

    /// <summary>
    /// Verifies each position of a 32-byte block whose bucket mask is not zero. The nibble tables admit every mix of
    /// the nibbles of their anchors, so each position is first narrowed by the exact per-byte tables of the anchor's
    /// four bytes; few keywords are then compared.
    /// </summary>
    private void Candidates(ReadOnlySpan<byte> data, int from, int at, uint positions, List<KeywordHit> hits)
    {
        while (positions != 0)
        {
            var j = BitOperations.TrailingZeroCount(positions);
            positions &= positions - 1;
            var p = at + j; // the AVX2 loop leaves Width - 1 bytes after each block
            var buckets = ExactBuckets(data, p);
            if (buckets != 0)
            {
                Verify(data, from, p, (uint)buckets, hits);
            }
        }
    }

    /// <summary>
    /// The buckets whose anchors are exactly at <paramref name="p"/> (the per-byte tables of the four positions), for a
    /// position with <see cref="Width"/> bytes of data from it. Read without bounds checks: a byte indexes a 256-entry
    /// table, and both SIMD loops stop <see cref="Width"/> - 1 bytes before the end of the data.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ExactBuckets(ReadOnlySpan<byte> data, int p)
    {
        System.Diagnostics.Debug.Assert(p >= 0 && p + Width <= data.Length);
        ref var d = ref Unsafe.Add(ref MemoryMarshal.GetReference(data), p);
        return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_table[0]), d)
            & Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_table[1]), Unsafe.Add(ref d, 1))
            & Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_table[2]), Unsafe.Add(ref d, 2))
            & Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_table[3]), Unsafe.Add(ref d, 3));
    }

    /// <summary>The positions (bits) of a 32-byte block whose bucket mask is not zero.</summary>
    private static uint Positions(Vector256<byte> m) => ~Vector256.Equals(m, Vector256<byte>.Zero).ExtractMostSignificantBits();

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

    /// <summary>The first anchor position whose bytes the AVX2 loop masks to their low nibble (see <see cref="Match"/>).</summary>
    private interface IMasking
    {
        static abstract int From { get; }
    }

    /// <summary>Every keyword has at least four bytes: no position is masked.</summary>
    private readonly struct MaskNone : IMasking
    {
        public static int From => Width;
    }

    /// <summary>The shortest keyword has three bytes: only the fourth position is masked.</summary>
    private readonly struct MaskLast : IMasking
    {
        public static int From => Width - 1;
    }

    /// <summary>A keyword of one or two bytes: every position after the first is masked.</summary>
    private readonly struct MaskAfterFirst : IMasking
    {
        public static int From => 1;
    }
}

/// <summary>Which of <see cref="KeywordSearch"/>'s loops runs: the fastest the CPU supports, or a fallback (for tests).</summary>
internal enum SearchPath
{
    Fastest,
    Vector128,

    /// <summary>The 16-byte loop with every byte masked to its low nibble before a lookup, as it runs on Arm.</summary>
    Vector128Masked,
    Scalar,
}
