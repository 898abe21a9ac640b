using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Tests.Models.Pickle;

public class PickleScannerTests
{
    internal static List<Finding> Scan(byte[] bytes, ScanOptions? options = null)
    {
        options ??= new ScanOptions();
        var context = new ModelScanContext("/models/m.pkl", options);
        PickleScanner.Scan(new MemoryStream(bytes), "m.pkl", context, new GlobalPolicy(options.AllowedGlobals));
        return context.Findings;
    }

    private static IEnumerable<string> Codes(List<Finding> findings) => findings.Select(f => f.Code).Distinct().Order();

    private static void AssertDangerous(List<Finding> findings, string what) =>
        Assert.Contains(findings, f => f.Code == "MLG301" && f.Severity == Severity.Error && f.Message.Contains(what, StringComparison.Ordinal));

    [Fact]
    public void A_plain_data_pickle_is_clean_in_every_protocol()
    {
        Assert.Empty(Scan(PickleBytes.Dict()));
        Assert.Empty(Scan(new PickleBytes().Mark().ProtoZeroString("a").Text("I1\n").Op((byte)'d').Stop().ToArray())); // protocol 0 dict
        var body = new PickleBytes().EmptyDict().Str("k").EmptyList().Int(1).Append().SetItem().Stop().ToArray();
        Assert.Empty(Scan(new PickleBytes().Proto(4).Frame(body.Length).Raw(body).ToArray()));
    }

    [Fact]
    public void A_direct_os_system_call_is_MLG301_naming_it()
    {
        var findings = Scan(PickleBytes.OsSystem());

        AssertDangerous(findings, "it imports os.system");
        Assert.Contains("run shell commands", findings[0].Message, StringComparison.Ordinal);
        Assert.Equal("m.pkl", findings[0].Subject);
    }

    [Fact]
    public void Memo_values_are_the_stack_top_not_the_last_argument()
    {
        // "os" "torch" POP BINPUT 0 POP BINGET 0 "system" STACK_GLOBAL: a scanner that remembers the previous argument sees torch.system.
        var bytes = new PickleBytes().Proto(4).Str("os").Str("torch").Pop().BinPut(0).Pop().BinGet(0).Str("system").StackGlobal()
            .Str("id").Tuple1().Reduce().Stop().ToArray();

        AssertDangerous(Scan(bytes), "it imports os.system");
    }

    [Fact]
    public void Memoize_stores_at_the_memo_size_even_after_explicit_indices()
    {
        // BINPUT 5 fills one slot, so MEMOIZE stores at index 1; BINGET 1 must read "os".
        var bytes = new PickleBytes().Proto(4).Str("x").BinPut(5).Pop().Str("os").Memoize().Pop().BinGet(1).Str("system").StackGlobal().Pop().None().Stop().ToArray();

        AssertDangerous(Scan(bytes), "it imports os.system");
    }

    [Fact]
    public void Stack_global_at_the_first_opcode_and_protocol_0_string_operands_are_resolved()
    {
        AssertDangerous(Scan(new PickleBytes().Str("os").Str("system").StackGlobal().Pop().None().Stop().ToArray()), "os.system");
        AssertDangerous(Scan(new PickleBytes().ProtoZeroString("posix").ProtoZeroString("system").StackGlobal().Pop().None().Stop().ToArray()), "posix.system");
    }

    [Theory]
    [InlineData("pathlib", "os.system", "pathlib.os.system")]
    [InlineData("builtins", "eval.__call__", "builtins.eval.__call__")]
    [InlineData("asyncio.unix_events", "_UnixSubprocessTransport._start", "asyncio.unix_events._UnixSubprocessTransport._start")]
    [InlineData("torch", "load", "torch.load")]
    [InlineData("numpy.testing._private.utils", "runstring", "numpy.testing._private.utils.runstring")]
    [InlineData("operator", "methodcaller", "operator.methodcaller")]
    [InlineData("torch.hub", "load", "torch.hub.load")]
    [InlineData("collections", "namedtuple", "collections.namedtuple")]
    [InlineData("uuid", "_get_command_stdout", "uuid._get_command_stdout")]
    [InlineData("torch._utils", "__builtins__", "torch._utils.__builtins__")]
    public void Dotted_submodule_and_gadget_names_are_dangerous(string module, string name, string reported)
    {
        AssertDangerous(Scan(new PickleBytes().Proto(4).Str(module).Str(name).StackGlobal().Pop().None().Stop().ToArray()), $"it imports {reported}");
    }

    [Theory]
    [InlineData("__builtin__", "eval", "builtins.eval")]
    [InlineData("commands", "getoutput", "subprocess.getoutput")]
    [InlineData("__builtin__", "execfile", "builtins.exec")]
    [InlineData("urllib2", "urlopen", "urllib.request.urlopen")]
    public void Python_2_names_are_mapped_below_protocol_3(string module, string name, string mapped)
    {
        AssertDangerous(Scan(new PickleBytes().Proto(2).Global(module, name).Pop().None().Stop().ToArray()), $"it imports {mapped}");
    }

    [Fact]
    public void Build_on_an_imported_module_is_MLG301()
    {
        var bytes = new PickleBytes().Proto(2).Global("collections", "OrderedDict").EmptyDict().Str("x").Int(1).SetItem().Build().Stop().ToArray();

        AssertDangerous(Scan(bytes), "changes the attributes of the imported collections.OrderedDict");
    }

    [Fact]
    public void The_extension_registry_and_computed_names_cannot_be_checked()
    {
        AssertDangerous(Scan(new PickleBytes().Proto(2).Op(0x82).Raw(7).Pop().None().Stop().ToArray()), "extension registry (code 7)");
        AssertDangerous(Scan(new PickleBytes().Proto(4).Str("os").Int(3).StackGlobal().Pop().None().Stop().ToArray()), "name computed while loading");
    }

    [Fact]
    public void Calling_the_result_of_a_call_is_a_gadget_chain()
    {
        // collections.OrderedDict()() — calling what a call returned.
        var bytes = new PickleBytes().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyTuple().Reduce().Stop().ToArray();

        AssertDangerous(Scan(bytes), "calls the result of calling collections.OrderedDict");
    }

    [Fact]
    public void Findings_before_a_parse_error_stand()
    {
        // The payload runs in CPython before the broken bytes are reached (nullifAI).
        var bytes = new PickleBytes().Proto(2).Global("os", "system").BinUnicode("id").Tuple1().Reduce().Raw(0xFF, 0x00).ToArray();

        var findings = Scan(bytes);

        Assert.Equal(["MLG301", "MLG303"], Codes(findings));
        Assert.Contains(findings, f => f.Code == "MLG303" && f.Message.Contains("invalid opcode 0xff", StringComparison.Ordinal));
    }

    [Fact]
    public void A_payload_in_a_second_pickle_of_the_file_is_found()
    {
        var bytes = PickleBytes.Dict().Concat(PickleBytes.OsSystem()).ToArray();

        var findings = Scan(bytes);

        Assert.Contains(findings, f => f.Code == "MLG301" && f.Message.Contains("(pickle #2)", StringComparison.Ordinal));
    }

    [Fact]
    public void An_argument_running_past_its_frame_is_rejected()
    {
        // FRAME of 3 bytes, then SHORT_BINUNICODE of length 10: CPython's readers disagree on where the next opcode starts.
        var bytes = new PickleBytes().Proto(4).Frame(3).Str("0123456789").Stop().ToArray();

        var findings = Scan(bytes);

        Assert.Contains(findings, f => f.Code == "MLG303" && f.Message.Contains("runs past the end of its FRAME", StringComparison.Ordinal));
    }

    [Fact]
    public void A_frame_opened_inside_a_frame_is_rejected()
    {
        var bytes = new PickleBytes().Proto(4).Frame(20).Frame(5).None().Stop().ToArray();

        Assert.Contains(Scan(bytes), f => f.Code == "MLG303" && f.Message.Contains("FRAME starts before the previous frame ends", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_imports_are_MLG302_errors_by_default_warnings_when_not_strict_and_quiet_when_allowed()
    {
        var bytes = new PickleBytes().Proto(2).Global("mylib.models", "Classifier").EmptyTuple().NewObj().Stop().ToArray();

        var byDefault = Scan(bytes);
        var lenient = Scan(bytes, new ScanOptions { Strict = false });
        var allowed = Scan(bytes, new ScanOptions { AllowedGlobals = ["mylib.models.*"] });
        var allowedExactly = Scan(bytes, new ScanOptions { AllowedGlobals = ["mylib.models.Classifier"] });

        var error = Assert.Single(byDefault);
        Assert.Equal(("MLG302", Severity.Error), (error.Code, error.Severity));
        Assert.Contains("'mylib.models.Classifier'", error.Message, StringComparison.Ordinal);
        Assert.Contains("<MlGuardAllowedGlobal Include=\"mylib.models.Classifier\" />", error.Message, StringComparison.Ordinal);
        Assert.Equal(Severity.Warning, Assert.Single(lenient).Severity);
        Assert.Empty(allowed);
        Assert.Empty(allowedExactly);
    }

    [Fact]
    public void A_pytorch_state_dict_is_clean()
    {
        // OrderedDict with one tensor rebuilt by torch._utils._rebuild_tensor_v2 from a persistent storage id.
        var bytes = new PickleBytes().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("weight")
            .Global("torch._utils", "_rebuild_tensor_v2")
            .Mark().Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(4).Tuple().Op((byte)'Q')
            .Int(0).Int(4).Tuple1().Int(1).Tuple1().Op(0x89).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce()
            .SetItem().Stop().ToArray();

        Assert.Empty(Scan(bytes));
    }

    [Fact]
    public void Large_byte_payloads_are_skipped_and_a_truncated_one_fails_fast_without_allocating()
    {
        var big = new PickleBytes().Proto(4).BinBytes8(4 << 20, 4 << 20).Pop().None().Stop().ToArray();
        var lying = new PickleBytes().Proto(4).BinBytes8(long.MaxValue / 2, 16).ToArray();

        Assert.Empty(Scan(big));
        Assert.Contains(Scan(lying), f => f.Code == "MLG303" && f.Message.Contains("ends in the middle of an opcode", StringComparison.Ordinal));
    }

    [Fact]
    public void An_endless_pickle_hits_the_opcode_limit()
    {
        var bytes = new PickleBytes().Proto(2);
        for (var i = 0; i < 1000; i++)
        {
            bytes.None().Pop();
        }

        var findings = Scan(bytes.Stop().ToArray(), new ScanOptions { Limits = new ScanLimits { MaxPickleOpcodes = 500 } });

        Assert.Equal("MLG307", Assert.Single(findings).Code);
    }

    [Fact]
    public void Joblib_array_bytes_are_stepped_over_exactly_and_object_arrays_are_scanned()
    {
        // The raw array bytes spell a GLOBAL os.system: only a scanner that loses its place would read them as opcodes.
        var poison = System.Text.Encoding.ASCII.GetBytes("cos\nsystem\n").Concat(new byte[48 - 11]).ToArray();
        byte[] Wrapper(string descr, bool aligned, byte[] data)
        {
            var p = new PickleBytes().Proto(2).Global("joblib.numpy_pickle", "NumpyArrayWrapper").EmptyTuple().NewObj()
                .EmptyDict()
                .Str("shape").Int(2).Int(3).Tuple2().SetItem()
                .Str("dtype").Global("numpy", "dtype").Str(descr).Op(0x89).Op(0x88).Op(0x87).Reduce().SetItem();
            if (aligned)
            {
                p.Str("numpy_array_alignment_bytes").Int(16).SetItem();
            }

            p.Build();
            if (aligned)
            {
                p.Raw(3, 0xFF, 0xFF, 0xFF);
            }

            return p.Raw(data).Stop().ToArray();
        }

        Assert.Empty(Scan(Wrapper("f8", aligned: false, poison)));
        Assert.Empty(Scan(Wrapper("f8", aligned: true, poison)));
        var objectArray = Scan(Wrapper("O8", aligned: false, PickleBytes.OsSystem()));
        Assert.Contains(objectArray, f => f.Code == "MLG301" && f.Subject!.Contains("joblib object array", StringComparison.Ordinal));
    }

    [Fact]
    public void Random_and_mutated_inputs_never_crash()
    {
        var random = new Random(20261126);
        var seeds = new[] { PickleBytes.OsSystem(), PickleBytes.Dict() };
        for (var i = 0; i < 3000; i++)
        {
            byte[] input;
            if (i % 3 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])seeds[i % 2].Clone();
                for (var m = 0; m < 1 + random.Next(4); m++)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            var findings = Scan(input);
            Assert.All(findings, f => Assert.Matches("^MLG30[1-7]$", f.Code));
        }
    }
}
