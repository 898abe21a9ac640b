namespace MlBuildGuard.Core.Models.Formats.Protobuf;

/// <summary>How a known field must be encoded on the wire; repeated numbers may be packed (length-delimited) or not.</summary>
internal enum ProtoKind
{
    Varint,
    Fixed32,
    Fixed64,
    Len,
    RepeatedVarint,
    RepeatedFixed32,
    RepeatedFixed64,
}

/// <summary>
/// The fields of one protobuf message that a reader knows: their numbers, names (for messages) and wire encodings. A
/// known field with another wire type is malformed; unknown fields are skipped, as protobuf readers do.
/// </summary>
internal sealed record ProtoSchema(string Name, IReadOnlyDictionary<int, (string Field, ProtoKind Kind)> Fields)
{
    /// <summary>Every length-delimited field is handed to the visitor, known or not (for messages read generically).</summary>
    public bool VisitsEveryLengthField { get; private init; }

    public static ProtoSchema Define(string name, params (int Number, string Field, ProtoKind Kind)[] fields) =>
        new(name, fields.ToDictionary(f => f.Number, f => (f.Field, f.Kind)));

    public static ProtoSchema EveryLengthField(string name) =>
        new(name, new Dictionary<int, (string, ProtoKind)>()) { VisitsEveryLengthField = true };

    public static bool WireFits(ProtoKind kind, int wire) => kind switch
    {
        ProtoKind.Varint => wire == ProtoReader.Varint,
        ProtoKind.Fixed32 => wire == ProtoReader.Fixed32,
        ProtoKind.Fixed64 => wire == ProtoReader.Fixed64,
        ProtoKind.Len => wire == ProtoReader.Len,
        ProtoKind.RepeatedVarint => wire is ProtoReader.Varint or ProtoReader.Len,
        ProtoKind.RepeatedFixed32 => wire is ProtoReader.Fixed32 or ProtoReader.Len,
        ProtoKind.RepeatedFixed64 => wire is ProtoReader.Fixed64 or ProtoReader.Len,
        _ => false,
    };

    public static string WireName(int wire) => wire switch
    {
        ProtoReader.Varint => "varint",
        ProtoReader.Fixed64 => "64-bit",
        ProtoReader.Len => "length-delimited",
        ProtoReader.Fixed32 => "32-bit",
        _ => wire.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string KindName(ProtoKind kind) => kind switch
    {
        ProtoKind.Varint => "varint",
        ProtoKind.Fixed32 => "32-bit",
        ProtoKind.Fixed64 => "64-bit",
        ProtoKind.Len => "length-delimited",
        ProtoKind.RepeatedVarint => "varint or packed",
        ProtoKind.RepeatedFixed32 => "32-bit or packed",
        _ => "64-bit or packed",
    };
}

/// <summary>A string field as read: the text (cut at the reader's limit), whether it was cut, whether it was valid UTF-8.</summary>
internal readonly record struct ProtoString(string Text, bool Truncated, bool ValidUtf8);
