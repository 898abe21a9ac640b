using System.Text;

namespace MlBuildGuard.Core.Models.Formats.TfLite;

/// <summary>A table of a FlatBuffer: where it starts and where its vtable is.</summary>
internal readonly record struct FlatTable(long Position, long VTable, int VTableSize);

/// <summary>
/// Reads a FlatBuffer (the encoding of TensorFlow Lite models) with random access over a <see cref="FormatReader"/>.
/// Every offset is checked against the file before it is followed and every length before anything is read, so a
/// hostile file can make it throw <see cref="MalformedFormatException"/> but never read out of bounds or allocate more
/// than the strings it is asked for. Vectors of data are only measured, never read.
/// </summary>
internal sealed class FlatBufferReader(FormatReader reader, CancellationToken cancellationToken)
{
    private long _visits;

    public long Length => reader.Length;

    public FlatTable Root()
    {
        if (Length < 8)
        {
            throw new MalformedFormatException(0, $"the file has only {Length} bytes, fewer than a FlatBuffer header");
        }

        return TableAt(U32(0), 0);
    }

    /// <summary>The table an offset field points to, or null when the field is absent.</summary>
    public FlatTable? Table(FlatTable table, int field)
    {
        var at = FieldPosition(table, field);
        return at is { } p ? TableAt(p + U32(p), p) : null;
    }

    /// <summary>A vector field: its element count and where the elements start, or null when absent.</summary>
    public (long Count, long Start)? Vector(FlatTable table, int field, int elementSize)
    {
        var at = FieldPosition(table, field);
        if (at is not { } p)
        {
            return null;
        }

        var vector = Follow(p);
        var count = (long)U32(vector);
        var start = vector + 4;
        if (count * elementSize > Length - start)
        {
            throw new MalformedFormatException(vector, $"a vector of {count} {elementSize}-byte elements at byte {vector} runs past the end of the file");
        }

        return (count, start);
    }

    /// <summary>The tables of a vector-of-tables field (empty when the field is absent).</summary>
    public IEnumerable<FlatTable> Tables(FlatTable table, int field)
    {
        if (Vector(table, field, 4) is not { } v)
        {
            yield break;
        }

        for (long i = 0; i < v.Count; i++)
        {
            var slot = v.Start + (i * 4);
            yield return TableAt(slot + U32(slot), slot);
        }
    }

    /// <summary>A string field (UTF-8, at most <paramref name="max"/> bytes kept), or null when absent.</summary>
    public string? String(FlatTable table, int field, int max = 4096)
    {
        var at = FieldPosition(table, field);
        if (at is not { } p)
        {
            return null;
        }

        var position = Follow(p);
        var length = (long)U32(position);
        if (length + 1 > Length - position - 4)
        {
            throw new MalformedFormatException(position, $"a string of {length} bytes at byte {position} runs past the end of the file");
        }

        reader.Seek(position + 4);
        var bytes = reader.ReadBytes(Math.Min(length, max));
        return Encoding.UTF8.GetString(bytes);
    }

    public uint UInt32(FlatTable table, int field, uint fallback = 0) => FieldPosition(table, field, 4) is { } p ? U32(p) : fallback;

    public int Int32(FlatTable table, int field, int fallback = 0) => FieldPosition(table, field, 4) is { } p ? (int)U32(p) : fallback;

    public ulong UInt64(FlatTable table, int field) => FieldPosition(table, field, 8) is { } p ? ReadUInt64(p) : 0;

    public sbyte Int8(FlatTable table, int field, sbyte fallback = 0) => FieldPosition(table, field, 1) is { } p ? (sbyte)ReadByte(p) : fallback;

    /// <summary>The int32 at an absolute position (vector elements).</summary>
    public int Int32At(long position) => (int)U32(position);

    private FlatTable TableAt(long position, long from)
    {
        if ((++_visits & 0x3FF) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (position < 0 || position > Length - 4)
        {
            throw new MalformedFormatException(from, $"an offset at byte {from} points to byte {position}, outside the file");
        }

        var vtable = position - (int)U32(position);
        if (vtable < 0 || vtable > Length - 4)
        {
            throw new MalformedFormatException(position, $"the table at byte {position} has its field table at byte {vtable}, outside the file");
        }

        var size = ReadUInt16(vtable);
        if (size < 4 || (size & 1) != 0 || vtable + size > Length)
        {
            throw new MalformedFormatException(vtable, $"the field table at byte {vtable} has the size {size}");
        }

        return new FlatTable(position, vtable, size);
    }

    /// <summary>Where a field's value is, or null when the vtable says it is absent.</summary>
    private long? FieldPosition(FlatTable table, int field, int size = 4)
    {
        var slot = 4 + (field * 2);
        if (slot + 2 > table.VTableSize)
        {
            return null;
        }

        var offset = ReadUInt16(table.VTable + slot);
        if (offset == 0)
        {
            return null;
        }

        var position = table.Position + offset;
        if (position > Length - size)
        {
            throw new MalformedFormatException(table.VTable, $"field {field} of the table at byte {table.Position} lies outside the file");
        }

        return position;
    }

    private long Follow(long position)
    {
        var target = position + U32(position);
        if (target > Length - 4)
        {
            throw new MalformedFormatException(position, $"an offset at byte {position} points to byte {target}, outside the file");
        }

        return target;
    }

    private uint U32(long position)
    {
        reader.Seek(position);
        return reader.ReadUInt32();
    }

    private ulong ReadUInt64(long position)
    {
        reader.Seek(position);
        return reader.ReadUInt64();
    }

    private ushort ReadUInt16(long position)
    {
        reader.Seek(position);
        return (ushort)(reader.ReadByte() | (reader.ReadByte() << 8));
    }

    private byte ReadByte(long position)
    {
        reader.Seek(position);
        return reader.ReadByte();
    }
}
