using System.Globalization;
using MlBuildGuard.Core.Models.Formats.Protobuf;

namespace MlBuildGuard.Core.Models.Formats.Keras;

/// <summary>
/// Scans a TensorFlow <c>saved_model.pb</c> (a SavedModel protobuf message) for ops that run Python or touch files, and
/// the Keras configurations TensorFlow 2.0–2.4 kept in its object graph; and a SavedModel's <c>keras_metadata.pb</c>.
/// Both are read with the scanner's one protobuf reader.
/// <para>
/// <b>Limitations of the SavedModel scan.</b> The op list is a blocklist of ops that call back into Python
/// (<c>PyFunc</c>, <c>PyFuncStateless</c>, <c>EagerPyFunc</c>) or touch files (<c>ReadFile</c>, <c>WriteFile</c>,
/// <c>MatchingFiles</c>, <c>Save</c>, <c>SaveV2</c>, <c>SaveSlices</c>, <c>MergeV2Checkpoints</c>). Every SavedModel has a
/// saver that uses the checkpoint-writing ops, so those are not reported inside the saver: graph nodes in the name scope
/// of the <c>saver_def</c> tensors or in a TensorFlow 1 default saver scope (<c>save/</c>, <c>save_1/</c>, …), library
/// functions reachable from the saver's save and restore nodes, and library functions named <c>…_traced_save…</c>. A
/// checkpoint write hidden in those places is therefore not reported (file reads and Python calls there still are). Restore ops are never reported. Function references are followed through
/// <c>func</c> attributes and lists of them, not through function attributes nested in other function attributes.
/// </para>
/// </summary>
internal sealed class SavedModelScanner(KerasConfigSession session, ProtoReader proto, long maxJsonBytes)
{
    private static readonly ProtoSchema SavedModel = ProtoSchema.Define("SavedModel", (2, "meta_graphs", ProtoKind.Len));

    private static readonly ProtoSchema MetaGraphDef = ProtoSchema.Define("MetaGraphDef",
        (2, "graph_def", ProtoKind.Len), (3, "saver_def", ProtoKind.Len), (7, "object_graph_def", ProtoKind.Len));

    private static readonly ProtoSchema SaverDef = ProtoSchema.Define("SaverDef",
        (1, "filename_tensor_name", ProtoKind.Len), (2, "save_tensor_name", ProtoKind.Len), (3, "restore_op_name", ProtoKind.Len));

    private static readonly ProtoSchema GraphDef = ProtoSchema.Define("GraphDef", (1, "node", ProtoKind.Len), (2, "library", ProtoKind.Len));

    private static readonly ProtoSchema FunctionDefLibrary = ProtoSchema.Define("FunctionDefLibrary", (1, "function", ProtoKind.Len));

    private static readonly ProtoSchema FunctionDef = ProtoSchema.Define("FunctionDef", (1, "signature", ProtoKind.Len), (3, "node_def", ProtoKind.Len));

    private static readonly ProtoSchema OpDef = ProtoSchema.Define("OpDef", (1, "name", ProtoKind.Len));

    private static readonly ProtoSchema NodeDef = ProtoSchema.Define("NodeDef", (1, "name", ProtoKind.Len), (2, "op", ProtoKind.Len), (5, "attr", ProtoKind.Len));

    private static readonly ProtoSchema AttrEntry = ProtoSchema.Define("NodeDef.AttrEntry", (1, "key", ProtoKind.Len), (2, "value", ProtoKind.Len));

    private static readonly ProtoSchema AttrValue = ProtoSchema.Define("AttrValue", (1, "list", ProtoKind.Len), (10, "func", ProtoKind.Len));

    private static readonly ProtoSchema ListValue = ProtoSchema.Define("AttrValue.ListValue", (9, "func", ProtoKind.Len));

    private static readonly ProtoSchema NameAttrList = ProtoSchema.Define("NameAttrList", (1, "name", ProtoKind.Len));

    private static readonly ProtoSchema SavedObjectGraph = ProtoSchema.Define("SavedObjectGraph", (1, "nodes", ProtoKind.Len));

    private static readonly ProtoSchema SavedObject = ProtoSchema.Define("SavedObject", (4, "user_object", ProtoKind.Len));

    /// <summary>A message whose every length-delimited field may hold a Keras JSON configuration.</summary>
    private static readonly ProtoSchema AnyStrings = ProtoSchema.EveryLengthField("message with Keras metadata");

    private static readonly ProtoSchema SavedMetadata = ProtoSchema.Define("SavedMetadata", (1, "nodes", ProtoKind.Len));

    private static readonly HashSet<string> SaverOps = new(StringComparer.Ordinal) { "Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints" };

    /// <summary>Per op, in order of appearance: where it was first seen and how often.</summary>
    private readonly Dictionary<string, (string First, int Count)> _found = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    private sealed record Node(string Name, string Op, string? Function, List<string> Calls);

    /// <summary>Reads a whole <c>saved_model.pb</c>; ops found before a malformed part are still reported.</summary>
    public void ScanSavedModel()
    {
        try
        {
            proto.Message(SavedModel, proto.Length, (field, end) =>
            {
                ScanMetaGraph(end);
                return true;
            });
        }
        finally
        {
            ReportOps();
        }
    }

    /// <summary>Reads a whole <c>keras_metadata.pb</c> (SavedMetadata): each node's JSON configurations.</summary>
    public void ScanKerasMetadata() => proto.Message(SavedMetadata, proto.Length, (_, end) =>
    {
        ScanJsonStrings(end);
        return true;
    });

    private void ScanMetaGraph(long end)
    {
        // Pass 1: the saver (it may come after the graph), and Keras metadata in the object graph.
        var start = proto.Position;
        var saverNames = new List<string>();
        proto.Message(MetaGraphDef, end, (field, fieldEnd) =>
        {
            switch (field)
            {
                case 3:
                    proto.Message(SaverDef, fieldEnd, (_, e) =>
                    {
                        saverNames.Add(proto.ReadString(e).Text);
                        return true;
                    });
                    return true;
                case 7:
                    ScanObjectGraph(fieldEnd);
                    return true;
                default:
                    return false;
            }
        });

        // Pass 2: every graph (repeated occurrences of graph_def merge, so each is read).
        var nodes = new List<Node>();
        try
        {
            proto.Seek(start);
            proto.Message(MetaGraphDef, end, (field, fieldEnd) =>
            {
                if (field != 2)
                {
                    return false;
                }

                ReadGraphDef(fieldEnd, nodes);
                return true;
            });
        }
        finally
        {
            Evaluate(nodes, saverNames);
        }
    }

    private void Evaluate(List<Node> nodes, List<string> saverNames)
    {
        var scopes = new List<string>();
        var roots = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in saverNames)
        {
            var name = tensor.TrimStart('^');
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                name = name[..colon];
            }

            roots.Add(name);
            var slash = name.LastIndexOf('/');
            if (slash > 0)
            {
                scopes.Add(name[..(slash + 1)]);
            }
        }

        bool InSaverScope(Node node) =>
            node.Function is null &&
            (roots.Contains(node.Name) || scopes.Exists(s => node.Name.StartsWith(s, StringComparison.Ordinal)) || InDefaultSaverScope(node.Name));

        // Functions reachable from the saver's nodes.
        var calls = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var node in nodes)
        {
            if (node.Function is not null)
            {
                if (!calls.TryGetValue(node.Function, out var list))
                {
                    calls[node.Function] = list = new List<string>();
                }

                list.AddRange(node.Calls);
            }
            else if (InSaverScope(node))
            {
                foreach (var f in node.Calls)
                {
                    if (reachable.Add(f))
                    {
                        queue.Enqueue(f);
                    }
                }
            }
        }

        while (queue.Count > 0)
        {
            if (calls.TryGetValue(queue.Dequeue(), out var callees))
            {
                foreach (var f in callees)
                {
                    if (reachable.Add(f))
                    {
                        queue.Enqueue(f);
                    }
                }
            }
        }

        foreach (var node in nodes)
        {
            if (!TensorFlowOps.Dangerous.TryGetValue(node.Op, out var purpose))
            {
                continue;
            }

            if (SaverOps.Contains(node.Op) &&
                (InSaverScope(node) ||
                 (node.Function is not null && (reachable.Contains(node.Function) || node.Function.Contains("_traced_save", StringComparison.Ordinal)))))
            {
                continue;
            }

            var where = node.Function is null
                ? $"node '{FormatText.Printable(node.Name)}'"
                : $"node '{FormatText.Printable(node.Name)}' in function '{FormatText.Printable(node.Function)}'";
            if (_found.TryGetValue(node.Op, out var seen))
            {
                _found[node.Op] = (seen.First, seen.Count + 1);
            }
            else
            {
                _found[node.Op] = ($"{where} uses the TensorFlow op '{node.Op}' ({purpose}", 1);
                _order.Add(node.Op);
            }
        }
    }

    /// <summary>TensorFlow 1 savers name their scope "save", "save_1", "save_2", … (a graph may hold several).</summary>
    private static bool InDefaultSaverScope(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var scope = name.AsSpan(0, slash);
        if (!scope.StartsWith("save", StringComparison.Ordinal))
        {
            return false;
        }

        var suffix = scope[4..];
        return suffix.IsEmpty || (suffix.Length > 1 && suffix[0] == '_' && int.TryParse(suffix[1..], NumberStyles.None, CultureInfo.InvariantCulture, out _));
    }

    public void ReportOps()
    {
        foreach (var op in _order)
        {
            var (first, count) = _found[op];
            session.Report306(count == 1 ? first + ")" : $"{first}; {count} nodes in all)");
        }
    }


    private void ReadGraphDef(long end, List<Node> nodes) => proto.Message(GraphDef, end, (field, fieldEnd) =>
    {
        if (field == 1)
        {
            nodes.Add(ReadNodeDef(fieldEnd, null));
        }
        else
        {
            proto.Message(FunctionDefLibrary, fieldEnd, (_, e) =>
            {
                ReadFunctionDef(e, nodes);
                return true;
            });
        }

        CheckCount(nodes);
        return true;
    });

    private void ReadFunctionDef(long end, List<Node> nodes)
    {
        // The name is in the signature (field 1), which may come after the nodes.
        var start = proto.Position;
        var name = "";
        proto.Message(FunctionDef, end, (field, fieldEnd) =>
        {
            if (field != 1)
            {
                return false;
            }

            proto.Message(OpDef, fieldEnd, (_, e) =>
            {
                name = proto.ReadString(e).Text;
                return true;
            });
            return true;
        });

        proto.Seek(start);
        proto.Message(FunctionDef, end, (field, fieldEnd) =>
        {
            if (field != 3)
            {
                return false;
            }

            nodes.Add(ReadNodeDef(fieldEnd, name));
            CheckCount(nodes);
            return true;
        });
    }

    private static void CheckCount(List<Node> nodes)
    {
        // A node takes at least 2 bytes, so the count is bounded by the input; this only keeps memory in check.
        if (nodes.Count > 50_000_000)
        {
            throw new FormatLimitException("it holds more graph nodes than can be checked", 50_000_000);
        }
    }

    private Node ReadNodeDef(long end, string? function)
    {
        var name = "";
        var op = "";
        var calls = new List<string>();
        proto.Message(NodeDef, end, (field, fieldEnd) =>
        {
            switch (field)
            {
                case 1:
                    name = proto.ReadString(fieldEnd).Text;
                    break;
                case 2:
                    op = proto.ReadString(fieldEnd).Text;
                    break;
                default:
                    ReadAttrEntry(fieldEnd, calls);
                    break;
            }

            return true;
        });

        return new Node(name, op, function, calls);
    }

    /// <summary>A map entry (key = 1, value = 2 AttrValue): collects called function names.</summary>
    private void ReadAttrEntry(long end, List<string> calls) => proto.Message(AttrEntry, end, (field, fieldEnd) =>
    {
        if (field != 2)
        {
            return false;
        }

        proto.Message(AttrValue, fieldEnd, (f, e) =>
        {
            if (f == 10)
            {
                AddFunctionName(e, calls); // func: NameAttrList
            }
            else
            {
                proto.Message(ListValue, e, (_, le) =>
                {
                    AddFunctionName(le, calls); // list: ListValue, func = 9
                    return true;
                });
            }

            return true;
        });
        return true;
    });

    private void AddFunctionName(long end, List<string> calls) => proto.Message(NameAttrList, end, (_, e) =>
    {
        calls.Add(proto.ReadString(e).Text);
        return true;
    });

    /// <summary>SavedObjectGraph.nodes → SavedObject.user_object (4) → SavedUserObject.metadata (3): Keras JSON.</summary>
    private void ScanObjectGraph(long end) => proto.Message(SavedObjectGraph, end, (_, nodeEnd) =>
    {
        proto.Message(SavedObject, nodeEnd, (_, e) =>
        {
            ScanJsonStrings(e);
            return true;
        });
        return true;
    });

    /// <summary>Every length-delimited field of a message that holds a JSON object is scanned as a configuration.</summary>
    private void ScanJsonStrings(long end) => proto.Message(AnyStrings, end, (_, e) =>
    {
        var value = proto.ReadBytes(e, maxJsonBytes);
        if (StartsLikeJsonObject(value))
        {
            session.ScanJson(value, KerasJsonSource.Embedded);
        }

        return true;
    });

    private static bool StartsLikeJsonObject(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'{';
        }

        return false;
    }
}
