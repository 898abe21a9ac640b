using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// A 64-bit XxHash3 of a cell's typed value, so that <c>unique</c>, keys and <c>enum</c> compare values (1.0 equals 1 in a
/// number field) while remembering only 8 bytes per distinct value. Two different values share a key with probability
/// about n²/2⁶⁵ for n distinct values (under 10⁻⁵ for 16 million): a reported duplicate is then a false alarm, never a
/// missed one.
/// </summary>
public static class ValueKey
{
    public static ulong Of(ReadOnlySpan<char> text, in CellValue value, ulong seed = 0) => value.Kind switch
    {
        CellKind.Integer => Hash(value.Integer, 1, seed),
        CellKind.Number => value.Number == Math.Floor(value.Number) && Math.Abs(value.Number) < 9e15
            ? Hash((long)value.Number, 1, seed) // 2.0 in a number field is the integer 2
            : Hash(BitConverter.DoubleToInt64Bits(value.Number), 2, seed),
        _ => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text), (long)seed),
    };

    /// <summary>Folds a further field's key into a composite key (primary and unique keys of several fields).</summary>
    public static ulong Combine(ulong left, ulong right) => Hash((long)right, 3, left);

    private static ulong Hash(long value, byte tag, ulong seed)
    {
        Span<byte> bytes = stackalloc byte[9];
        BitConverter.TryWriteBytes(bytes, value);
        bytes[8] = tag;
        return XxHash3.HashToUInt64(bytes, (long)seed);
    }
}

/// <summary>
/// A set of 64-bit keys in one open-addressing table (8 bytes a slot, at most half full, so a lookup probes about two
/// slots): the memory of a <c>unique</c> check is about 16 to 32 bytes per distinct value, and stops at
/// <see cref="Limit"/> values.
/// </summary>
public sealed class HashedKeySet(long limit)
{
    private ulong[] _slots = new ulong[1024];
    private bool _hasZero;

    public long Count { get; private set; }

    public long Limit { get; } = limit;

    /// <summary>Whether the limit was reached: later keys are no longer tracked, so the check must fail closed.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Adds a key; false when it was there already (a duplicate).</summary>
    public bool Add(ulong key)
    {
        if (key == 0)
        {
            if (_hasZero)
            {
                return false;
            }

            _hasZero = true;
            Count++;
            return true;
        }

        var mask = _slots.Length - 1;
        var i = (int)(key & (ulong)mask);
        while (_slots[i] != 0)
        {
            if (_slots[i] == key)
            {
                return false;
            }

            i = (i + 1) & mask;
        }

        if (Count >= Limit)
        {
            Overflowed = true;
            return true;
        }

        _slots[i] = key;
        Count++;
        if (Count * 2 > _slots.Length)
        {
            Grow();
        }

        return true;
    }

    /// <summary>Asks the processor to fetch the slots these keys start probing at (x86 only; elsewhere a no-op).</summary>
    public unsafe void Prefetch(ReadOnlySpan<ulong> keys)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            return;
        }

        var mask = (ulong)(_slots.Length - 1);
        fixed (ulong* slots = _slots)
        {
            foreach (var key in keys)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(slots + (key & mask));
            }
        }
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new ulong[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var key in old)
        {
            if (key == 0)
            {
                continue;
            }

            var i = (int)(key & (ulong)mask);
            while (_slots[i] != 0)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = key;
        }
    }
}

/// <summary>
/// Keys waiting for a <see cref="HashedKeySet"/>, added <see cref="Size"/> at a time after prefetching their slots: in a
/// set larger than the caches each lookup is a memory miss, and prefetching lets those misses overlap instead of
/// following one another. Each key keeps its place, so duplicates are reported where they are, in file order.
/// </summary>
internal sealed class KeyBatch(HashedKeySet set, Action<long, int> duplicate)
{
    public const int Size = 64;

    private readonly ulong[] _keys = new ulong[Size];
    private readonly long[] _lines = new long[Size];
    private readonly int[] _columns = new int[Size];
    private int _count;

    public HashedKeySet Set { get; } = set;

    public void Add(ulong key, long line, int column)
    {
        _keys[_count] = key;
        _lines[_count] = line;
        _columns[_count] = column;
        if (++_count == Size)
        {
            Flush();
        }
    }

    public void Flush()
    {
        Set.Prefetch(_keys.AsSpan(0, _count));
        for (var i = 0; i < _count; i++)
        {
            if (!Set.Add(_keys[i]))
            {
                duplicate(_lines[i], _columns[i]);
            }
        }

        _count = 0;
    }
}
