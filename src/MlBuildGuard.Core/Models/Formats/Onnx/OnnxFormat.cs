using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats.Protobuf;

namespace MlBuildGuard.Core.Models.Formats.Onnx;

/// <summary>
/// Validates an ONNX model (a protobuf <c>ModelProto</c>) without the protobuf library: a small wire-format reader walks
/// the graph, its subgraphs, functions and training graphs, checks the wire type of every known field, and checks every
/// tensor whose data lives in an external file (the path must stay a plain file inside the model's folder: CVE-2022-25882,
/// CVE-2024-27318, the 2026 symlink and hard-link bypasses). Operators from custom domains whose name says Python
/// (onnxruntime-extensions PyOp) are reported as imports. The file is streamed; weights embedded in it are skipped,
/// not read.
/// </summary>
public static class OnnxFormat
{
    /// <summary>Subgraphs (If/Loop/Scan bodies) may nest this deep.</summary>
    public const int MaxGraphDepth = 32;

    internal const string FormatName = "ONNX";
    internal const int MaxFindings = 20;
    internal const int MaxLocationLength = 4096;
    private const int MaxStringBytes = 64 * 1024;

    /// <summary>
    /// A conservative sniff: the head must parse as the first fields of a ModelProto, starting with ir_version, with
    /// every field number and wire type as ModelProto declares them, and a graph (7) or opset_import (8) field must start
    /// within the head.
    /// </summary>
    public static bool Looks(ReadOnlySpan<byte> head, long length)
    {
        var pos = 0;
        var fields = 0;
        while (pos < head.Length && fields < 32)
        {
            if (!TryVarint(head, ref pos, out var tag) || tag > uint.MaxValue)
            {
                return false;
            }

            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            var expected = field switch
            {
                1 or 5 => 0,
                2 or 3 or 4 or 6 or 7 or 8 or 14 or 20 or 25 => 2,
                _ => -1,
            };
            if (expected != wire || (fields == 0 && field != 1))
            {
                return false;
            }

            fields++;
            if (wire == 0)
            {
                if (!TryVarint(head, ref pos, out var value))
                {
                    return false;
                }

                if (field == 1 && value is 0 or > 100)
                {
                    return false; // ir_version: 1 … 11 today
                }

                continue;
            }

            if (!TryVarint(head, ref pos, out var len) || len > (ulong)Math.Max(0, length - pos))
            {
                return false;
            }

            var available = head.Length - pos;
            if (field is 7 or 8)
            {
                // The sub-message's first field must look like a GraphProto / OperatorSetIdProto field.
                var inner = head.Slice(pos, (int)Math.Min((ulong)available, len));
                return len == 0 || inner.IsEmpty || FirstFieldFits(inner, field == 7);
            }

            if (len > (ulong)available)
            {
                return false; // a string field running past the head: not what an ONNX writer produces first
            }

            if (field is 2 or 3 or 4 or 6 && !System.Text.Unicode.Utf8.IsValid(head.Slice(pos, (int)len)))
            {
                return false;
            }

            pos += (int)len;
        }

        return false;

        static bool FirstFieldFits(ReadOnlySpan<byte> inner, bool graph)
        {
            var p = 0;
            if (!TryVarint(inner, ref p, out var tag))
            {
                return true; // the tag itself is cut off by the head
            }

            var f = tag >> 3;
            var w = tag & 7;
            return graph
                ? w == 2 && f is 1 or 2 or 5 or 10 or 11 or 12 or 13 or 14 or 15 or 16
                : (f == 1 && w == 2) || (f == 2 && w == 0);
        }
    }

    /// <summary>
    /// Walks the model at <paramref name="filePath"/>: malformed protobuf is MLG303, an external-data path that leaves the
    /// model's folder (or is a link, or a hard link) is MLG304, bad external-data offsets are MLG305, Python operators in
    /// custom domains are MLG302, subgraphs nested over <see cref="MaxGraphDepth"/> are MLG307.
    /// </summary>
    public static void Validate(string filePath, string view, ModelScanContext context)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(context);
        FormatText.RecogniseOnce(context, view, "onnx");

        FileStream stream;
        try
        {
            stream = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, $"the ONNX file cannot be read ({e.Message})");
            return;
        }

        using (stream)
        {
            var length = stream.Length;
            if (length > int.MaxValue)
            {
                context.Report(RuleCatalog.ModelUnparsable, view, $"the ONNX protobuf is {length} bytes, over the 2 GiB limit of protobuf");
                return;
            }

            var folder = Path.GetDirectoryName(Path.GetFullPath(filePath)) ?? Path.GetFullPath(".");
            var walker = new Walker(new FormatReader(stream, length), folder, view, context);
            try
            {
                walker.Model(length);
            }
            catch (MalformedFormatException e)
            {
                context.Report(RuleCatalog.ModelUnparsable, view, $"the ONNX protobuf is malformed at byte {e.Offset} ({e.Message})");
            }
            catch (FormatLimitException e)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, view, e.Message, e.Limit);
            }
        }
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (pos >= data.Length)
            {
                return false;
            }

            var b = data[pos++];
            if (shift == 63 && b > 1)
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    // ---- the messages the walker reads ----------------------------------------------------------------------------

    private static readonly ProtoSchema ModelProto = ProtoSchema.Define("ModelProto",
        (1, "ir_version", ProtoKind.Varint), (2, "producer_name", ProtoKind.Len), (3, "producer_version", ProtoKind.Len), (4, "domain", ProtoKind.Len),
        (5, "model_version", ProtoKind.Varint), (6, "doc_string", ProtoKind.Len), (7, "graph", ProtoKind.Len), (8, "opset_import", ProtoKind.Len),
        (14, "metadata_props", ProtoKind.Len), (20, "training_info", ProtoKind.Len), (25, "functions", ProtoKind.Len), (26, "configuration", ProtoKind.Len));

    private static readonly ProtoSchema GraphProto = ProtoSchema.Define("GraphProto",
        (1, "node", ProtoKind.Len), (2, "name", ProtoKind.Len), (5, "initializer", ProtoKind.Len), (10, "doc_string", ProtoKind.Len), (11, "input", ProtoKind.Len),
        (12, "output", ProtoKind.Len), (13, "value_info", ProtoKind.Len), (14, "quantization_annotation", ProtoKind.Len), (15, "sparse_initializer", ProtoKind.Len),
        (16, "metadata_props", ProtoKind.Len));

    private static readonly ProtoSchema NodeProto = ProtoSchema.Define("NodeProto",
        (1, "input", ProtoKind.Len), (2, "output", ProtoKind.Len), (3, "name", ProtoKind.Len), (4, "op_type", ProtoKind.Len), (5, "attribute", ProtoKind.Len),
        (6, "doc_string", ProtoKind.Len), (7, "domain", ProtoKind.Len), (8, "overload", ProtoKind.Len), (9, "metadata_props", ProtoKind.Len),
        (10, "device_configurations", ProtoKind.Len));

    private static readonly ProtoSchema AttributeProto = ProtoSchema.Define("AttributeProto",
        (1, "name", ProtoKind.Len), (2, "f", ProtoKind.Fixed32), (3, "i", ProtoKind.Varint), (4, "s", ProtoKind.Len), (5, "t", ProtoKind.Len), (6, "g", ProtoKind.Len),
        (7, "floats", ProtoKind.RepeatedFixed32), (8, "ints", ProtoKind.RepeatedVarint), (9, "strings", ProtoKind.Len), (10, "tensors", ProtoKind.Len),
        (11, "graphs", ProtoKind.Len), (13, "doc_string", ProtoKind.Len), (14, "tp", ProtoKind.Len), (15, "type_protos", ProtoKind.Len), (20, "type", ProtoKind.Varint),
        (21, "ref_attr_name", ProtoKind.Len), (22, "sparse_tensor", ProtoKind.Len), (23, "sparse_tensors", ProtoKind.Len));

    private static readonly ProtoSchema TensorProto = ProtoSchema.Define("TensorProto",
        (1, "dims", ProtoKind.RepeatedVarint), (2, "data_type", ProtoKind.Varint), (3, "segment", ProtoKind.Len), (4, "float_data", ProtoKind.RepeatedFixed32),
        (5, "int32_data", ProtoKind.RepeatedVarint), (6, "string_data", ProtoKind.Len), (7, "int64_data", ProtoKind.RepeatedVarint), (8, "name", ProtoKind.Len),
        (9, "raw_data", ProtoKind.Len), (10, "double_data", ProtoKind.RepeatedFixed64), (11, "uint64_data", ProtoKind.RepeatedVarint), (12, "doc_string", ProtoKind.Len),
        (13, "external_data", ProtoKind.Len), (14, "data_location", ProtoKind.Varint), (16, "metadata_props", ProtoKind.Len));

    private static readonly ProtoSchema SparseTensorProto = ProtoSchema.Define("SparseTensorProto",
        (1, "values", ProtoKind.Len), (2, "indices", ProtoKind.Len), (3, "dims", ProtoKind.RepeatedVarint));

    private static readonly ProtoSchema StringStringEntryProto = ProtoSchema.Define("StringStringEntryProto",
        (1, "key", ProtoKind.Len), (2, "value", ProtoKind.Len));

    private static readonly ProtoSchema FunctionProto = ProtoSchema.Define("FunctionProto",
        (1, "name", ProtoKind.Len), (4, "input", ProtoKind.Len), (5, "output", ProtoKind.Len), (6, "attribute", ProtoKind.Len), (7, "node", ProtoKind.Len),
        (8, "doc_string", ProtoKind.Len), (9, "opset_import", ProtoKind.Len), (10, "domain", ProtoKind.Len), (11, "attribute_proto", ProtoKind.Len),
        (12, "value_info", ProtoKind.Len), (13, "overload", ProtoKind.Len), (14, "metadata_props", ProtoKind.Len));

    private static readonly ProtoSchema TrainingInfoProto = ProtoSchema.Define("TrainingInfoProto",
        (1, "initialization", ProtoKind.Len), (2, "algorithm", ProtoKind.Len), (3, "initialization_binding", ProtoKind.Len), (4, "update_binding", ProtoKind.Len));

    private sealed class Walker(FormatReader reader, string modelFolder, string view, ModelScanContext context)
    {
        private readonly ProtoReader _proto = new(reader, context.CancellationToken, MaxStringBytes);
        private readonly OnnxExternalData _external = new(modelFolder, view, context);
        private readonly HashSet<string> _reportedOps = new(StringComparer.Ordinal);

        public void Model(long end) => Message(ModelProto, end, (field, fieldEnd) =>
        {
            switch (field)
            {
                case 7:
                    Graph(fieldEnd, 0);
                    return true;
                case 20:
                    Message(TrainingInfoProto, fieldEnd, (f, e) =>
                    {
                        if (f is 1 or 2)
                        {
                            Graph(e, 1);
                            return true;
                        }

                        return false;
                    });
                    return true;
                case 25:
                    Message(FunctionProto, fieldEnd, (f, e) =>
                    {
                        if (f == 7)
                        {
                            Node(e, 1);
                            return true;
                        }

                        return false;
                    });
                    return true;
                default:
                    return false;
            }
        });

        private void Graph(long end, int depth)
        {
            if (depth > MaxGraphDepth)
            {
                throw new FormatLimitException("its ONNX subgraphs nest deeper than allowed", MaxGraphDepth);
            }

            Message(GraphProto, end, (field, fieldEnd) =>
            {
                switch (field)
                {
                    case 1:
                        Node(fieldEnd, depth);
                        return true;
                    case 5:
                        Tensor(fieldEnd);
                        return true;
                    case 15:
                        SparseTensor(fieldEnd);
                        return true;
                    default:
                        return false;
                }
            });
        }

        private void Node(long end, int depth)
        {
            ProtoString opType = default, domain = default;
            Message(NodeProto, end, (field, fieldEnd) =>
            {
                switch (field)
                {
                    case 4:
                        opType = ReadString(fieldEnd);
                        return true;
                    case 7:
                        domain = ReadString(fieldEnd);
                        return true;
                    case 5:
                        Attribute(fieldEnd, depth);
                        return true;
                    default:
                        return false;
                }
            });

            var op = opType.Text ?? string.Empty;
            var dom = domain.Text ?? string.Empty;
            if (dom.Length > 0 && dom != "ai.onnx"
                && (op.Contains("Py", StringComparison.Ordinal) || op.Contains("python", StringComparison.OrdinalIgnoreCase)))
            {
                // onnxruntime-extensions' PyOp and the like run a Python function registered by whoever loads the model.
                var name = $"onnx-op:{FormatText.Printable(dom)}.{FormatText.Printable(op)}";
                if (_reportedOps.Add(name) && !context.Options.AllowedGlobals.Contains(name, StringComparer.Ordinal))
                {
                    context.ReportNotAllowed(view, name);
                }
            }
        }

        private void Attribute(long end, int depth) => Message(AttributeProto, end, (field, fieldEnd) =>
        {
            switch (field)
            {
                case 5 or 10:
                    Tensor(fieldEnd); // a Constant's value may live in an external file too
                    return true;
                case 6 or 11:
                    Graph(fieldEnd, depth + 1);
                    return true;
                case 22 or 23:
                    SparseTensor(fieldEnd);
                    return true;
                default:
                    return false;
            }
        });

        private void SparseTensor(long end) => Message(SparseTensorProto, end, (field, fieldEnd) =>
        {
            if (field is 1 or 2)
            {
                Tensor(fieldEnd);
                return true;
            }

            return false;
        });

        private void Tensor(long end)
        {
            ProtoString name = default;
            ulong location = 0;
            var entries = new List<(ProtoString Key, ProtoString Value)>();
            Message(TensorProto, end, (field, fieldEnd) =>
            {
                switch (field)
                {
                    case 8:
                        name = ReadString(fieldEnd);
                        return true;
                    case 14:
                        location = ReadVarint(fieldEnd);
                        return true;
                    case 13:
                        ProtoString key = default, value = default;
                        Message(StringStringEntryProto, fieldEnd, (f, e) =>
                        {
                            switch (f)
                            {
                                case 1:
                                    key = ReadString(e);
                                    return true;
                                case 2:
                                    value = ReadString(e);
                                    return true;
                                default:
                                    return false;
                            }
                        });
                        entries.Add((key, value));
                        return true;
                    default:
                        return false;
                }
            });

            if (location == 1) // DataLocation.EXTERNAL
            {
                _external.Check(FormatText.Printable(name.Text ?? string.Empty), entries);
            }
        }

        private void Message(ProtoSchema schema, long end, Func<int, long, bool> visit) => _proto.Message(schema, end, visit);

        private ulong ReadVarint(long end) => _proto.ReadVarint(end);

        private ProtoString ReadString(long end) => _proto.ReadString(end);
    }
}
