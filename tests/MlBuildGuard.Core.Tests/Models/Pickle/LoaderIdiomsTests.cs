using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Tests.Models.Pickle;

/// <summary>
/// Idioms the real libraries write that a blunt scanner gets wrong: getattr on a known class (protocol 4 class methods,
/// bound scheduler methods), legacy torch.save's raw storages after its five pickles, and its whole-model persistent ids.
/// </summary>
public class LoaderIdiomsTests
{
    private static List<Finding> Scan(byte[] bytes) => PickleScannerTests.Scan(bytes);

    [Fact]
    public void Getattr_of_an_allowed_class_method_is_judged_as_that_method()
    {
        // What pickle protocol 4 writes for a zoneinfo.ZoneInfo: getattr(ZoneInfo, "_unpickle")("UTC", 1).
        var bytes = new PickleBytes().Proto(4)
            .Str("builtins").Str("getattr").StackGlobal()
            .Str("zoneinfo").Str("ZoneInfo").StackGlobal().Str("_unpickle").Tuple2().Reduce()
            .Str("UTC").Int(1).Tuple2().Reduce().Stop().ToArray();

        Assert.Empty(Scan(bytes));
    }

    [Fact]
    public void Getattr_that_reaches_a_dangerous_name_is_MLG301_naming_it()
    {
        var bytes = new PickleBytes().Proto(2).Global("__builtin__", "getattr")
            .Global("os", "path").Str("exists").Tuple2().Reduce().Stop().ToArray();
        var onAnInstance = new PickleBytes().Proto(2).Global("__builtin__", "getattr")
            .Global("collections", "OrderedDict").EmptyTuple().NewObj().Str("__class__").Tuple2().Reduce().Stop().ToArray();

        Assert.Contains(Scan(bytes), f => f.Code == "MLG301" && f.Message.Contains("os.path", StringComparison.Ordinal));
        Assert.Contains(Scan(onAnInstance), f => f.Code == "MLG301" && f.Message.Contains("OrderedDict.__class__", StringComparison.Ordinal));
    }

    [Fact]
    public void Getattr_of_a_method_not_on_the_allowlist_is_MLG302_naming_the_method()
    {
        var bytes = new PickleBytes().Proto(2).Global("__builtin__", "getattr")
            .Global("collections", "OrderedDict").Str("fromkeys").Tuple2().Reduce().Stop().ToArray();

        var finding = Assert.Single(Scan(bytes));
        Assert.Equal("MLG302", finding.Code);
        Assert.Contains("'collections.OrderedDict.fromkeys'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Getattr_on_a_value_of_unknown_origin_or_with_a_computed_name_is_MLG301()
    {
        var computedName = new PickleBytes().Proto(2).Global("__builtin__", "getattr")
            .Global("collections", "OrderedDict").Global("builtins", "str").EmptyTuple().Reduce().Tuple2().Reduce().Stop().ToArray();
        var unknownTarget = new PickleBytes().Proto(2).Global("__builtin__", "getattr")
            .EmptyDict().Str("get").Tuple2().Reduce().Stop().ToArray();

        Assert.Contains(Scan(computedName), f => f.Code == "MLG301" && f.Message.Contains("cannot be checked", StringComparison.Ordinal));
        Assert.Contains(Scan(unknownTarget), f => f.Code == "MLG301" && f.Message.Contains("cannot be checked", StringComparison.Ordinal));
    }

    [Fact]
    public void Getattr_kept_for_later_instead_of_called_is_MLG301()
    {
        // getattr stored in a list: whatever calls it later is out of sight.
        var bytes = new PickleBytes().Proto(2).EmptyList().Global("__builtin__", "getattr").Append().Stop().ToArray();

        Assert.Contains(Scan(bytes), f => f.Code == "MLG301" && f.Message.Contains("other than to read a named attribute", StringComparison.Ordinal));
    }

    [Fact]
    public void A_legacy_torch_file_ends_its_pickles_after_five_and_its_raw_storages_are_data()
    {
        var magic = new PickleBytes().Proto(2).Op(0x8a).Raw(10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop().ToArray();
        var small = new PickleBytes().Proto(2).Int(7).Stop().ToArray();
        byte[] storage = [0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]; // a 128-element count: starts like PROTO

        Assert.Empty(Scan([.. magic, .. small, .. small, .. PickleBytes.Dict(), .. small, .. storage]));
    }

    [Fact]
    public void Without_the_literal_magic_every_stream_is_scanned()
    {
        var small = new PickleBytes().Proto(2).Int(7).Stop().ToArray();

        var findings = Scan([.. small, .. small, .. small, .. small, .. small, .. PickleBytes.OsSystem()]);

        Assert.Contains(findings, f => f.Code == "MLG301" && f.Message.Contains("os.system", StringComparison.Ordinal));
    }

    [Fact]
    public void A_legacy_whole_model_persistent_id_is_its_class()
    {
        // torch.save(model) before 1.6: ('module', <class>, source file, source) as a persistent id, then NEWOBJ on it.
        var layer = new PickleBytes().Proto(2)
            .Mark().Str("module").Global("torch.nn.modules.linear", "Linear").Str("linear.py").Str("class Linear: ...").Tuple().Op((byte)'Q')
            .EmptyTuple().NewObj().Stop().ToArray();
        var user = new PickleBytes().Proto(2)
            .Mark().Str("module").Global("mynet", "Net").Str("net.py").Str("...").Tuple().Op((byte)'Q')
            .EmptyTuple().NewObj().Stop().ToArray();

        Assert.Empty(Scan(layer));
        Assert.Equal("MLG302", Assert.Single(Scan(user)).Code);
    }
}
