using System.Text;
using System.Text.Json;

namespace MlBuildGuard.Testing;

/// <summary>
/// Structure-aware mutations of a JSON sample, for what byte flips rarely reach: a value of the wrong type, numbers no
/// integer or double holds, nesting deeper than any reader allows, repeated keys, unknown or missing members, strings
/// with invalid UTF-8, lone surrogates or control characters, a byte-order mark, truncation at a token boundary.
/// The sample is parsed into a small tree whose leaves keep their raw bytes, so mutated documents can hold what no
/// JSON writer would produce.
/// </summary>
internal static class JsonMutator
{
    private static readonly string[] HugeNumbers =
    [
        "1e400", "-1e400", "1e-400", "18446744073709551616", "-9223372036854775809", "9223372036854775808", "2147483648",
        "-2147483649", "4294967296", "99999999999999999999999999999999999999999999", "1.7976931348623157e309", "-0", "0.0",
        "1E+2", "123456789012345678901234567890.5e-3", "0.1", "-1", "1e2147483648", "5e-324",
    ];

    private static readonly string[] OtherTypes = ["\"x\"", "0", "-1", "true", "false", "null", "[]", "{}", "[1,\"a\",null]", "{\"a\":{\"b\":[]}}", "\"\""];

    /// <summary>String contents (between the quotes), some of them not valid UTF-8 or not valid in a Unicode string.</summary>
    private static readonly byte[][] StringContents =
    [
        [], "\\u0000"u8.ToArray(), "\\ud800"u8.ToArray(), "\\udc00\\ud800"u8.ToArray(), [0xC3, 0x28], [0xFF], [0xFE, 0xFF],
        [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], "../../etc/passwd"u8.ToArray(), "C:\\\\x"u8.ToArray(),
        "a\\nb\\r\\n"u8.ToArray(), "%00"u8.ToArray(), "\u202Eevil"u8.ToArray(), "*"u8.ToArray(), "/abs/path"u8.ToArray(),
        "sha256:"u8.ToArray(), "0000000000000000000000000000000000000000000000000000000000000000"u8.ToArray(),
        "..\\\\x"u8.ToArray(), " "u8.ToArray(), "[1.0,)"u8.ToArray(), "1.0.0-\u00e9"u8.ToArray(),
    ];

    public static byte[] Mutate(Random random, byte[] sample)
    {
        Node root;
        try
        {
            using var document = JsonDocument.Parse(sample.AsMemory(sample.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0), new JsonDocumentOptions { MaxDepth = 256 });
            root = From(document.RootElement);
        }
        catch (JsonException)
        {
            return InputMutator.Mutate(random, sample); // an already broken sample: bytes only
        }

        var mutations = 1 + random.Next(3);
        for (var m = 0; m < mutations; m++)
        {
            root = MutateTree(random, root);
        }

        var bytes = Write(root, indented: random.Next(2) == 0);
        return random.Next(6) switch
        {
            0 => [.. "\uFEFF"u8, .. bytes],
            1 => random.Next(3) switch { 0 => [0xFF, 0xFE, .. bytes], 1 => [.. "\uFEFF\uFEFF"u8, .. bytes], _ => [.. bytes, .. " {}"u8] },
            2 => bytes[..random.Next(bytes.Length + 1)],
            _ => bytes,
        };
    }

    private static Node MutateTree(Random random, Node root)
    {
        var all = new List<(Node Node, Container? Parent, int Index)>();
        Collect(root, all);
        var (target, parent, index) = all[random.Next(all.Count)];
        Node Replace(Node replacement)
        {
            if (parent is null)
            {
                return replacement;
            }

            parent.Set(index, replacement);
            return root;
        }

        switch (random.Next(10))
        {
            case 0:
                return Replace(Raw.Of(OtherTypes[random.Next(OtherTypes.Length)]));
            case 1:
                return Replace(Raw.Of(HugeNumbers[random.Next(HugeNumbers.Length)]));
            case 2:
                var depth = new[] { 33, 65, 200, 1000, 5000 }[random.Next(5)];
                Node nested = target;
                for (var d = 0; d < depth; d++)
                {
                    nested = random.Next(2) == 0 ? new Arr([nested]) : new Obj([(Quoted("a"u8), nested)]);
                }

                return Replace(nested);
            case 3 when target is Obj obj && obj.Members.Count > 0:
                var member = obj.Members[random.Next(obj.Members.Count)];
                obj.Members.Insert(random.Next(obj.Members.Count + 1), (member.Key, random.Next(2) == 0 ? member.Value : Raw.Of(OtherTypes[random.Next(OtherTypes.Length)])));
                return root;
            case 4 when target is Obj obj && obj.Members.Count > 0:
                obj.Members.RemoveAt(random.Next(obj.Members.Count));
                return root;
            case 4 when target is Arr arr && arr.Items.Count > 0:
                arr.Items.RemoveAt(random.Next(arr.Items.Count));
                return root;
            case 5 when target is Obj obj:
                obj.Members.Insert(random.Next(obj.Members.Count + 1), (Quoted(StringContents[random.Next(StringContents.Length)]), Raw.Of(OtherTypes[random.Next(OtherTypes.Length)])));
                return root;
            case 6 when target is Obj obj && obj.Members.Count > 0:
                var at = random.Next(obj.Members.Count);
                obj.Members[at] = (Quoted(StringContents[random.Next(StringContents.Length)]), obj.Members[at].Value);
                return root;
            case 7 when target is Arr arr && arr.Items.Count > 0:
                var copies = new[] { 2, 10, 200 }[random.Next(3)];
                var item = arr.Items[random.Next(arr.Items.Count)];
                arr.Items.AddRange(Enumerable.Repeat(item, copies));
                return root;
            case 8:
                // Another part of the same document in this place (a subtree of the wrong shape, but of real content).
                return Replace(Clone(all[random.Next(all.Count)].Node));
            default:
                var content = StringContents[random.Next(StringContents.Length)];
                if (random.Next(4) == 0)
                {
                    content = Encoding.UTF8.GetBytes(new string('a', new[] { 1000, 70_000 }[random.Next(2)]));
                }

                return Replace(new Raw(Quoted(content)));
        }
    }

    private static byte[] Quoted(ReadOnlySpan<byte> content) => [(byte)'"', .. content, (byte)'"'];

    /// <summary>Every node with its parent and index, breadth first, at most 10,000 of them.</summary>
    private static void Collect(Node root, List<(Node, Container?, int)> all)
    {
        var queue = new Queue<(Node, Container?, int)>();
        queue.Enqueue((root, null, 0));
        while (queue.Count > 0 && all.Count < 10_000)
        {
            var (node, parent, index) = queue.Dequeue();
            all.Add((node, parent, index));
            switch (node)
            {
                case Obj obj:
                    for (var i = 0; i < obj.Members.Count; i++)
                    {
                        queue.Enqueue((obj.Members[i].Value, obj, i));
                    }

                    break;
                case Arr arr:
                    for (var i = 0; i < arr.Items.Count; i++)
                    {
                        queue.Enqueue((arr.Items[i], arr, i));
                    }

                    break;
            }
        }
    }

    private static Node From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new Obj(element.EnumerateObject().Select(p => (JsonSerializer.SerializeToUtf8Bytes(p.Name), From(p.Value))).ToList()),
        JsonValueKind.Array => new Arr(element.EnumerateArray().Select(From).ToList()),
        _ => new Raw(Encoding.UTF8.GetBytes(element.GetRawText())),
    };

    /// <summary>A copy of a subtree (shallow below 64 levels), so moving it elsewhere never makes the tree a cycle.</summary>
    private static Node Clone(Node node, int depth = 0) => node switch
    {
        _ when depth > 64 => Raw.Of("null"),
        Obj obj => new Obj(obj.Members.Select(m => (m.Key, Clone(m.Value, depth + 1))).ToList()),
        Arr arr => new Arr(arr.Items.Select(i => Clone(i, depth + 1)).ToList()),
        _ => node,
    };

    /// <summary>Writes the tree without recursion: deeply nested mutations must not overflow the test's own stack.</summary>
    private static byte[] Write(Node root, bool indented)
    {
        var output = new List<byte>(1024);
        var work = new Stack<object>();
        work.Push(root);
        while (work.Count > 0)
        {
            var parts = new List<object>();
            switch (work.Pop())
            {
                case byte[] literal:
                    output.AddRange(literal);
                    continue;
                case Raw raw:
                    output.AddRange(raw.Token);
                    continue;
                case Obj obj:
                    parts.Add("{"u8.ToArray());
                    for (var i = 0; i < obj.Members.Count; i++)
                    {
                        parts.Add(indented ? "\n  "u8.ToArray() : Array.Empty<byte>());
                        parts.Add(obj.Members[i].Key);
                        parts.Add(": "u8.ToArray());
                        parts.Add(obj.Members[i].Value);
                        if (i < obj.Members.Count - 1)
                        {
                            parts.Add(","u8.ToArray());
                        }
                    }

                    parts.Add(indented && obj.Members.Count > 0 ? "\n}"u8.ToArray() : "}"u8.ToArray());
                    break;
                case Arr arr:
                    parts.Add("["u8.ToArray());
                    for (var i = 0; i < arr.Items.Count; i++)
                    {
                        parts.Add(arr.Items[i]);
                        if (i < arr.Items.Count - 1)
                        {
                            parts.Add(indented ? ",\n"u8.ToArray() : ","u8.ToArray());
                        }
                    }

                    parts.Add("]"u8.ToArray());
                    break;
            }

            for (var i = parts.Count - 1; i >= 0; i--)
            {
                work.Push(parts[i]);
            }
        }

        return output.ToArray();
    }

    private abstract class Node;

    private abstract class Container : Node
    {
        public abstract void Set(int index, Node value);
    }

    private sealed class Raw(byte[] token) : Node
    {
        public byte[] Token { get; } = token;

        public static Raw Of(string text) => new(Encoding.UTF8.GetBytes(text));
    }

    private sealed class Obj(List<(byte[] Key, Node Value)> members) : Container
    {
        public List<(byte[] Key, Node Value)> Members { get; } = members;

        public override void Set(int index, Node value) => Members[index] = (Members[index].Key, value);
    }

    private sealed class Arr(List<Node> items) : Container
    {
        public List<Node> Items { get; } = items;

        public override void Set(int index, Node value) => Items[index] = value;
    }
}
