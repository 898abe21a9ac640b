using System.Buffers.Binary;
using System.Text;

namespace MlBuildGuard.Core.Tests.Models.Pickle;

/// <summary>Writes pickle opcodes by hand, so each test states exactly the bytes a loader would see.</summary>
internal sealed class PickleBytes
{
    private readonly List<byte> _bytes = new();

    public byte[] ToArray() => _bytes.ToArray();

    public PickleBytes Op(byte op) { _bytes.Add(op); return this; }

    public PickleBytes Raw(params byte[] bytes) { _bytes.AddRange(bytes); return this; }

    public PickleBytes Proto(byte version) => Op(0x80).Raw(version);

    public PickleBytes Global(string module, string name) => Op((byte)'c').Text(module + "\n" + name + "\n");

    public PickleBytes Inst(string module, string name) => Op((byte)'i').Text(module + "\n" + name + "\n");

    public PickleBytes Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return Op(0x8c).Raw((byte)b.Length).Raw(b);
    }

    public PickleBytes BinUnicode(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)b.Length);
        return Op((byte)'X').Raw(len).Raw(b);
    }

    public PickleBytes ProtoZeroString(string s) => Op((byte)'S').Text("'" + s + "'\n");

    public PickleBytes Int(byte v) => Op((byte)'K').Raw(v);

    public PickleBytes Text(string s) { _bytes.AddRange(Encoding.ASCII.GetBytes(s)); return this; }

    public PickleBytes Frame(long length)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, length);
        return Op(0x95).Raw(b);
    }

    public PickleBytes BinBytes8(long declaredLength, int actual)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, declaredLength);
        return Op(0x8e).Raw(b).Raw(new byte[actual]);
    }

    public PickleBytes Mark() => Op((byte)'(');
    public PickleBytes Tuple() => Op((byte)'t');
    public PickleBytes Tuple1() => Op(0x85);
    public PickleBytes Tuple2() => Op(0x86);
    public PickleBytes EmptyTuple() => Op((byte)')');
    public PickleBytes EmptyDict() => Op((byte)'}');
    public PickleBytes EmptyList() => Op((byte)']');
    public PickleBytes Reduce() => Op((byte)'R');
    public PickleBytes Build() => Op((byte)'b');
    public PickleBytes NewObj() => Op(0x81);
    public PickleBytes SetItem() => Op((byte)'s');
    public PickleBytes SetItems() => Op((byte)'u');
    public PickleBytes Append() => Op((byte)'a');
    public PickleBytes Pop() => Op((byte)'0');
    public PickleBytes StackGlobal() => Op(0x93);
    public PickleBytes Memoize() => Op(0x94);
    public PickleBytes BinPut(byte i) => Op((byte)'q').Raw(i);
    public PickleBytes BinGet(byte i) => Op((byte)'h').Raw(i);
    public PickleBytes None() => Op((byte)'N');
    public PickleBytes Stop() => Op((byte)'.');

    /// <summary>os.system('echo pwned') the classic way, as a complete protocol-2 pickle.</summary>
    public static byte[] OsSystem() => new PickleBytes().Proto(2).Global("os", "system").BinUnicode("echo pwned").Tuple1().Reduce().Stop().ToArray();

    /// <summary>A harmless protocol-2 dict {"a": 1}.</summary>
    public static byte[] Dict() => new PickleBytes().Proto(2).EmptyDict().BinUnicode("a").Int(1).SetItem().Stop().ToArray();
}
