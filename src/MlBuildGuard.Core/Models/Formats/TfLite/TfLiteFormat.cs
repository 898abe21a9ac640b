using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats.Keras;

namespace MlBuildGuard.Core.Models.Formats.TfLite;

/// <summary>
/// TensorFlow Lite models: a FlatBuffer with the file identifier <c>TFL3</c>. The interpreter runs only the operators
/// it has kernels for, so a model cannot carry code; it is validated structurally as the interpreter would read it
/// (schema version, every table and vector inside the file, tensor, buffer and operator indices in range, buffers kept
/// outside the FlatBuffer inside the file) and a malformed one is MLG303. One exception: a custom operator named
/// <c>Flex…</c> runs that TensorFlow kernel through the Flex delegate, so <c>FlexReadFile</c> and the like are MLG306.
/// </summary>
internal sealed class TfLiteFormat : IModelFormat
{
    private const int CustomOperator = 32;
    private const int MaxTables = 5_000_000;

    public string Name => "tflite";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => head.Length >= 8 && head.Slice(4, 4).SequenceEqual("TFL3"u8);

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        var flat = new FlatBufferReader(new FormatReader(scan.Stream, scan.Stream.Length), scan.Context.CancellationToken);
        try
        {
            Validate(flat, scan.View, scan.Context);
        }
        catch (MalformedFormatException e)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"the TensorFlow Lite model is malformed at byte {e.Offset} ({e.Message})");
        }
    }

    private static void Validate(FlatBufferReader flat, string view, ModelScanContext context)
    {
        // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4, metadata_buffer 5, metadata 6.
        var model = flat.Root();
        var version = flat.UInt32(model, 0);
        if (version is 0 or > 3)
        {
            throw new MalformedFormatException(model.Position, $"it declares schema version {version}; TensorFlow Lite reads versions 1 to 3");
        }

        var buffers = flat.Tables(model, 4).ToList();
        foreach (var buffer in buffers)
        {
            // Buffer: data 0 (a byte vector), or offset 1 / size 2 for data kept after the FlatBuffer (models over 2 GB).
            flat.Vector(buffer, 0, 1);
            var (offset, size) = (flat.UInt64(buffer, 1), flat.UInt64(buffer, 2));
            if (offset > 1 && (offset > (ulong)flat.Length || size > (ulong)flat.Length - offset))
            {
                throw new MalformedFormatException(buffer.Position, $"a buffer claims bytes {offset} to {offset + size}, past the end of the file ({flat.Length} bytes)");
            }
        }

        var codes = flat.Tables(model, 1).Select(code => Operator(flat, code)).ToList();
        foreach (var (builtin, custom) in codes)
        {
            if (builtin == CustomOperator && custom is not null && custom.StartsWith("Flex", StringComparison.Ordinal)
                && TensorFlowOps.Dangerous.TryGetValue(custom[4..], out var effect))
            {
                context.Report(RuleCatalog.KerasEmbeddedCode, view, $"the custom operator '{FormatText.Printable(custom)}' runs the TensorFlow op '{custom[4..]}' through the Flex delegate ({effect})");
            }
        }

        var tables = 0L;
        foreach (var subgraph in flat.Tables(model, 2))
        {
            // SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4.
            var tensors = flat.Tables(subgraph, 0).ToList();
            tables += tensors.Count;
            foreach (var tensor in tensors)
            {
                // Tensor: shape 0, type 1, buffer 2, name 3.
                flat.Vector(tensor, 0, 4);
                if (flat.UInt32(tensor, 2) is var index && index >= buffers.Count && buffers.Count > 0)
                {
                    throw new MalformedFormatException(tensor.Position, $"a tensor uses buffer {index}, but the model has {buffers.Count}");
                }
            }

            CheckIndices(flat, subgraph, 1, tensors.Count, "a subgraph input");
            CheckIndices(flat, subgraph, 2, tensors.Count, "a subgraph output");
            foreach (var op in flat.Tables(subgraph, 3))
            {
                // Operator: opcode_index 0, inputs 1, outputs 2.
                tables++;
                if (flat.UInt32(op, 0) is var opcode && opcode >= codes.Count)
                {
                    throw new MalformedFormatException(op.Position, $"an operator uses operator code {opcode}, but the model has {codes.Count}");
                }

                CheckIndices(flat, op, 1, tensors.Count, "an operator input");
                CheckIndices(flat, op, 2, tensors.Count, "an operator output");
            }

            if (tables > MaxTables)
            {
                throw new Containers.ScanLimitException("the TensorFlow Lite model holds more tensors and operators than can be checked", MaxTables);
            }
        }

        foreach (var metadata in flat.Tables(model, 6))
        {
            flat.String(metadata, 0);
            if (flat.UInt32(metadata, 1) is var index && index >= buffers.Count)
            {
                throw new MalformedFormatException(metadata.Position, $"metadata uses buffer {index}, but the model has {buffers.Count}");
            }
        }

        flat.String(model, 3);
    }

    /// <summary>OperatorCode: deprecated_builtin_code 0 (int8), custom_code 1, version 2, builtin_code 3 (int32).</summary>
    private static (int Builtin, string? Custom) Operator(FlatBufferReader flat, FlatTable code)
    {
        var builtin = Math.Max(flat.Int8(code, 0), flat.Int32(code, 3));
        return (builtin, flat.String(code, 1));
    }

    /// <summary>Tensor indices in an int vector must name a tensor of the subgraph (-1 means "none").</summary>
    private static void CheckIndices(FlatBufferReader flat, FlatTable table, int field, int tensors, string what)
    {
        if (flat.Vector(table, field, 4) is not { } v)
        {
            return;
        }

        for (long i = 0; i < v.Count; i++)
        {
            var index = flat.Int32At(v.Start + (i * 4));
            if (index < -1 || index >= tensors)
            {
                throw new MalformedFormatException(v.Start + (i * 4), $"{what} is tensor {index}, but the subgraph has {tensors}");
            }
        }
    }
}
