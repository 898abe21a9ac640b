using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>
/// Validates a safetensors file as strictly as the reference implementation (<c>safetensors/src/tensor.rs</c>) and
/// stricter where parsers are known to disagree (duplicate keys, unknown keys, unknown dtypes): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON, then a byte buffer that the tensors must index completely, without gaps or
/// overlaps. Only the header is read; the data is never touched.
/// </summary>
public static class SafetensorsFormat
{
    /// <summary>The reference implementation's <c>MAX_HEADER_SIZE</c>.</summary>
    public const long MaxHeaderSize = 100_000_000;

    private const string FormatName = "safetensors";
    private const int MaxProblems = 20;

    /// <summary>Bits per element of every dtype the reference knows (enum <c>Dtype</c>).</summary>
    private static readonly Dictionary<string, int> DtypeBits = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8,
        ["F4"] = 4,
        ["F6_E2M3"] = 6,
        ["F6_E3M2"] = 6,
        ["U8"] = 8,
        ["I8"] = 8,
        ["F8_E5M2"] = 8,
        ["F8_E4M3"] = 8,
        ["F8_E8M0"] = 8,
        ["F8_E4M3FNUZ"] = 8,
        ["F8_E5M2FNUZ"] = 8,
        ["I16"] = 16,
        ["U16"] = 16,
        ["F16"] = 16,
        ["BF16"] = 16,
        ["I32"] = 32,
        ["U32"] = 32,
        ["F32"] = 32,
        ["C64"] = 64,
        ["F64"] = 64,
        ["I64"] = 64,
        ["U64"] = 64,
    };

    /// <summary>
    /// Does the start of a file look like safetensors? <paramref name="head"/> is the first bytes (up to 64 KiB),
    /// <paramref name="length"/> the file's length.
    /// </summary>
    public static bool Looks(ReadOnlySpan<byte> head, long length, bool trustLength = true)
    {
        if (head.Length < 8 || length < 8)
        {
            return false;
        }

        var n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (!trustLength)
        {
            // A file named .safetensors: an impossible length makes it an invalid safetensors file (MLG305), not an unknown one.
            n = (ulong)Math.Min(head.Length, int.MaxValue);
        }
        else if (n > MaxHeaderSize || n > (ulong)(length - 8))
        {
            return false; // for content sniffing, a plausible length is required: random data has '{' at byte 8 one time in 256
        }

        var end = (int)Math.Min(head.Length, 8 + (long)n);
        for (var i = 8; i < end; i++)
        {
            if (!IsJsonWhitespace(head[i]))
            {
                return head[i] == (byte)'{';
            }
        }

        return false;
    }

    /// <summary>
    /// Checks every rule of the format. <paramref name="stream"/> is positioned at the start of the file (seekable);
    /// only the header is read. Violations are MLG305; a header over <see cref="ScanLimits.MaxHeaderBytes"/> is MLG307.
    /// </summary>
    public static void Validate(Stream stream, long length, string view, ModelScanContext context)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(context);
        FormatText.RecogniseOnce(context, view, FormatName);

        byte[] header;
        ulong n;
        try
        {
            if (length < 8)
            {
                Invalid(context, view, $"the file is {length} bytes long, shorter than the 8-byte header length");
                return;
            }

            // Read exactly the length field and the header, nothing more: the data is never touched.
            Span<byte> lengthField = stackalloc byte[8];
            stream.ReadExactly(lengthField);
            n = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
            if (n > MaxHeaderSize)
            {
                Invalid(context, view, $"the header length {n} exceeds the format's maximum of {MaxHeaderSize} bytes");
                return;
            }

            if (n > (ulong)(length - 8))
            {
                Invalid(context, view, $"the header length {n} runs past the end of the file ({length} bytes)");
                return;
            }

            if ((long)n > context.Limits.MaxHeaderBytes)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, view, $"its safetensors header is {n} bytes", context.Limits.MaxHeaderBytes);
                return;
            }

            header = new byte[n];
            stream.ReadExactly(header);
        }
        catch (EndOfStreamException)
        {
            Invalid(context, view, $"the stream ends before the {length} bytes it was said to have");
            return;
        }

        var validator = new HeaderValidator(header, length, view, context);
        validator.Run();
    }

    private static bool IsJsonWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    private static void Invalid(ModelScanContext context, string view, string reason) =>
        context.Report(RuleCatalog.InvalidTensorHeader, view, FormatName, reason);

    /// <summary>A structural error: the header cannot be read further.</summary>
    private sealed class StructureException(string reason) : Exception(reason);

    private sealed class Tensor
    {
        public required string Name { get; init; }

        public string? Dtype { get; set; }

        public List<ulong?> Shape { get; } = new();

        public List<string> ShapeRaw { get; } = new();

        public List<ulong?> Offsets { get; } = new();

        public List<string> OffsetsRaw { get; } = new();

        public List<string> UnknownKeys { get; } = new();

        public bool HasShape { get; set; }

        public bool HasOffsets { get; set; }
    }

    private sealed class HeaderValidator(byte[] header, long length, string view, ModelScanContext context)
    {
        private int _problems;

        public void Run()
        {
            List<Tensor> tensors;
            try
            {
                tensors = Parse();
            }
            catch (StructureException e)
            {
                Invalid(context, view, e.Message);
                return;
            }

            CheckTensors(tensors);
        }

        private void Problem(string reason)
        {
            if (_problems++ < MaxProblems)
            {
                Invalid(context, view, reason);
            }
        }

        private List<Tensor> Parse()
        {
            var span = header.AsSpan();
            if (!Utf8.IsValid(span))
            {
                throw new StructureException($"the header is not valid UTF-8 (first bad byte at file offset {8 + FirstInvalidUtf8(span)})");
            }

            // The reference accepts JSON whitespace around the object (writers pad with spaces); nothing else, not even a BOM.
            var start = 0;
            while (start < span.Length && IsJsonWhitespace(span[start]))
            {
                start++;
            }

            if (start == span.Length)
            {
                throw new StructureException("the header is empty (a JSON object is required)");
            }

            if (span[start] != (byte)'{')
            {
                throw new StructureException($"the header must be a JSON object, but byte {8 + start} is 0x{span[start]:X2} where '{{' was expected");
            }

            var reader = new Utf8JsonReader(span, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
                MaxDepth = 16,
            });

            var tensors = new List<Tensor>();
            try
            {
                Next(ref reader); // StartObject
                var keys = new HashSet<string>(StringComparer.Ordinal);
                var sawMetadata = false;
                while (true)
                {
                    Next(ref reader);
                    if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        break;
                    }

                    var name = reader.GetString()!;
                    if (!keys.Add(name))
                    {
                        throw new StructureException(name == "__metadata__"
                            ? "the key '__metadata__' appears twice (parsers disagree on which one wins)"
                            : $"tensor '{FormatText.Printable(name)}' is declared twice (parsers disagree on which one wins)");
                    }

                    Next(ref reader);
                    if (name == "__metadata__")
                    {
                        sawMetadata = true;
                        ParseMetadata(ref reader);
                    }
                    else
                    {
                        tensors.Add(ParseTensor(ref reader, name));
                    }

                    if (((tensors.Count + (sawMetadata ? 1 : 0)) & 0xFFF) == 0)
                    {
                        context.CancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }
            catch (JsonException e)
            {
                throw new StructureException($"the header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {FirstSentence(e.Message)})");
            }
            catch (InvalidOperationException)
            {
                // GetString on an escape that decodes to invalid UTF-16 (a lone surrogate); serde rejects these too.
                throw new StructureException($"the header holds a JSON string with an invalid escape before file offset {8 + reader.BytesConsumed}");
            }

            var end = (int)reader.BytesConsumed;
            for (var i = end; i < span.Length; i++)
            {
                if (!IsJsonWhitespace(span[i]))
                {
                    throw new StructureException($"only whitespace may follow the header's JSON object, but byte {8 + i} is 0x{span[i]:X2}");
                }
            }

            return tensors;
        }

        private static void Next(ref Utf8JsonReader reader)
        {
            if (!reader.Read())
            {
                throw new StructureException("the header's JSON ends before its object is closed");
            }
        }

        private static string FirstSentence(string message)
        {
            var dot = message.IndexOf(". ", StringComparison.Ordinal);
            return (dot > 0 ? message[..dot] : message).TrimEnd('.');
        }

        private static void ParseMetadata(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new StructureException($"'__metadata__' must be an object of strings, not {Describe(reader.TokenType)}");
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return;
                }

                var key = reader.GetString()!;
                if (!keys.Add(key))
                {
                    throw new StructureException($"'__metadata__' has the key '{FormatText.Printable(key)}' twice");
                }

                Next(ref reader);
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw new StructureException($"'__metadata__' maps '{FormatText.Printable(key)}' to {Describe(reader.TokenType)}; only strings are allowed");
                }
            }
        }

        private static Tensor ParseTensor(ref Utf8JsonReader reader, string name)
        {
            var shown = FormatText.Printable(name);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new StructureException($"tensor '{shown}' must be an object, not {Describe(reader.TokenType)}");
            }

            var tensor = new Tensor { Name = name };
            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                var key = reader.GetString()!;
                if (!keys.Add(key))
                {
                    throw new StructureException($"tensor '{shown}' has the key '{FormatText.Printable(key)}' twice");
                }

                Next(ref reader);
                switch (key)
                {
                    case "dtype":
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            throw new StructureException($"tensor '{shown}' has a dtype that is {Describe(reader.TokenType)}, not a string");
                        }

                        tensor.Dtype = reader.GetString();
                        break;
                    case "shape":
                        ReadIntegers(ref reader, shown, "shape", tensor.Shape, tensor.ShapeRaw);
                        tensor.HasShape = true;
                        break;
                    case "data_offsets":
                        ReadIntegers(ref reader, shown, "data_offsets", tensor.Offsets, tensor.OffsetsRaw);
                        tensor.HasOffsets = true;
                        break;
                    default:
                        tensor.UnknownKeys.Add(key);
                        reader.Skip();
                        break;
                }
            }

            if (tensor.Dtype is null || !tensor.HasShape || !tensor.HasOffsets)
            {
                var missing = tensor.Dtype is null ? "dtype" : !tensor.HasShape ? "shape" : "data_offsets";
                throw new StructureException($"tensor '{shown}' has no '{missing}'");
            }

            return tensor;
        }

        /// <summary>Reads an array of JSON numbers; each becomes a u64 when it is a plain non-negative integer, else null.</summary>
        private static void ReadIntegers(ref Utf8JsonReader reader, string tensor, string key, List<ulong?> values, List<string> raw)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new StructureException($"tensor '{tensor}' has a {key} that is {Describe(reader.TokenType)}, not an array");
            }

            while (true)
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    return;
                }

                if (reader.TokenType != JsonTokenType.Number)
                {
                    throw new StructureException($"tensor '{tensor}' has a {key} element that is {Describe(reader.TokenType)}, not an integer");
                }

                var text = reader.ValueSpan; // numbers never have escapes and the input is one contiguous span
                raw.Add(Encoding.UTF8.GetString(text));
                values.Add(FormatText.TryParsePlainUInt64(text, out var v) ? v : null);
            }
        }

        private static string Describe(JsonTokenType type) => type switch
        {
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => type.ToString(),
        };

        private static int FirstInvalidUtf8(ReadOnlySpan<byte> span)
        {
            var i = 0;
            while (i < span.Length)
            {
                if (System.Text.Rune.DecodeFromUtf8(span[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
                {
                    return i;
                }

                i += consumed;
            }

            return i;
        }

        private void CheckTensors(List<Tensor> tensors)
        {
            // (begin, end, name) of every tensor whose offsets are usable, for the layout check.
            var spans = new List<(ulong Begin, ulong End, string Name)>(tensors.Count);
            var layoutUsable = true;
            foreach (var t in tensors)
            {
                var name = FormatText.Printable(t.Name);
                foreach (var key in t.UnknownKeys)
                {
                    // serde ignores unknown fields, other parsers may not: reject, so every reader sees the same tensor.
                    Problem($"tensor '{name}' has the unknown key '{FormatText.Printable(key)}' (only dtype, shape and data_offsets are allowed)");
                }

                // Fail closed: a dtype we do not know has no known size, so the tensor's extent cannot be checked. New
                // dtypes appear over time; they are added here when the reference adds them.
                var knownDtype = DtypeBits.TryGetValue(t.Dtype!, out var bits);
                if (!knownDtype)
                {
                    Problem($"tensor '{name}' has the unknown dtype '{FormatText.Printable(t.Dtype!)}'");
                }

                ulong? elements = 1;
                for (var i = 0; i < t.Shape.Count; i++)
                {
                    if (t.Shape[i] is not { } d)
                    {
                        Problem($"tensor '{name}' has the shape element {FormatText.Printable(t.ShapeRaw[i])}, which is not a non-negative integer");
                        elements = null;
                        break;
                    }

                    if (elements is { } e)
                    {
                        elements = CheckedMultiply(e, d);
                        if (elements is null)
                        {
                            Problem($"tensor '{name}' has a shape [{string.Join(", ", t.ShapeRaw)}] whose element count overflows 64 bits");
                            break;
                        }
                    }
                }

                ulong begin = 0, end = 0;
                var offsetsOk = false;
                if (t.Offsets.Count != 2)
                {
                    Problem($"tensor '{name}' has {t.Offsets.Count} data_offsets; exactly two ([begin, end]) are required");
                }
                else if (t.Offsets[0] is not { } b || t.Offsets[1] is not { } en)
                {
                    Problem($"tensor '{name}' has data_offsets [{string.Join(", ", t.OffsetsRaw)}], which are not non-negative integers");
                }
                else if (en < b)
                {
                    Problem($"tensor '{name}' has data_offsets [{b}, {en}]: it ends before it begins");
                }
                else
                {
                    begin = b;
                    end = en;
                    offsetsOk = true;
                }

                if (offsetsOk)
                {
                    spans.Add((begin, end, name));
                }
                else
                {
                    layoutUsable = false;
                }

                if (knownDtype && elements is { } count)
                {
                    var totalBits = CheckedMultiply(count, (ulong)bits);
                    if (totalBits is null)
                    {
                        Problem($"tensor '{name}' has {count} elements of {t.Dtype}, whose size overflows 64 bits");
                    }
                    else if (totalBits.Value % 8 != 0)
                    {
                        Problem($"tensor '{name}' holds {totalBits.Value} bits of {t.Dtype} data, which is not a whole number of bytes");
                    }
                    else if (offsetsOk && end - begin != totalBits.Value / 8)
                    {
                        Problem($"tensor '{name}' spans {end - begin} bytes (data_offsets [{begin}, {end}]) but its dtype {t.Dtype} and shape [{string.Join(", ", t.ShapeRaw)}] need {totalBits.Value / 8}");
                    }
                }
            }

            if (!layoutUsable)
            {
                return; // the layout cannot be judged without every tensor's offsets
            }

            context.CancellationToken.ThrowIfCancellationRequested();
            spans.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
            ulong expected = 0;
            string? previous = null;
            foreach (var (begin, end, name) in spans)
            {
                if (begin > expected)
                {
                    Problem(previous is null
                        ? $"the first tensor '{name}' begins at data offset {begin}, not 0: bytes [0, {begin}) belong to no tensor"
                        : $"bytes [{expected}, {begin}) between tensor '{previous}' and tensor '{name}' belong to no tensor");
                    return;
                }

                if (begin < expected)
                {
                    Problem($"tensor '{name}' (data_offsets [{begin}, {end}]) overlaps tensor '{previous}', which ends at {expected}");
                    return;
                }

                expected = end;
                previous = name;
            }

            var dataBytes = (ulong)(length - 8 - header.LongLength);
            if (expected < dataBytes)
            {
                Problem($"the tensors index {expected} bytes of data but {dataBytes} follow the header: the last {dataBytes - expected} bytes belong to no tensor (a hidden payload or a polyglot file)");
            }
            else if (expected > dataBytes)
            {
                Problem($"the tensors need {expected} bytes of data but only {dataBytes} follow the header");
            }
        }

        private static ulong? CheckedMultiply(ulong a, ulong b)
        {
            var high = Math.BigMul(a, b, out var low);
            return high == 0 ? low : null;
        }
    }
}
