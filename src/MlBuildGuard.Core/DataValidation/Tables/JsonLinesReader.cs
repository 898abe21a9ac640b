using System.Buffers;
using System.Text;
using System.Text.Json;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Reads JSON Lines: one JSON object per line, its keys naming columns. Values become cell text (strings unescaped,
/// numbers and booleans as written, objects and arrays as their JSON); null and absent keys are nulls. Lines are bounded
/// by the <see cref="TextGuardStream"/> underneath, so one giant line cannot take the memory.
/// <para>
/// Without a list of columns (a file with no schema, read for its personal data), the columns are the keys as they first
/// appear, up to <see cref="MaxDiscoveredColumns"/>: the list given to <see cref="ITableSink.Columns"/> then grows while
/// the file is read, and a row ends with the cells of the columns known so far.
/// </para>
/// </summary>
public static class JsonLinesReader
{
    /// <summary>Columns taken from keys when no list is given; later keys are unknown columns.</summary>
    public const int MaxDiscoveredColumns = 1000;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    public static void Read(Stream stream, IReadOnlyList<string>? columns, ITableSink sink, CancellationToken cancellationToken = default)
    {
        var guard = new TextGuardStream(stream, quoted: false);
        var names = new Columns(columns);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        var chars = ArrayPool<char>.Shared.Rent(1024);
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        sink.Columns(names.Names, 0);
        try
        {
            int filled = 0, read;
            long line = 1;
            var atEnd = false;
            while (!atEnd)
            {
                if (filled == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2); // bounded: the guard refuses long lines
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                read = guard.Read(buffer, filled, buffer.Length - filled);
                atEnd = read == 0;
                filled += read;
                var start = 0;
                while (true)
                {
                    var newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                    if (newline < 0 && !(atEnd && start < filled))
                    {
                        break;
                    }

                    var end = newline < 0 ? filled : start + newline;
                    var text = buffer.AsSpan(start, end - start);
                    if (text.EndsWith("\r"u8))
                    {
                        text = text[..^1];
                    }

                    if (line == 1 && text.StartsWith("\uFEFF"u8))
                    {
                        text = text[3..];
                    }

                    if (!text.Trim((byte)' ').IsEmpty)
                    {
                        ReadLine(text, line, names, ref chars, sink, unknown);
                    }

                    line++;
                    start = end + 1;
                    if ((line & 0x3FFF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    if (newline < 0)
                    {
                        break;
                    }
                }

                start = Math.Min(start, filled);
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static void ReadLine(ReadOnlySpan<byte> text, long line, Columns names, ref char[] chars, ITableSink sink, HashSet<string> unknown)
    {
        var reader = new Utf8JsonReader(text, Options);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new DataFormatException("each line of JSON Lines must be a JSON object", line, 1);
            }

            sink.BeginRow(line);
            var seen = names.Seen;
            Array.Clear(seen);
            var cells = 0;
            var expected = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var column = Find(ref reader, names.Utf8, expected);
                if (column < 0 && names.Discover(reader.GetString()!) is var added and >= 0)
                {
                    column = added;
                    seen = names.Seen;
                }

                var unknownName = column < 0 ? reader.GetString()! : null;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                if (unknownName is not null)
                {
                    reader.Skip();
                    if (unknown.Count < 1000 && unknown.Add(unknownName))
                    {
                        sink.UnknownColumn(unknownName, line);
                    }

                    continue;
                }

                if (seen[column])
                {
                    throw new DataFormatException($"the key '{names.Names[column]}' appears twice in one object", line, start + 1);
                }

                seen[column] = true;
                cells++;
                expected = column + 1;
                var charColumn = Encoding.UTF8.GetCharCount(text[..start]) + 1;
                switch (reader.TokenType)
                {
                    case JsonTokenType.Null:
                        sink.NullCell(column);
                        break;
                    case JsonTokenType.String:
                        var length = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (chars.Length < length)
                        {
                            ArrayPool<char>.Shared.Return(chars);
                            chars = ArrayPool<char>.Shared.Rent(length);
                        }

                        var n = reader.CopyString(chars);
                        sink.Cell(column, chars.AsSpan(0, n), charColumn);
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        reader.Skip();
                        Raw(text[start..(int)(reader.TokenStartIndex + 1)], column, charColumn, ref chars, sink);
                        break;
                    default:
                        Raw(reader.ValueSpan, column, charColumn, ref chars, sink);
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new DataFormatException("unexpected content after the JSON object", line, (int)reader.TokenStartIndex + 1);
            }

            for (var c = 0; c < seen.Length; c++)
            {
                if (!seen[c])
                {
                    sink.NullCell(c);
                }
            }

            sink.EndRow(names.Names.Count);
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"line {line} is not valid JSON: {IO.PositionedException.DescribeJsonError(e)["invalid JSON: ".Length..]}", line, (int)(e.BytePositionInLine ?? 0) + 1);
        }
    }

    private static int Find(ref Utf8JsonReader reader, List<byte[]> names, int expected)
    {
        if (expected < names.Count && reader.ValueTextEquals(names[expected]))
        {
            return expected;
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (i != expected && reader.ValueTextEquals(names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static void Raw(ReadOnlySpan<byte> utf8, int column, int charColumn, ref char[] chars, ITableSink sink)
    {
        if (chars.Length < utf8.Length)
        {
            ArrayPool<char>.Shared.Return(chars);
            chars = ArrayPool<char>.Shared.Rent(utf8.Length);
        }

        var n = Encoding.UTF8.GetChars(utf8, chars);
        sink.Cell(column, chars.AsSpan(0, n), charColumn);
    }

    /// <summary>The columns being read: given, or discovered from the keys (then <see cref="Names"/> grows).</summary>
    private sealed class Columns(IReadOnlyList<string>? given)
    {
        private readonly List<string> _names = given?.ToList() ?? [];

        public IReadOnlyList<string> Names => _names;

        public List<byte[]> Utf8 { get; } = given?.Select(c => Encoding.UTF8.GetBytes(c)).ToList() ?? [];

        /// <summary>Which columns the current row has given a value (as long as <see cref="Names"/>).</summary>
        public bool[] Seen { get; private set; } = new bool[given?.Count ?? 0];

        /// <summary>Adds a key as a column when discovering, and returns its index; -1 when the key is an unknown column.</summary>
        public int Discover(string name)
        {
            if (given is not null || _names.Count >= MaxDiscoveredColumns)
            {
                return -1;
            }

            _names.Add(name);
            Utf8.Add(Encoding.UTF8.GetBytes(name));
            var seen = new bool[_names.Count];
            Seen.CopyTo(seen, 0);
            Seen = seen;
            return _names.Count - 1;
        }
    }
}
