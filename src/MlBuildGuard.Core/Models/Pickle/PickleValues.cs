namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>What a value on the emulated pickle stack is, as far as the scan needs to know. Containers keep a bounded prefix.</summary>
internal abstract record PValue;

internal sealed record PStr(string Text) : PValue;

internal sealed record PBytes(long Length) : PValue;

internal sealed record PInt(long? Value) : PValue;

internal sealed record PScalar(string Kind) : PValue;

/// <summary>The result of an import: the object <c>find_class</c> returns.</summary>
internal sealed record PGlobal(string Module, string Name) : PValue
{
    public string FullName => Module + "." + Name;
}

/// <summary>
/// <c>builtins.getattr</c>, imported: judged when it is called. Reading a named attribute of an imported or constructed
/// object is the same as importing that dotted name (protocol 4 pickles class methods this way); anything else is MLG301.
/// </summary>
internal sealed record PGetattr : PValue;

/// <summary>The result of calling something (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST); BUILD may give it state.</summary>
internal sealed record PCall(PValue Callee, PValue Arguments) : PValue
{
    public PValue? State { get; set; }
}

internal sealed record PSeq(string Kind) : PValue
{
    public const int KeepAtMost = 64;

    public List<PValue> Items { get; } = new();

    public long Count { get; private set; }

    public void Add(PValue value)
    {
        Count++;
        if (Items.Count < KeepAtMost)
        {
            Items.Add(value);
        }
    }
}

internal sealed record PDict : PValue
{
    public const int KeepAtMost = 256;

    public Dictionary<string, PValue> Entries { get; } = new(StringComparer.Ordinal);

    public void Set(PValue key, PValue value)
    {
        if (key is PStr s && Entries.Count < KeepAtMost)
        {
            Entries[s.Text] = value;
        }
    }
}

internal sealed record PPersistent(PValue Id) : PValue;

internal sealed record PUnknown : PValue
{
    public static PUnknown Instance { get; } = new();
}
