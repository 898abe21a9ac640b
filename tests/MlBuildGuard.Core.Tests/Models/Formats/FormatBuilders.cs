using System.Buffers.Binary;
using System.Text;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Onnx;

namespace MlBuildGuard.Core.Tests.Models.Formats;

/// <summary>Builds safetensors files in memory and validates them.</summary>
internal static class SafetensorsFiles
{
    /// <summary>8-byte length, the header text as given, then <paramref name="dataBytes"/> bytes of data.</summary>
    public static byte[] Build(string header, long dataBytes) => Build(Encoding.UTF8.GetBytes(header), dataBytes);

    public static byte[] Build(byte[] header, long dataBytes)
    {
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        for (var i = 0; i < dataBytes; i++)
        {
            file[8 + header.Length + i] = (byte)(i * 7);
        }

        return file;
    }

    public static ModelScanContext Validate(byte[] file, ScanOptions? options = null)
    {
        var context = new ModelScanContext("model.safetensors", options ?? new ScanOptions());
        using var stream = new MemoryStream(file, writable: false);
        SafetensorsFormat.Validate(stream, file.Length, "model.safetensors", context);
        return context;
    }

    /// <summary>A well-formed file: two F32 tensors and metadata, header padded with spaces to 8 bytes.</summary>
    public static byte[] Sample()
    {
        var header = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I8","shape":[4],"data_offsets":[24,28]}}""";
        header = header.PadRight((header.Length + 7) / 8 * 8);
        return Build(header, 28);
    }
}

/// <summary>Writes GGUF bytes field by field.</summary>
internal sealed class GgufWriter
{
    private readonly MemoryStream _stream = new();

    public long Length => _stream.Length;

    public static GgufWriter Start(ulong tensors, ulong pairs, uint version = 3) =>
        new GgufWriter().Raw("GGUF"u8.ToArray()).U32(version).U64(tensors).U64(pairs);

    public GgufWriter Raw(byte[] bytes)
    {
        _stream.Write(bytes);
        return this;
    }

    public GgufWriter U8(byte v) => Raw([v]);

    public GgufWriter U16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return Raw(b);
    }

    public GgufWriter U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Raw(b);
    }

    public GgufWriter U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Raw(b);
    }

    public GgufWriter Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return U64((ulong)bytes.Length).Raw(bytes);
    }

    public GgufWriter Key(string key, uint type) => Str(key).U32(type);

    public GgufWriter KvString(string key, string value) => Key(key, 8).Str(value);

    public GgufWriter KvU32(string key, uint value) => Key(key, 4).U32(value);

    public GgufWriter Tensor(string name, ulong[] dims, uint type, ulong offset)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims)
        {
            U64(d);
        }

        return U32(type).U64(offset);
    }

    public GgufWriter Pad(int alignment)
    {
        while (_stream.Length % alignment != 0)
        {
            _stream.WriteByte(0);
        }

        return this;
    }

    public GgufWriter Zeros(long count)
    {
        _stream.Write(new byte[count]);
        return this;
    }

    public byte[] ToArray() => _stream.ToArray();

    public static ModelScanContext Validate(byte[] file, ScanOptions? options = null)
    {
        var context = new ModelScanContext("model.gguf", options ?? new ScanOptions());
        using var stream = new MemoryStream(file, writable: false);
        GgufFormat.Validate(stream, file.Length, "model.gguf", context);
        return context;
    }

    /// <summary>A well-formed v3 file: metadata of several types, an F32 and a Q8_0 tensor, aligned data.</summary>
    public static byte[] Sample(string template = "{% for m in messages %}{{ m['content'] }}{% endfor %}") =>
        Start(2, 4)
            .KvString("general.architecture", "llama")
            .KvU32("general.alignment", 32)
            .KvString("tokenizer.chat_template", template)
            .Key("tokenizer.ggml.tokens", 9).U32(8).U64(3).Str("<s>").Str("</s>").Str("hello")
            .Tensor("a", [8], 0, 0)        // 32 bytes
            .Tensor("b", [32, 2], 8, 32)   // Q8_0: 2 rows of one 34-byte block = 68 bytes
            .Pad(32)
            .Zeros(32 + 68)
            .ToArray();
}

/// <summary>Writes protobuf wire format.</summary>
internal sealed class Proto
{
    private readonly List<byte> _bytes = new();

    public int Length => _bytes.Count;

    public Proto Tag(int field, int wire) => Varint((ulong)((field << 3) | wire));

    public Proto Varint(ulong value)
    {
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            _bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);

        return this;
    }

    public Proto Varint(int field, ulong value) => Tag(field, 0).Varint(value);

    public Proto Bytes(int field, byte[] payload)
    {
        Tag(field, 2).Varint((ulong)payload.Length);
        _bytes.AddRange(payload);
        return this;
    }

    public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());

    public Proto Fixed32(int field, uint value)
    {
        Tag(field, 5);
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _bytes.AddRange(b);
        return this;
    }

    public Proto Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();
}

/// <summary>ONNX messages for tests.</summary>
internal static class Onnx
{
    public static Proto Model(Proto graph) =>
        new Proto().Varint(1, 9).String(2, "mlguard-tests").String(3, "1.0").Message(7, graph)
            .Message(8, new Proto().String(1, string.Empty).Varint(2, 17));

    public static Proto Graph(params Proto[] initializers)
    {
        var graph = new Proto().Message(1, Node("Relu", string.Empty)).String(2, "main");
        foreach (var t in initializers)
        {
            graph.Message(5, t);
        }

        return graph;
    }

    public static Proto Node(string opType, string domain, params Proto[] attributes)
    {
        var node = new Proto().String(1, "x").String(2, "y").String(3, "n_" + opType).String(4, opType);
        foreach (var a in attributes)
        {
            node.Message(5, a);
        }

        if (domain.Length > 0)
        {
            node.String(7, domain);
        }

        return node;
    }

    /// <summary>An EXTERNAL tensor with the given external_data entries.</summary>
    public static Proto External(string name, params (string Key, string Value)[] entries)
    {
        var t = new Proto().Varint(1, 4).Varint(1, 4).Varint(2, 1).String(8, name);
        foreach (var (k, v) in entries)
        {
            t.Message(13, new Proto().String(1, k).String(2, v));
        }

        return t.Varint(14, 1);
    }

    public static Proto GraphAttribute(string name, Proto graph) => new Proto().String(1, name).Varint(20, 5).Message(6, graph);

    public static ModelScanContext Validate(string path, ScanOptions? options = null)
    {
        var context = new ModelScanContext(path, options ?? new ScanOptions());
        OnnxFormat.Validate(path, Path.GetFileName(path), context);
        return context;
    }

    public static ModelScanContext Validate(string folder, Proto model, string name = "model.onnx", ScanOptions? options = null)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, model.ToArray());
        return Validate(path, options);
    }
}
