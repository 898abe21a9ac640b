using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlBuildGuard.Core.Secrets.Engine;

/// <summary>
/// The 16-byte loop of <see cref="KeywordSearch"/>, for CPUs without AVX2: Arm64 (Apple silicon, Graviton), and the
/// Native AOT <c>mlguard</c>, which is compiled for x86-64-v2 so that it starts on every x64 CPU and therefore has no
/// AVX2 code. It is <see cref="KeywordSearch.FindAvx2"/> at half the width: 32 bytes per iteration as two halves, the
/// same lookups, line feeds counted in the same loop, and blocks with a candidate only noted and narrowed after each
/// stretch, so ordinary data costs no branch. The lookup is the platform's own byte shuffle: on x86 (SSSE3 pshufb) an
/// index of 0x80 or more gives 0, so the raw bytes index the tables as in the AVX2 loop; Arm's table lookup gives 0 for
/// any index of 16 or more, so there every byte is masked to its low nibble first (<see cref="MaskAll"/>).
/// </summary>
public sealed partial class KeywordSearch
{
    /// <summary>Whether the CPU's 16-byte shuffle zeroes only indexes with the high bit set (x86), so raw bytes may index it.</summary>
    private bool RawIndexes => _path != SearchPath.Vector128Masked && Ssse3.IsSupported;

    private int FindVector128(ReadOnlySpan<byte> data, int from, List<KeywordHit> hits, bool countLineFeeds, ref long lineFeeds) =>
        (RawIndexes ? _minLength : 0, countLineFeeds) switch
        {
            (Width, true) => FindVector128<MaskNone, Yes>(data, from, hits, ref lineFeeds),
            (Width, false) => FindVector128<MaskNone, No>(data, from, hits, ref lineFeeds),
            (Width - 1, true) => FindVector128<MaskLast, Yes>(data, from, hits, ref lineFeeds),
            (Width - 1, false) => FindVector128<MaskLast, No>(data, from, hits, ref lineFeeds),
            (0, true) => FindVector128<MaskAll, Yes>(data, from, hits, ref lineFeeds),
            (0, false) => FindVector128<MaskAll, No>(data, from, hits, ref lineFeeds),
            (_, true) => FindVector128<MaskAfterFirst, Yes>(data, from, hits, ref lineFeeds),
            _ => FindVector128<MaskAfterFirst, No>(data, from, hits, ref lineFeeds),
        };

    /// <summary>
    /// 32 bytes per iteration, as two 16-byte halves; after each stretch the noted blocks are looked up again, narrowed by
    /// the high nibbles of the other anchor positions and verified (<see cref="Candidates"/>). Returns where the scalar
    /// loop takes over; adds the line feeds of the bytes covered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private int FindVector128<TMask, TCount>(ReadOnlySpan<byte> data, int from, List<KeywordHit> hits, ref long lineFeeds)
        where TMask : struct, IMasking
        where TCount : struct, IFlag
    {
        var tables = new NibbleTables128(_lo, _hi);
        Span<nint> noted = stackalloc nint[Stretch + 1];
        ref var start = ref MemoryMarshal.GetReference(data);
        var i = from;
        var last = data.Length - 32 - (Width - 1);
        while (i <= last)
        {
            var blocks = Math.Min(Stretch, (last - i) / 32 + 1);
            var found = ScanStretch128<TMask, TCount>(ref Unsafe.Add(ref start, i), blocks, tables, noted, ref lineFeeds);
            foreach (var offset in noted[..found])
            {
                var at = i + (int)offset;
                ref var block = ref Unsafe.Add(ref start, at);
                var first = Match128<TMask>(ref block, tables) & tables.High(ref block);
                var second = Match128<TMask>(ref Unsafe.Add(ref block, 16), tables) & tables.High(ref Unsafe.Add(ref block, 16));
                var positions = ~Vector128.Equals(first, Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF
                    | (~Vector128.Equals(second, Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF) << 16;
                if (positions != 0)
                {
                    Candidates(data, from, at, positions, hits);
                }
            }

            i += 32 * blocks;
        }

        return i;
    }

    /// <summary>
    /// The loop over <paramref name="blocks"/> 32-byte blocks from <paramref name="p"/>, without calls so its tables stay
    /// in registers. Every block's offset is written to the next free slot of <paramref name="noted"/> and kept only when
    /// a lookup admits some bucket. Returns how many blocks were kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int ScanStretch128<TMask, TCount>(ref byte p, int blocks, in NibbleTables128 tables, Span<nint> noted, ref long lineFeeds)
        where TMask : struct, IMasking
        where TCount : struct, IFlag
    {
        var t = tables;
        var lineFeed = Vector128.Create((byte)'\n');
        ref var note = ref MemoryMarshal.GetReference(noted);
        ref var first = ref p;
        ref var end = ref Unsafe.Add(ref p, 32 * blocks);

        // Per-byte counters may count to 255: a stretch adds at most 2 * 127 = 254.
        var counts = Vector128<byte>.Zero;
        nint found = 0;
        while (Unsafe.IsAddressLessThan(ref p, ref end))
        {
            var ma = Match128<TMask>(ref p, t);
            var mb = Match128<TMask>(ref Unsafe.Add(ref p, 16), t);
            if (TCount.On)
            {
                counts -= Vector128.Equals(Vector128.LoadUnsafe(ref p), lineFeed) + Vector128.Equals(Vector128.LoadUnsafe(ref p, 16), lineFeed);
            }

            Unsafe.Add(ref note, found) = Unsafe.ByteOffset(ref first, ref p);
            found += Unsafe.BitCast<bool, byte>((ma | mb) != Vector128<byte>.Zero);
            p = ref Unsafe.Add(ref p, 32);
        }

        if (TCount.On)
        {
            var (low, high) = Vector128.Widen(counts);
            lineFeeds += Vector128.Sum(low + high); // at most 16 * 254: fits a ushort
        }

        return (int)found;
    }

    /// <summary>Per byte of the 16 from <paramref name="p"/>, the buckets whose anchors may start there (see <see cref="Match"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Match128<TMask>(ref byte p, in NibbleTables128 t)
        where TMask : struct, IMasking
    {
        var v0 = Vector128.LoadUnsafe(ref p);
        var v1 = Vector128.LoadUnsafe(ref p, 1);
        var v2 = Vector128.LoadUnsafe(ref p, 2);
        var v3 = Vector128.LoadUnsafe(ref p, 3);
        var l0 = TMask.From <= 0 ? v0 & t.Nibble : v0;
        var l1 = TMask.From <= 1 ? v1 & t.Nibble : v1;
        var l2 = TMask.From <= 2 ? v2 & t.Nibble : v2;
        var l3 = TMask.From <= 3 ? v3 & t.Nibble : v3;
        return Vector128.ShuffleNative(t.Lo0, l0) & Vector128.ShuffleNative(t.Hi0, Vector128.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & t.Nibble)
            & Vector128.ShuffleNative(t.Lo1, l1) & Vector128.ShuffleNative(t.Lo2, l2) & Vector128.ShuffleNative(t.Lo3, l3);
    }

    /// <summary>The nibble tables of the four anchor positions, 16 bytes each.</summary>
    private readonly struct NibbleTables128(Vector128<byte>[] lo, Vector128<byte>[] hi)
    {
        public readonly Vector128<byte> Lo0 = lo[0];
        public readonly Vector128<byte> Lo1 = lo[1];
        public readonly Vector128<byte> Lo2 = lo[2];
        public readonly Vector128<byte> Lo3 = lo[3];
        public readonly Vector128<byte> Hi0 = hi[0];
        public readonly Vector128<byte> Nibble = Vector128.Create((byte)15);
        private readonly Vector128<byte> _hi1 = hi[1];
        private readonly Vector128<byte> _hi2 = hi[2];
        private readonly Vector128<byte> _hi3 = hi[3];

        /// <summary>Per byte of the 16 from <paramref name="p"/>, the buckets that the high nibbles at +1, +2 and +3 admit.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> High(ref byte p) =>
            Vector128.ShuffleNative(_hi1, Vector128.ShiftRightLogical(Vector128.LoadUnsafe(ref p, 1).AsUInt16(), 4).AsByte() & Nibble)
            & Vector128.ShuffleNative(_hi2, Vector128.ShiftRightLogical(Vector128.LoadUnsafe(ref p, 2).AsUInt16(), 4).AsByte() & Nibble)
            & Vector128.ShuffleNative(_hi3, Vector128.ShiftRightLogical(Vector128.LoadUnsafe(ref p, 3).AsUInt16(), 4).AsByte() & Nibble);
    }

    /// <summary>
    /// <see cref="FindPairAvx2"/> at half the width, for a set of one exact keyword (the private-key detector): two byte
    /// compares per 16 bytes at the keyword's two rarest offsets, line feeds counted beside, blocks with a candidate noted
    /// and checked after each stretch. Returns the first keyword start not looked at; adds the line feeds before it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindPair128<TCount>(ReadOnlySpan<byte> data, int i, List<KeywordHit> hits, ref long lineFeeds)
        where TCount : struct, IFlag
    {
        var (a, b) = (_pair.A, _pair.B);
        var first = Vector128.Create(_single![a]);
        var second = Vector128.Create(_single[b]);
        var lineFeed = Vector128.Create((byte)'\n');
        Span<int> noted = stackalloc int[Stretch];
        var last = data.Length - 32 - Math.Max(Math.Max(a, b), _single.Length - 1);
        while (i <= last)
        {
            var counts = Vector128<byte>.Zero;
            var blocks = Math.Min(Stretch, (last - i) / 32 + 1);
            var found = 0;
            ref var p = ref Unsafe.Add(ref MemoryMarshal.GetReference(data), i);
            for (var n = 0; n < blocks; n++)
            {
                var m = (Vector128.Equals(Vector128.LoadUnsafe(ref p, (nuint)a), first) & Vector128.Equals(Vector128.LoadUnsafe(ref p, (nuint)b), second))
                    | (Vector128.Equals(Vector128.LoadUnsafe(ref p, (nuint)a + 16), first) & Vector128.Equals(Vector128.LoadUnsafe(ref p, (nuint)b + 16), second));
                if (TCount.On)
                {
                    counts -= Vector128.Equals(Vector128.LoadUnsafe(ref p), lineFeed) + Vector128.Equals(Vector128.LoadUnsafe(ref p, 16), lineFeed);
                }

                if (m != Vector128<byte>.Zero)
                {
                    noted[found++] = n;
                }

                p = ref Unsafe.Add(ref p, 32);
            }

            if (TCount.On)
            {
                var (low, high) = Vector128.Widen(counts);
                lineFeeds += Vector128.Sum(low + high);
            }

            AddPairHits(data, i, 32, noted[..found], hits);
            i += 32 * blocks;
        }

        return i;
    }

    /// <summary>Every position masked to its low nibble: a lookup that gives 0 for any index of 16 or more (Arm).</summary>
    private readonly struct MaskAll : IMasking
    {
        public static int From => 0;
    }
}
