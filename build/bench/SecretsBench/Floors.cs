using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

/// <summary>
/// Loops that read every byte and do part of the keyword search's work, with tables that admit nothing (so no candidate
/// is ever verified): what the scanner could cost at best, for <c>passcost</c>'s floor configurations. <c>load</c> only
/// loads; <c>lf</c> counts line feeds (the runtime's <c>Count</c>); <c>teddyN</c> does the nibble lookups of N anchor
/// positions per 32 bytes, as the scanner's AVX2 loop did for three before branch <c>secretsfloor</c>; <c>teddy3lf</c> adds
/// its line feed count; <c>low4</c>
/// looks up low nibbles only, at four positions (line feeds counted); <c>low4h0</c> adds the high nibble of the first
/// position, which is the scanner's lookup since branch <c>secretsfloor</c>; <c>low4h0nolf</c> is the same without the
/// line feed count. <c>low4h0st</c> and <c>low4h0idx</c> are that loop as the scanner writes it, in stretches of 127
/// blocks: storing each block's two bucket vectors and its index (the loop until December 7), or only its offset (now).
/// </summary>
internal static class Floors
{
    private static readonly Vector256<byte> Nothing = Vector256<byte>.Zero;

    public static long Run(string floor, ReadOnlySpan<byte> data) => floor switch
    {
        "load" => Load(data),
        "lf" => data.Count((byte)'\n'),
        "teddy1" => Teddy(data, 1, false),
        "teddy2" => Teddy(data, 2, false),
        "teddy3" => Teddy(data, 3, false),
        "teddy3lf" => Teddy(data, 3, true),
        "low4" => Teddy<LowFour, Yes>(data),
        "low4h0" => Teddy<LowFourHighFirst, Yes>(data),
        "low4h0nolf" => Teddy<LowFourHighFirst, No>(data),
        "low4h0st" => Stored(data, true),
        "low4h0idx" => Stored(data, false),
        _ => throw new ArgumentException($"unknown floor '{floor}'"),
    };

    public static bool Is(string name) => name is "load" or "lf" or "teddy1" or "teddy2" or "teddy3" or "teddy3lf" or "low4" or "low4h0" or "low4h0nolf" or "low4h0st" or "low4h0idx";

    private static long Load(ReadOnlySpan<byte> data)
    {
        var acc = Vector256<byte>.Zero;
        ref var start = ref MemoryMarshal.GetReference(data);
        var i = 0;
        for (; i + 64 <= data.Length; i += 64)
        {
            acc |= Vector256.LoadUnsafe(ref start, (nuint)i) | Vector256.LoadUnsafe(ref start, (nuint)i + 32);
        }

        return acc.GetElement(0);
    }

    private static long Teddy(ReadOnlySpan<byte> data, int positions, bool lineFeeds) => (positions, lineFeeds) switch
    {
        (1, _) => Teddy<One, No>(data),
        (2, _) => Teddy<Two, No>(data),
        (_, false) => Teddy<Three, No>(data),
        _ => Teddy<Three, Yes>(data),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static long Teddy<TPositions, TCount>(ReadOnlySpan<byte> data)
        where TPositions : struct, ICount
        where TCount : struct, ICount
    {
        var (lo, hi, nibble, lineFeed) = (Nothing, Nothing, Vector256.Create((byte)15), Vector256.Create((byte)'\n'));
        ref var p = ref MemoryMarshal.GetReference(data);
        var counts = Vector256<byte>.Zero;
        long found = 0, blocks = 0;
        for (nuint i = 0; i + 67 <= (nuint)data.Length; i += 64)
        {
            var a = Vector256.LoadUnsafe(ref p, i);
            var b = Vector256.LoadUnsafe(ref p, i + 32);
            Vector256<byte> ma, mb;
            if (TPositions.Value >= LowFour.Value)
            {
                // Low nibbles alone at four positions, each on the raw byte (0x80 and more give 0): no shift or mask.
                ma = Avx2.Shuffle(lo, a) & Avx2.Shuffle(lo, Vector256.LoadUnsafe(ref p, i + 1)) & Avx2.Shuffle(lo, Vector256.LoadUnsafe(ref p, i + 2))
                    & Avx2.Shuffle(lo, Vector256.LoadUnsafe(ref p, i + 3));
                mb = Avx2.Shuffle(lo, b) & Avx2.Shuffle(lo, Vector256.LoadUnsafe(ref p, i + 33)) & Avx2.Shuffle(lo, Vector256.LoadUnsafe(ref p, i + 34))
                    & Avx2.Shuffle(lo, Vector256.LoadUnsafe(ref p, i + 35));
                if (TPositions.Value == LowFourHighFirst.Value)
                {
                    // And the high nibble of the first position: a shift and a mask more per 32 bytes.
                    ma &= Avx2.Shuffle(hi, Vector256.ShiftRightLogical(a.AsUInt16(), 4).AsByte() & nibble);
                    mb &= Avx2.Shuffle(hi, Vector256.ShiftRightLogical(b.AsUInt16(), 4).AsByte() & nibble);
                }
            }
            else
            {
                ma = Look(a, lo, hi, nibble);
                mb = Look(b, lo, hi, nibble);
                if (TPositions.Value >= 2)
                {
                    ma &= Look(Vector256.LoadUnsafe(ref p, i + 1), lo, hi, nibble);
                    mb &= Look(Vector256.LoadUnsafe(ref p, i + 33), lo, hi, nibble);
                }

                if (TPositions.Value >= 3)
                {
                    ma &= Look(Vector256.LoadUnsafe(ref p, i + 2), lo, hi, nibble);
                    mb &= Look(Vector256.LoadUnsafe(ref p, i + 34), lo, hi, nibble);
                }
            }

            var m = ma | mb;
            if (TCount.Value > 0)
            {
                counts -= Vector256.Equals(a, lineFeed) + Vector256.Equals(b, lineFeed);
                if (++blocks % 127 == 0)
                {
                    found += (long)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
                    counts = Vector256<byte>.Zero;
                }
            }

            found += Unsafe.BitCast<bool, byte>(m != Vector256<byte>.Zero);
        }

        return found + (long)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
    }

    [ThreadStatic] private static Vector256<byte>[]? marks;
    [ThreadStatic] private static nint[]? notes;

    private static long Stored(ReadOnlySpan<byte> data, bool vectors)
    {
        marks ??= new Vector256<byte>[256];
        notes ??= new nint[128];
        long found = 0;
        for (var i = 0; i + 64 * 127 + 67 <= data.Length; i += 64 * 127)
        {
            ref var p = ref MemoryMarshal.GetReference(data[i..]);
            found += vectors ? StretchStored(ref p, 127, marks, notes) : StretchIndex(ref p, 127, notes);
        }

        return found;
    }

    /// <summary>The scanner's loop until December 7: both bucket vectors and the block index stored per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int StretchStored(ref byte p, int blocks, Vector256<byte>[] marksArray, nint[] notesArray)
    {
        var (nibble, lineFeed) = (Vector256.Create((byte)15), Vector256.Create((byte)'\n'));
        ref var mark = ref MemoryMarshal.GetArrayDataReference(marksArray);
        ref var note = ref MemoryMarshal.GetArrayDataReference(notesArray);
        var counts = Vector256<byte>.Zero;
        var found = 0;
        for (var n = 0; n < blocks; n++)
        {
            var (ma, mb) = (Half(ref p, 0, nibble), Half(ref p, 32, nibble));
            counts -= Vector256.Equals(Vector256.LoadUnsafe(ref p), lineFeed) + Vector256.Equals(Vector256.LoadUnsafe(ref p, 32), lineFeed);
            ref var slot = ref Unsafe.Add(ref mark, 2 * found);
            slot = ma;
            Unsafe.Add(ref slot, 1) = mb;
            Unsafe.Add(ref note, found) = n;
            found += Unsafe.BitCast<bool, byte>((ma | mb) != Vector256<byte>.Zero);
            p = ref Unsafe.Add(ref p, 64);
        }

        return found + (int)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
    }

    /// <summary>The scanner's loop now: only the block's offset stored per block (the vectors are looked up again for kept blocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int StretchIndex(ref byte p, int blocks, nint[] notesArray)
    {
        var (nibble, lineFeed) = (Vector256.Create((byte)15), Vector256.Create((byte)'\n'));
        ref var note = ref MemoryMarshal.GetArrayDataReference(notesArray);
        var counts = Vector256<byte>.Zero;
        nint found = 0;
        ref var start = ref p;
        ref var end = ref Unsafe.Add(ref p, 64 * blocks);
        while (Unsafe.IsAddressLessThan(ref p, ref end))
        {
            var (ma, mb) = (Half(ref p, 0, nibble), Half(ref p, 32, nibble));
            counts -= Vector256.Equals(Vector256.LoadUnsafe(ref p), lineFeed) + Vector256.Equals(Vector256.LoadUnsafe(ref p, 32), lineFeed);
            Unsafe.Add(ref note, found) = Unsafe.ByteOffset(ref start, ref p);
            found += Unsafe.BitCast<bool, byte>((ma | mb) != Vector256<byte>.Zero);
            p = ref Unsafe.Add(ref p, 64);
        }

        return (int)found + (int)Vector256.Sum(Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero));
    }

    /// <summary>The scanner's lookups for the 32 bytes at <paramref name="at"/> (low nibbles at four positions, the last masked for a three-byte keyword, and the first high nibble).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Half(ref byte p, nuint at, Vector256<byte> nibble)
    {
        var v = Vector256.LoadUnsafe(ref p, at);
        return Avx2.Shuffle(Nothing, v) & Avx2.Shuffle(Nothing, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble)
            & Avx2.Shuffle(Nothing, Vector256.LoadUnsafe(ref p, at + 1)) & Avx2.Shuffle(Nothing, Vector256.LoadUnsafe(ref p, at + 2))
            & Avx2.Shuffle(Nothing, Vector256.LoadUnsafe(ref p, at + 3) & nibble);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Look(Vector256<byte> v, Vector256<byte> lo, Vector256<byte> hi, Vector256<byte> nibble) =>
        Avx2.Shuffle(lo, v) & Avx2.Shuffle(hi, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);

    private interface ICount
    {
        static abstract int Value { get; }
    }

    private readonly struct No : ICount
    {
        public static int Value => 0;
    }

    private readonly struct Yes : ICount
    {
        public static int Value => 1;
    }

    private readonly struct One : ICount
    {
        public static int Value => 1;
    }

    private readonly struct Two : ICount
    {
        public static int Value => 2;
    }

    private readonly struct Three : ICount
    {
        public static int Value => 3;
    }

    /// <summary>Low nibbles alone at four positions.</summary>
    private readonly struct LowFour : ICount
    {
        public static int Value => 4;
    }

    /// <summary>Low nibbles at four positions and the high nibble at the first (the scanner's loop).</summary>
    private readonly struct LowFourHighFirst : ICount
    {
        public static int Value => 5;
    }
}
