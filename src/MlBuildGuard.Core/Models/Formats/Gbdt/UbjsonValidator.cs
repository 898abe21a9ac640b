using System.Buffers.Binary;
using System.Text;

namespace MlBuildGuard.Core.Models.Formats.Gbdt;

/// <summary>
/// Walks Universal Binary JSON (the encoding of XGBoost's <c>.ubj</c> models) without building it: every container,
/// count and length is checked against the bytes left before anything is skipped or read, typed arrays of numbers are
/// skipped in one step, and nesting is bounded, so a damaged or hostile file throws <see cref="MalformedFormatException"/>
/// (or <see cref="FormatLimitException"/>) instead of reading past its end or recursing without end. It returns the keys
/// of the top-level object.
/// </summary>
internal sealed class UbjsonValidator(FormatReader reader, CancellationToken cancellationToken)
{
    public const int MaxDepth = 512;
    private const int MaxKeyBytes = 64 * 1024;
    private long _values;

    /// <summary>Reads one value, which must be an object, to the end of the input; returns its keys.</summary>
    public IReadOnlyList<string> ReadTopLevelObject()
    {
        var marker = reader.ReadByte();
        if (marker != (byte)'{')
        {
            throw new MalformedFormatException(0, "it does not start with an object");
        }

        var keys = new List<string>();
        Container(isObject: true, depth: 1, keys);
        if (reader.Remaining != 0)
        {
            throw new MalformedFormatException(reader.Position, $"{reader.Remaining} byte(s) follow the end of the model");
        }

        return keys;
    }

    private void Value(byte marker, int depth)
    {
        if ((++_values & 0xFFFF) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        switch (marker)
        {
            case (byte)'Z' or (byte)'N' or (byte)'T' or (byte)'F':
                return;
            case (byte)'{' or (byte)'[':
                if (depth >= MaxDepth)
                {
                    throw new FormatLimitException("its UBJSON nests deeper than allowed", MaxDepth);
                }

                Container(marker == (byte)'{', depth + 1, keys: null);
                return;
            case (byte)'S' or (byte)'H':
                reader.Skip(Length());
                return;
            default:
                reader.Skip(FixedSize(marker, reader.Position - 1));
                return;
        }
    }

    /// <summary>The body of an object or array whose opening marker was read: optimized (<c>$</c> type, <c>#</c> count) or not.</summary>
    private void Container(bool isObject, int depth, List<string>? keys)
    {
        byte? type = null;
        long? count = null;
        if (Peek() == (byte)'$')
        {
            reader.ReadByte();
            type = reader.ReadByte();
            if (Peek() != (byte)'#')
            {
                throw new MalformedFormatException(reader.Position, "a typed container has no count");
            }
        }

        if (Peek() == (byte)'#')
        {
            reader.ReadByte();
            count = Length();
        }

        if (count is { } n)
        {
            if (type is { } t && !isObject && t is not ((byte)'{' or (byte)'[' or (byte)'S' or (byte)'H'))
            {
                var size = t is (byte)'Z' or (byte)'N' or (byte)'T' or (byte)'F' ? 0 : FixedSize(t, reader.Position);
                if (size > 0 && n > reader.Remaining / size)
                {
                    throw new MalformedFormatException(reader.Position, $"an array of {n} values runs past the end of the file");
                }

                reader.Skip(n * size);
                return;
            }

            if (n > reader.Remaining)
            {
                throw new MalformedFormatException(reader.Position, $"a container of {n} values runs past the end of the file");
            }

            for (long i = 0; i < n; i++)
            {
                if (isObject)
                {
                    Key(keys);
                }

                Value(type ?? reader.ReadByte(), depth);
            }

            return;
        }

        var end = isObject ? (byte)'}' : (byte)']';
        while (true)
        {
            var next = Peek();
            if (next == end)
            {
                reader.ReadByte();
                return;
            }

            if (next == (byte)'N')
            {
                reader.ReadByte(); // no-op
                continue;
            }

            if (isObject)
            {
                Key(keys);
            }

            Value(reader.ReadByte(), depth);
        }
    }

    private void Key(List<string>? keys)
    {
        var length = Length();
        if (keys is null)
        {
            reader.Skip(length);
            return;
        }

        var bytes = reader.ReadBytes(Math.Min(length, MaxKeyBytes));
        reader.Skip(length - bytes.Length);
        keys.Add(Encoding.UTF8.GetString(bytes));
    }

    /// <summary>A length or count: an integer value with its own marker, never negative.</summary>
    private long Length()
    {
        var at = reader.Position;
        var marker = reader.ReadByte();
        var size = marker switch
        {
            (byte)'i' or (byte)'U' => 1,
            (byte)'I' => 2,
            (byte)'l' => 4,
            (byte)'L' => 8,
            _ => throw new MalformedFormatException(at, $"a length has the marker 0x{marker:X2}, not an integer"),
        };
        Span<byte> b = stackalloc byte[8];
        reader.Read(b[..size]);
        long value = marker switch
        {
            (byte)'i' => (sbyte)b[0],
            (byte)'U' => b[0],
            (byte)'I' => BinaryPrimitives.ReadInt16BigEndian(b),
            (byte)'l' => BinaryPrimitives.ReadInt32BigEndian(b),
            _ => BinaryPrimitives.ReadInt64BigEndian(b),
        };
        if (value < 0 || value > reader.Remaining)
        {
            throw new MalformedFormatException(at, $"a length of {value} at byte {at} runs past the end of the file");
        }

        return value;
    }

    private static int FixedSize(byte marker, long at) => marker switch
    {
        (byte)'i' or (byte)'U' or (byte)'C' => 1,
        (byte)'I' => 2,
        (byte)'l' or (byte)'d' => 4,
        (byte)'L' or (byte)'D' => 8,
        _ => throw new MalformedFormatException(at, $"the marker 0x{marker:X2} is not a UBJSON value"),
    };

    private byte Peek()
    {
        var b = reader.ReadByte();
        reader.Seek(reader.Position - 1);
        return b;
    }
}
