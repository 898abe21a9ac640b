using System.Text;

namespace MlBuildGuard.Core.Models.Formats.Protobuf;

/// <summary>
/// The one protobuf wire-format reader of the scanner (ONNX, TensorFlow SavedModel and Keras metadata, Core ML): it walks
/// messages field by field over a <see cref="FormatReader"/>, so a model is streamed and the bytes of a field nobody
/// looks at (weights) are skipped, not read. Every length is checked against its enclosing message before anything is
/// read or allocated; groups and invalid wire types are malformed (<see cref="MalformedFormatException"/> with the byte
/// offset), as is a known field with the wrong wire type.
/// </summary>
internal sealed class ProtoReader(FormatReader reader, CancellationToken cancellationToken, int maxStringBytes = 64 * 1024)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int Len = 2;
    public const int Fixed32 = 5;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private long _messages;

    public long Position => reader.Position;

    public long Length => reader.Length;

    /// <summary>Moves to an absolute position (to read a message again, or past a field the visitor left early).</summary>
    public void Seek(long position) => reader.Seek(position);

    /// <summary>
    /// Reads the fields of one message up to <paramref name="end"/>. <paramref name="visit"/> gets each known
    /// length-delimited field (its number and the end of its payload, with the reader at the payload's start) and each
    /// known varint field (its number and <paramref name="end"/>, with the reader at the varint), and returns true when it
    /// consumed the field; anything not consumed is skipped. A visitor that stops early within a length-delimited field is
    /// moved to the field's end.
    /// </summary>
    public void Message(ProtoSchema schema, long end, Func<int, long, bool> visit)
    {
        if ((++_messages & 0xFFF) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        while (reader.Position < end)
        {
            var tagAt = reader.Position;
            var tag = ReadVarint(end);
            if (tag > uint.MaxValue || (tag >> 3) == 0)
            {
                throw new MalformedFormatException(tagAt, $"the field number {tag >> 3} in a {schema.Name} is out of range");
            }

            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            if (wire is 3 or 4)
            {
                throw new MalformedFormatException(tagAt, $"field {field} of a {schema.Name} is a group, which this format never uses");
            }

            if (wire is 6 or 7)
            {
                throw new MalformedFormatException(tagAt, $"field {field} of a {schema.Name} has the unknown wire type {wire}");
            }

            var isKnown = schema.Fields.TryGetValue(field, out var known);
            if (isKnown && !ProtoSchema.WireFits(known.Kind, wire))
            {
                throw new MalformedFormatException(tagAt,
                    $"{schema.Name}.{known.Field} (field {field}) has wire type {ProtoSchema.WireName(wire)}, not {ProtoSchema.KindName(known.Kind)}");
            }

            if (wire == Len)
            {
                var lengthAt = reader.Position;
                var len = ReadVarint(end);
                if (len > (ulong)(end - reader.Position))
                {
                    throw new MalformedFormatException(lengthAt, $"{schema.Name} field {field} claims {len} bytes, which runs past the end of its enclosing message at byte {end}");
                }

                var fieldEnd = reader.Position + (long)len;
                if (((isKnown && known.Kind == ProtoKind.Len) || (!isKnown && schema.VisitsEveryLengthField)) && visit(field, fieldEnd))
                {
                    if (reader.Position != fieldEnd)
                    {
                        reader.Seek(fieldEnd);
                    }
                }
                else
                {
                    reader.Skip((long)len);
                }

                continue;
            }

            if (wire == Varint && isKnown && known.Kind == ProtoKind.Varint && visit(field, end))
            {
                continue; // the visitor read the varint itself
            }

            SkipScalar(wire, end);
        }

        if (reader.Position != end)
        {
            throw new MalformedFormatException(reader.Position, $"a {schema.Name} ends past its declared length");
        }
    }

    public ulong ReadVarint(long end)
    {
        var at = reader.Position;
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (reader.Position >= end)
            {
                throw new MalformedFormatException(at, "a varint is cut off by the end of its message");
            }

            var b = reader.ReadByte();
            if (shift == 63 && b > 1)
            {
                throw new MalformedFormatException(at, "a varint is longer than 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new MalformedFormatException(at, "a varint is longer than 10 bytes");
    }

    /// <summary>Reads the rest of a field up to <paramref name="end"/> as a string, keeping at most the reader's limit of it.</summary>
    public ProtoString ReadString(long end)
    {
        var total = end - reader.Position;
        var keep = (int)Math.Min(total, maxStringBytes);
        var bytes = reader.ReadBytes(keep);
        reader.Skip(total - keep);
        try
        {
            return new ProtoString(StrictUtf8.GetString(bytes), keep < total, true);
        }
        catch (DecoderFallbackException)
        {
            return new ProtoString(Encoding.UTF8.GetString(bytes), keep < total, false);
        }
    }

    /// <summary>Reads the rest of a field as bytes; a field longer than <paramref name="max"/> is a scan limit (MLG307).</summary>
    public byte[] ReadBytes(long end, long max)
    {
        var total = end - reader.Position;
        if (total > max)
        {
            throw new FormatLimitException($"a protobuf field of {total} bytes is larger than allowed", max);
        }

        return reader.ReadBytes(total);
    }

    private void SkipScalar(int wire, long end)
    {
        if (wire == Varint)
        {
            ReadVarint(end);
            return;
        }

        var at = reader.Position;
        var size = wire == Fixed64 ? 8 : 4;
        if (size > end - at)
        {
            throw new MalformedFormatException(at, $"a {size * 8}-bit value is cut off by the end of its message at byte {end}");
        }

        reader.Skip(size);
    }
}
