using System.Text;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>
/// Validates a GGUF file (llama.cpp / ggml): header, every metadata pair (all 13 value types, nested arrays), the tensor
/// table, and where each tensor's data lies. Every count and length is checked against the bytes that remain before
/// anything is allocated or skipped, so a header claiming 2^62 pairs fails at once. Also flags chat templates that reach
/// Python internals (llama-cpp-python renders them with Jinja2: CVE-2024-34359).
/// </summary>
public static partial class GgufFormat
{
    private const string FormatName = "GGUF";
    private const uint DefaultAlignment = 32;
    private const int MaxDims = 4;           // GGML_MAX_DIMS
    private const int MaxTensorName = 63;    // GGML_MAX_NAME (64) including the terminating NUL
    private const int MaxKeyLength = 65_535; // the GGUF spec: keys are at most 2^16 - 1 bytes
    private const int MaxArrayNesting = 8;
    private const int MaxProblems = 20;

    // GGUF metadata value types.
    private const uint TypeUInt8 = 0, TypeInt8 = 1, TypeUInt16 = 2, TypeInt16 = 3, TypeUInt32 = 4, TypeInt32 = 5,
        TypeFloat32 = 6, TypeBool = 7, TypeString = 8, TypeArray = 9, TypeUInt64 = 10, TypeInt64 = 11, TypeFloat64 = 12;

    private static readonly string[] TypeNames =
        ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"];

    /// <summary>The ggml tensor types: name, elements per block, bytes per block. Retired ids (4, 5, 31–33, 36–38) are absent.</summary>
    private static readonly Dictionary<uint, (string Name, uint BlockSize, uint TypeSize)> GgmlTypes = new()
    {
        [0] = ("F32", 1, 4),
        [1] = ("F16", 1, 2),
        [2] = ("Q4_0", 32, 18),
        [3] = ("Q4_1", 32, 20),
        [6] = ("Q5_0", 32, 22),
        [7] = ("Q5_1", 32, 24),
        [8] = ("Q8_0", 32, 34),
        [9] = ("Q8_1", 32, 36),
        [10] = ("Q2_K", 256, 84),
        [11] = ("Q3_K", 256, 110),
        [12] = ("Q4_K", 256, 144),
        [13] = ("Q5_K", 256, 176),
        [14] = ("Q6_K", 256, 210),
        [15] = ("Q8_K", 256, 292),
        [16] = ("IQ2_XXS", 256, 66),
        [17] = ("IQ2_XS", 256, 74),
        [18] = ("IQ3_XXS", 256, 98),
        [19] = ("IQ1_S", 256, 50),
        [20] = ("IQ4_NL", 32, 18),
        [21] = ("IQ3_S", 256, 110),
        [22] = ("IQ2_S", 256, 82),
        [23] = ("IQ4_XS", 256, 136),
        [24] = ("I8", 1, 1),
        [25] = ("I16", 1, 2),
        [26] = ("I32", 1, 4),
        [27] = ("I64", 1, 8),
        [28] = ("F64", 1, 8),
        [29] = ("IQ1_M", 256, 56),
        [30] = ("BF16", 1, 2),
        [34] = ("TQ1_0", 256, 54),
        [35] = ("TQ2_0", 256, 66),
        [39] = ("MXFP4", 32, 17),
    };

    /// <summary>Does the file start with the GGUF magic?</summary>
    public static bool Looks(ReadOnlySpan<byte> head) => head.Length >= 4 && head[..4].SequenceEqual("GGUF"u8);

    /// <summary>
    /// Checks the header, metadata and tensor table of a GGUF file of <paramref name="length"/> bytes. Structural
    /// errors stop the check (one MLG305); per-tensor layout problems are reported up to 20; a chat template that
    /// reaches Python internals is MLG306.
    /// </summary>
    public static void Validate(Stream stream, long length, string view, ModelScanContext context)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(context);
        FormatText.RecogniseOnce(context, view, "gguf");
        try
        {
            new Parser(new FormatReader(stream, length), length, view, context).Run();
        }
        catch (MalformedFormatException e)
        {
            Invalid(context, view, e.Message);
        }
        catch (FormatLimitException e)
        {
            context.Report(RuleCatalog.ScanLimitExceeded, view, e.Message, e.Limit);
        }
    }

    private static void Invalid(ModelScanContext context, string view, string reason) =>
        context.Report(RuleCatalog.InvalidTensorHeader, view, FormatName, reason);

    private static string TypeName(uint type) => type < TypeNames.Length ? TypeNames[type] : $"type {type}";

    /// <summary>Size of a fixed-size value type, 0 for string/array, -1 for an unknown type.</summary>
    private static int FixedSize(uint type) => type switch
    {
        TypeUInt8 or TypeInt8 or TypeBool => 1,
        TypeUInt16 or TypeInt16 => 2,
        TypeUInt32 or TypeInt32 or TypeFloat32 => 4,
        TypeUInt64 or TypeInt64 or TypeFloat64 => 8,
        TypeString or TypeArray => 0,
        _ => -1,
    };

    /// <summary>The fewest bytes one value of the type can take (a string: its u64 length; an array: type + count).</summary>
    private static long MinimumSize(uint type) => type switch
    {
        TypeString => 8,
        TypeArray => 12,
        _ => FixedSize(type),
    };

    /// <summary>
    /// The first construct in a Jinja2 chat template that reaches Python internals, or null. Patterns are matched on the
    /// template and on a copy with Python/Jinja string escapes (\xNN, \uNNNN) decoded, so '\x5f\x5fclass\x5f\x5f' counts.
    /// </summary>
    internal static string? FindTemplateEscape(string template)
    {
        var found = Match(template);
        if (found is null && template.Contains('\\', StringComparison.Ordinal))
        {
            found = Match(DecodeEscapes(template));
        }

        return found;

        static string? Match(string text)
        {
            var m = TemplateEscape().Match(text);
            return m.Success ? Regex.Replace(m.Value, @"\s+", " ") : null;
        }
    }

    // Dunder attributes that lead from any object to classes, globals or builtins; module access (os., popen,
    // subprocess); and Jinja's own globals (lipsum, cycler, joiner) stepping into their __init__ (whose __globals__ hold os).
    [GeneratedRegex(
        @"__(?:class|globals|subclasses|builtins|import|mro|base|bases|getattribute)__"
        + @"|(?<![A-Za-z0-9_])os\s*\."
        + @"|popen|subprocess"
        + @"|\b(?:lipsum|cycler|joiner)\s*(?:\.\s*__init__|\[\s*['""]__init__|\|\s*attr\s*\(\s*['""]__init__)",
        RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 2000)]
    private static partial Regex TemplateEscape();

    private static string DecodeEscapes(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                var digits = text[i + 1] switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
                if (digits > 0 && i + 1 + digits < text.Length
                    && int.TryParse(text.AsSpan(i + 2, digits), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var code)
                    && code is >= 0 and <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF))
                {
                    sb.Append(char.ConvertFromUtf32(code));
                    i += 1 + digits;
                    continue;
                }
            }

            sb.Append(text[i]);
        }

        return sb.ToString();
    }

    private sealed class Parser(FormatReader reader, long length, string view, ModelScanContext context)
    {
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
        private uint _alignment = DefaultAlignment;
        private int _problems;

        private static MalformedFormatException Error(long at, string reason) => new(at, reason);

        public void Run()
        {
            if (length < 4 || reader.ReadUInt32() != 0x46554747) // "GGUF" read little-endian
            {
                throw Error(0, "the file does not start with the magic 'GGUF'");
            }

            var versionAt = reader.Position;
            var version = reader.ReadUInt32();
            if (version == 1)
            {
                throw Error(versionAt, "GGUF version 1 (32-bit counts) is not supported; convert the model again with a current llama.cpp");
            }

            if (version is not (2 or 3))
            {
                var swapped = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(version);
                throw Error(versionAt, swapped is 2 or 3
                    ? $"version {version} is not 2 or 3 (a big-endian GGUF, version {swapped}, which is not supported)"
                    : $"unknown GGUF version {version} (only 2 and 3 are supported)");
            }

            var tensorCount = reader.ReadUInt64();
            var kvCount = reader.ReadUInt64();

            // Every pair takes at least 13 bytes (key length, type, a one-byte value), every tensor info 24 (name length,
            // n_dims, type, offset): reject impossible counts before looping or allocating anything.
            var remaining = (ulong)reader.Remaining;
            if (kvCount > remaining / 13)
            {
                throw Error(16, $"kv_count {kvCount} cannot fit in the {remaining} bytes after the header (each pair takes at least 13)");
            }

            if (tensorCount > remaining / 24)
            {
                throw Error(8, $"tensor_count {tensorCount} cannot fit in the {remaining} bytes after the header (each tensor info takes at least 24)");
            }

            if ((kvCount * 13) + (tensorCount * 24) > remaining)
            {
                throw Error(8, $"{kvCount} metadata pairs and {tensorCount} tensor infos cannot fit in the {remaining} bytes after the header");
            }

            for (ulong i = 0; i < kvCount; i++)
            {
                ReadPair(i);
                CheckBudget(i);
            }

            var tensors = new List<(string Name, ulong Offset, ulong Size)>((int)Math.Min(tensorCount, 1 << 16));
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (ulong i = 0; i < tensorCount; i++)
            {
                tensors.Add(ReadTensorInfo(i, names));
                CheckBudget(i);
            }

            CheckLayout(tensors);
        }

        private void CheckBudget(ulong index)
        {
            if (reader.Position > context.Limits.MaxHeaderBytes)
            {
                throw new FormatLimitException($"its GGUF metadata and tensor table exceed {context.Limits.MaxHeaderBytes} bytes", context.Limits.MaxHeaderBytes);
            }

            if ((index & 0x3FF) == 0x3FF)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
            }
        }

        /// <summary>Reads a string's length and checks it against what remains.</summary>
        private long StringLength(string what)
        {
            var at = reader.Position;
            var len = reader.ReadUInt64();
            if (len > (ulong)reader.Remaining)
            {
                throw Error(at, $"{what} claims {len} bytes but only {reader.Remaining} remain in the file");
            }

            return (long)len;
        }

        private void ReadPair(ulong index)
        {
            var at = reader.Position;
            var keyLength = StringLength($"the key of metadata pair {index}");
            if (keyLength > MaxKeyLength)
            {
                throw Error(at, $"the key of metadata pair {index} is {keyLength} bytes long (keys are at most {MaxKeyLength})");
            }

            var keyBytes = reader.ReadBytes(keyLength);
            var key = Encoding.UTF8.GetString(keyBytes);
            var shown = FormatText.Printable(key);

            // Compare keys byte for byte: Latin-1 maps every byte to one char, so distinct byte strings stay distinct.
            if (!_keys.Add(Encoding.Latin1.GetString(keyBytes)))
            {
                throw Error(at, $"the metadata key '{shown}' appears twice (readers disagree on which value wins)");
            }

            var typeAt = reader.Position;
            var type = reader.ReadUInt32();
            if (FixedSize(type) < 0)
            {
                throw Error(typeAt, $"metadata key '{shown}' has the unknown value type {type}");
            }

            if (key == "general.alignment")
            {
                if (type != TypeUInt32)
                {
                    throw Error(typeAt, $"general.alignment has the type {TypeName(type)}; it must be uint32");
                }

                var alignment = reader.ReadUInt32();
                if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                {
                    throw Error(typeAt + 4, $"general.alignment is {alignment}, which is not a power of two");
                }

                _alignment = alignment;
                return;
            }

            if (type == TypeString && (key == "tokenizer.chat_template" || key.StartsWith("tokenizer.chat_template.", StringComparison.Ordinal)))
            {
                CheckChatTemplate(key);
                return;
            }

            SkipValue(type, shown, 0);
        }

        private void CheckChatTemplate(string key)
        {
            var len = StringLength($"the value of '{FormatText.Printable(key)}'");
            if (reader.Position + len > context.Limits.MaxHeaderBytes)
            {
                throw new FormatLimitException($"its GGUF metadata and tensor table exceed {context.Limits.MaxHeaderBytes} bytes", context.Limits.MaxHeaderBytes);
            }

            var template = Encoding.UTF8.GetString(reader.ReadBytes(len));
            string? escape;
            try
            {
                escape = FindTemplateEscape(template);
            }
            catch (RegexMatchTimeoutException)
            {
                escape = "a template too complex to check";
            }

            if (escape is not null)
            {
                context.Report(RuleCatalog.KerasEmbeddedCode, view, $"its {FormatText.Printable(key)} reaches Python internals ('{FormatText.Printable(escape)}')");
            }
        }

        private void SkipValue(uint type, string key, int depth)
        {
            var size = FixedSize(type);
            if (size > 0)
            {
                reader.Skip(size);
                return;
            }

            if (type == TypeString)
            {
                reader.Skip(StringLength($"a string of '{key}'"));
                return;
            }

            // An array: element type, count, elements.
            var at = reader.Position;
            var elementType = reader.ReadUInt32();
            if (FixedSize(elementType) < 0)
            {
                throw Error(at, $"the array '{key}' has the unknown element type {elementType}");
            }

            var countAt = reader.Position;
            var count = reader.ReadUInt64();
            var min = (ulong)MinimumSize(elementType);
            if (count > (ulong)reader.Remaining / min)
            {
                throw Error(countAt, $"the array '{key}' claims {count} {TypeName(elementType)} elements but only {reader.Remaining} bytes remain");
            }

            if (elementType == TypeArray && depth + 1 >= MaxArrayNesting)
            {
                throw Error(at, $"the array '{key}' nests arrays more than {MaxArrayNesting} deep");
            }

            var elementSize = FixedSize(elementType);
            if (elementSize > 0)
            {
                reader.Skip((long)count * elementSize); // count * size <= Remaining, checked above
                return;
            }

            for (ulong i = 0; i < count; i++)
            {
                SkipValue(elementType, key, depth + 1);
                if ((i & 0xFFFF) == 0xFFFF)
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                }
            }
        }

        private (string Name, ulong Offset, ulong Size) ReadTensorInfo(ulong index, HashSet<string> names)
        {
            var at = reader.Position;
            var nameLength = StringLength($"the name of tensor {index}");
            if (nameLength > MaxTensorName)
            {
                throw Error(at, $"the name of tensor {index} is {nameLength} bytes long (GGML_MAX_NAME allows {MaxTensorName})");
            }

            var nameBytes = reader.ReadBytes(nameLength);
            var name = FormatText.Printable(Encoding.UTF8.GetString(nameBytes));
            if (!names.Add(Encoding.Latin1.GetString(nameBytes)))
            {
                throw Error(at, $"the tensor name '{name}' appears twice");
            }

            var dimsAt = reader.Position;
            var nDims = reader.ReadUInt32();
            if (nDims > MaxDims)
            {
                throw Error(dimsAt, $"tensor '{name}' has {nDims} dimensions (GGML_MAX_DIMS is {MaxDims})");
            }

            Span<ulong> ne = stackalloc ulong[MaxDims];
            ne.Fill(1);
            ulong elements = 1;
            for (var d = 0; d < nDims; d++)
            {
                ne[d] = reader.ReadUInt64();
                if (ne[d] > long.MaxValue)
                {
                    throw Error(dimsAt, $"tensor '{name}' has dimension {d} = {ne[d]}, beyond INT64_MAX");
                }

                var high = Math.BigMul(elements, ne[d], out var low);
                if (high != 0 || low > long.MaxValue)
                {
                    throw Error(dimsAt, $"tensor '{name}' has dimensions whose product overflows INT64_MAX");
                }

                elements = low;
            }

            var typeAt = reader.Position;
            var type = reader.ReadUInt32();
            if (!GgmlTypes.TryGetValue(type, out var info))
            {
                throw Error(typeAt, $"tensor '{name}' has the unknown tensor type {type}");
            }

            if (ne[0] % info.BlockSize != 0)
            {
                throw Error(dimsAt, $"tensor '{name}' has ne[0] = {ne[0]}, not a multiple of the {info.Name} block size {info.BlockSize}");
            }

            // ggml_nbytes: row bytes (ne0 / block * type size) times the other dimensions, overflow-checked.
            var size = Multiply(ne[0] / info.BlockSize, info.TypeSize);
            for (var d = 1; d < MaxDims && size is not null; d++)
            {
                size = Multiply(size.Value, ne[d]);
            }

            if (size is null || size.Value > long.MaxValue)
            {
                throw Error(dimsAt, $"tensor '{name}' ({info.Name}) has a byte size that overflows INT64_MAX");
            }

            var offset = reader.ReadUInt64();
            return (name, offset, size.Value);
        }

        private static ulong? Multiply(ulong a, ulong b)
        {
            var high = Math.BigMul(a, b, out var low);
            return high == 0 ? low : null;
        }

        private void Problem(string reason)
        {
            if (_problems++ < MaxProblems)
            {
                Invalid(context, view, reason);
            }
        }

        private void CheckLayout(List<(string Name, ulong Offset, ulong Size)> tensors)
        {
            if (tensors.Count == 0)
            {
                return;
            }

            // The data section starts at the end of the tensor table, padded up to the alignment.
            var tableEnd = (ulong)reader.Position;
            var dataStart = (tableEnd + _alignment - 1) / _alignment * _alignment;
            var fileLength = (ulong)length;
            var placed = new List<(string Name, ulong Offset, ulong Size)>(tensors.Count);
            foreach (var t in tensors)
            {
                if (t.Offset % _alignment != 0)
                {
                    Problem($"tensor '{t.Name}' has the data offset {t.Offset}, which is not a multiple of the alignment {_alignment}");
                    continue;
                }

                // offset and size are each <= INT64_MAX and dataStart < 2^63, so the sums below cannot wrap.
                if (dataStart > fileLength || t.Offset > fileLength - dataStart || t.Size > fileLength - dataStart - t.Offset)
                {
                    Problem($"tensor '{t.Name}' ({t.Size} bytes at data offset {t.Offset}, data section at byte {dataStart}) runs past the end of the file ({length} bytes)");
                    continue;
                }

                placed.Add(t);
            }

            placed.Sort((x, y) => x.Offset != y.Offset ? x.Offset.CompareTo(y.Offset) : x.Size.CompareTo(y.Size));
            // Walk in offset order, remembering the tensor that reaches furthest: anything starting before its end overlaps it.
            var reach = 0;
            for (var i = 1; i < placed.Count; i++)
            {
                var far = placed[reach];
                var cur = placed[i];
                if (cur.Size > 0 && far.Size > 0 && cur.Offset < far.Offset + far.Size)
                {
                    Problem($"tensor '{cur.Name}' (data offset {cur.Offset}) overlaps tensor '{far.Name}' (bytes {far.Offset} to {far.Offset + far.Size})");
                }

                if (cur.Offset + cur.Size > far.Offset + far.Size)
                {
                    reach = i;
                }
            }
        }
    }
}
