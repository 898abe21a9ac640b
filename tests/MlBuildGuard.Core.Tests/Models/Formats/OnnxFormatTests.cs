using System.Runtime.InteropServices;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Onnx;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Formats;

public class OnnxFormatTests
{
    private static string Single(ModelScanContext context, string code)
    {
        var finding = Assert.Single(context.Findings);
        Assert.Equal(code, finding.Code);
        return finding.Message;
    }

    /// <summary>A folder with weights.bin (64 bytes) and data/more.bin (16 bytes) next to the model.</summary>
    private static TempDirectory Folder()
    {
        var dir = new TempDirectory("mlguard-onnx");
        File.WriteAllBytes(dir.Combine("weights.bin"), new byte[64]);
        Directory.CreateDirectory(dir.Combine("data"));
        File.WriteAllBytes(dir.Combine("data", "more.bin"), new byte[16]);
        return dir;
    }

    private static ModelScanContext WithTensor(TempDirectory dir, Proto tensor) => Onnx.Validate(dir.Path, Onnx.Model(Onnx.Graph(tensor)));

    private static ModelScanContext WithLocation(TempDirectory dir, string location) =>
        WithTensor(dir, Onnx.External("w", ("location", location)));

    [Fact]
    public void Looks_recognises_a_model_and_nothing_else()
    {
        var model = Onnx.Model(Onnx.Graph()).ToArray();
        Assert.True(OnnxFormat.Looks(model, model.Length));
        Assert.True(OnnxFormat.Looks(model.AsSpan(0, 30), model.Length)); // the head cut inside the graph

        Assert.False(OnnxFormat.Looks(model.AsSpan(0, 10), model.Length)); // no graph tag yet
        Assert.False(OnnxFormat.Looks(model, 20)); // the graph cannot fit in the file
        Assert.False(OnnxFormat.Looks(GgufWriter.Sample(), 1000));
        Assert.False(OnnxFormat.Looks(SafetensorsFiles.Sample(), 1000));
        Assert.False(OnnxFormat.Looks("PK\x03\x04"u8, 1000));
        Assert.False(OnnxFormat.Looks(":a text file that starts with a colon"u8, 1000));
        Assert.False(OnnxFormat.Looks([], 0));

        // A graph without ir_version first, or an unknown ModelProto field, is not taken for ONNX.
        var noVersion = new Proto().Message(7, Onnx.Graph()).ToArray();
        Assert.False(OnnxFormat.Looks(noVersion, noVersion.Length));
        var unknownField = new Proto().Varint(1, 8).Varint(9, 1).Message(7, Onnx.Graph()).ToArray();
        Assert.False(OnnxFormat.Looks(unknownField, unknownField.Length));
        var wrongWire = new Proto().Varint(1, 8).Varint(2, 1).Message(7, Onnx.Graph()).ToArray();
        Assert.False(OnnxFormat.Looks(wrongWire, wrongWire.Length));
        var opsetOnly = new Proto().Varint(1, 8).Message(8, new Proto().String(1, string.Empty).Varint(2, 17)).ToArray();
        Assert.True(OnnxFormat.Looks(opsetOnly, opsetOnly.Length));
    }

    [Fact]
    public void A_model_with_external_data_inside_its_folder_passes()
    {
        using var dir = Folder();
        var context = Onnx.Validate(dir.Path, Onnx.Model(Onnx.Graph(
            Onnx.External("w1", ("location", "weights.bin"), ("offset", "0"), ("length", "64"), ("checksum", "da39a3ee"), ("basepath", string.Empty)),
            Onnx.External("w2", ("location", "./data/more.bin"), ("offset", "16")),
            Onnx.External("w3", ("location", "data\\more.bin"), ("offset", "8"), ("length", "8")))));

        Assert.Empty(context.Findings);
        Assert.Contains(("model.onnx", "onnx"), context.Recognised);
    }

    [Fact]
    public void The_format_is_recorded_once_even_when_the_caller_recorded_it()
    {
        using var dir = Folder();
        var path = dir.Combine("model.onnx");
        File.WriteAllBytes(path, Onnx.Model(Onnx.Graph()).ToArray());
        var context = new ModelScanContext(path, new ScanOptions());
        context.Recognise("model.onnx", "onnx");

        OnnxFormat.Validate(path, "model.onnx", context);

        Assert.Single(context.Recognised);
        Assert.Empty(context.Findings);
    }

    [Fact]
    public void An_internal_tensor_with_stray_external_entries_is_ignored()
    {
        using var dir = Folder();
        var tensor = new Proto().Varint(2, 1).String(8, "w").Message(13, new Proto().String(1, "location").String(2, "../x")).Varint(14, 0);
        Assert.Empty(WithTensor(dir, tensor).Findings);
    }

    [Theory]
    [InlineData("../secret.bin", "leaves the model folder through '..'")]
    [InlineData("data/../../secret.bin", "leaves the model folder through '..'")] // CVE-2024-27318
    [InlineData("data\\..\\..\\secret.bin", "leaves the model folder through '..'")]
    [InlineData("data/..", "leaves the model folder through '..'")]
    [InlineData("data/... /x", "leaves the model folder through '..'")]
    [InlineData("/etc/passwd", "is an absolute path")]                             // CVE-2022-25882
    [InlineData("\\etc\\passwd", "is an absolute path")]
    [InlineData("\\\\server\\share\\w.bin", "is an absolute path")]
    [InlineData("\\\\?\\C:\\w.bin", "is an absolute path")]
    [InlineData("C:\\Windows\\win.ini", "is an absolute path")]
    [InlineData("c:w.bin", "is an absolute path")]
    [InlineData("", "is empty")]
    [InlineData("weights.bin\0.txt", "contains a NUL character")]
    [InlineData("weights.bin:hidden", "has ':' in 'weights.bin:hidden'")]
    [InlineData("data/x:y/more.bin", "has ':' in 'x:y'")]
    [InlineData("nothing-here.bin", "does not exist")]
    [InlineData("data/missing/more.bin", "does not exist")]
    [InlineData("weights.bin/x", "does not exist ('weights.bin' is a file, not a folder)")]
    [InlineData("data", "is a folder, not a file")]
    [InlineData(".", "names the model folder itself")]
    public void Unsafe_locations_escape(string location, string reason)
    {
        using var dir = Folder();
        var message = Single(WithLocation(dir, location), "MLG304");
        Assert.Contains($"tensor 'w' keeps its data in '", message);
        Assert.Contains(reason, message);
    }

    [LinuxFact]
    public void A_symbolic_link_as_the_file_escapes_even_when_it_stays_inside()
    {
        using var dir = Folder();
        File.CreateSymbolicLink(dir.Combine("inside.bin"), "weights.bin");
        File.CreateSymbolicLink(dir.Combine("passwd.bin"), "/etc/passwd");
        File.CreateSymbolicLink(dir.Combine("dangling.bin"), "/nonexistent/x");

        Assert.EndsWith("is reached through a symbolic link ('inside.bin'). External data must be a plain file inside the model's folder.",
            Single(WithLocation(dir, "inside.bin"), "MLG304"));
        Assert.Contains("is reached through a symbolic link ('passwd.bin') that leads outside the model folder", Single(WithLocation(dir, "passwd.bin"), "MLG304"));
        Assert.Contains("is reached through a symbolic link ('dangling.bin')", Single(WithLocation(dir, "dangling.bin"), "MLG304"));
    }

    [LinuxFact]
    public void A_symbolic_link_in_a_parent_folder_escapes()
    {
        using var dir = Folder();
        using var outside = new TempDirectory("mlguard-outside");
        outside.Write("secret.bin", "secret");
        Directory.CreateSymbolicLink(dir.Combine("linked"), outside.Path);

        var message = Single(WithLocation(dir, "linked/secret.bin"), "MLG304");
        Assert.Contains("is reached through a symbolic link ('linked') that leads outside the model folder", message);
    }

    [LinuxFact]
    public void A_model_folder_reached_through_a_link_still_contains_its_files()
    {
        using var dir = Folder();
        using var alias = new TempDirectory("mlguard-alias");
        var linked = Path.Combine(alias.Path, "model");
        Directory.CreateSymbolicLink(linked, dir.Path);

        var context = Onnx.Validate(linked, Onnx.Model(Onnx.Graph(Onnx.External("w", ("location", "weights.bin")))));

        Assert.Empty(context.Findings);
    }

    [LinuxFact]
    public void A_hard_link_escapes()
    {
        using var dir = Folder();
        using var outside = new TempDirectory("mlguard-outside");
        var secret = outside.Write("secret.bin", "secret");
        Assert.Equal(0, Link(secret, dir.Combine("hard.bin")));

        Assert.Contains("keeps its data in 'hard.bin', which has 2 hard links", Single(WithLocation(dir, "hard.bin"), "MLG304"));
    }

    [DllImport("libc", EntryPoint = "link")]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

    [Fact]
    public void Unknown_external_data_keys_escape()
    {
        using var dir = Folder();
        var message = Single(WithTensor(dir, Onnx.External("w", ("location", "weights.bin"), ("__class__", "x"))), "MLG304");
        Assert.Contains("tensor 'w' keeps its data in 'weights.bin', which has an unknown external-data key '__class__'", message);
        Assert.Contains("unknown external-data key 'Location'", Single(WithTensor(dir, Onnx.External("w", ("location", "weights.bin"), ("Location", "x"))), "MLG304"));
    }

    [Theory]
    [InlineData("offset", "-1")]
    [InlineData("offset", "+5")]
    [InlineData("offset", " 5")]
    [InlineData("offset", "5_0")]
    [InlineData("offset", "0x10")]
    [InlineData("length", "")]
    [InlineData("length", "1e3")]
    [InlineData("length", "99999999999999999999999")]
    public void Offsets_and_lengths_must_be_plain_non_negative_integers(string key, string value)
    {
        using var dir = Folder();
        var message = Single(WithTensor(dir, Onnx.External("w", ("location", "weights.bin"), (key, value))), "MLG305");
        Assert.Contains($"invalid ONNX header: tensor 'w' has the external-data {key} '{value}', which is not a non-negative integer", message);
    }

    [Theory]
    [InlineData("0", "65", "reads bytes 0 to 65 of 'weights.bin', which has only 64 bytes")]
    [InlineData("60", "5", "reads bytes 60 to 65")]
    [InlineData("65", null, "starts at byte 65 of 'weights.bin', which has only 64 bytes")]
    [InlineData("9223372036854775807", "9223372036854775807", "reads bytes 9223372036854775807 to")]
    public void External_data_must_lie_within_the_file(string offset, string? length, string reason)
    {
        using var dir = Folder();
        var entries = new List<(string, string)> { ("location", "weights.bin"), ("offset", offset) };
        if (length is not null)
        {
            entries.Add(("length", length));
        }

        Assert.Contains(reason, Single(WithTensor(dir, Onnx.External("w", [.. entries])), "MLG305"));
    }

    [Fact]
    public void External_data_up_to_the_end_of_the_file_passes()
    {
        using var dir = Folder();
        Assert.Empty(WithTensor(dir, Onnx.External("w", ("location", "weights.bin"), ("offset", "60"), ("length", "4"))).Findings);
        Assert.Empty(WithTensor(dir, Onnx.External("w", ("location", "weights.bin"), ("offset", "64"))).Findings);
    }

    [Fact]
    public void A_location_is_required_and_keys_may_not_repeat()
    {
        using var dir = Folder();
        Assert.Contains("tensor 'w' keeps its data in an external file but names no location",
            Single(WithTensor(dir, Onnx.External("w", ("offset", "0"))), "MLG305"));
        Assert.Contains("tensor 'w' repeats the external-data key 'location'",
            Single(WithTensor(dir, Onnx.External("w", ("location", "weights.bin"), ("location", "../x"))), "MLG305"));
    }

    [Fact]
    public void Each_bad_location_is_reported_once()
    {
        using var dir = Folder();
        var context = Onnx.Validate(dir.Path, Onnx.Model(Onnx.Graph(
            Onnx.External("a", ("location", "../x")), Onnx.External("b", ("location", "../x")), Onnx.External("c", ("location", "/y")))));

        Assert.Equal(["a", "c"], context.Findings.Select(f => f.Message.Split('\'')[1]));
    }

    [Fact]
    public void External_tensors_are_found_everywhere_in_the_model()
    {
        using var dir = Folder();
        var bad = Onnx.External("deep", ("location", "../secret"));

        // A subgraph of an If node (g), a Loop body in graphs, a Constant's value (t), a sparse initializer, a training graph.
        var inSubgraph = Onnx.Graph().Message(1, Onnx.Node("If", string.Empty, Onnx.GraphAttribute("then_branch", Onnx.Graph(bad))));
        var inGraphs = Onnx.Graph().Message(1, Onnx.Node("Loop", string.Empty, new Proto().String(1, "bodies").Message(11, Onnx.Graph(bad))));
        var inConstant = Onnx.Graph().Message(1, Onnx.Node("Constant", string.Empty, new Proto().String(1, "value").Message(5, bad)));
        var inSparse = Onnx.Graph().Message(15, new Proto().Message(1, bad).Message(2, new Proto().String(8, "idx")).Varint(3, 4));
        var inTraining = new Proto().Varint(1, 9).Message(7, Onnx.Graph()).Message(20, new Proto().Message(1, Onnx.Graph(bad)));

        foreach (var model in new[] { Onnx.Model(inSubgraph), Onnx.Model(inGraphs), Onnx.Model(inConstant), Onnx.Model(inSparse), inTraining })
        {
            Assert.Contains("tensor 'deep' keeps its data in '../secret', which leaves the model folder", Single(Onnx.Validate(dir.Path, model), "MLG304"));
        }
    }

    [Theory]
    [InlineData("PyOp", "ai.onnx.contrib", "onnx-op:ai.onnx.contrib.PyOp")]
    [InlineData("run_python", "com.example", "onnx-op:com.example.run_python")]
    [InlineData("PythonOp", "custom", "onnx-op:custom.PythonOp")]
    public void Python_operators_in_custom_domains_are_imports(string opType, string domain, string name)
    {
        using var dir = Folder();
        var graph = Onnx.Graph().Message(1, Onnx.Node(opType, domain)).Message(1, Onnx.Node(opType, domain));
        var message = Single(Onnx.Validate(dir.Path, Onnx.Model(graph)), "MLG302");
        Assert.Contains($"it imports '{name}'", message);
        Assert.Equal(MlBuildGuard.Core.Diagnostics.Severity.Error, Assert.Single(Onnx.Validate(dir.Path, Onnx.Model(graph)).Findings).Severity);
        Assert.Equal(MlBuildGuard.Core.Diagnostics.Severity.Warning,
            Assert.Single(Onnx.Validate(dir.Path, Onnx.Model(graph), options: new ScanOptions { Strict = false }).Findings).Severity);
        Assert.Empty(Onnx.Validate(dir.Path, Onnx.Model(graph), options: new ScanOptions { AllowedGlobals = [name] }).Findings);
    }

    [Theory]
    [InlineData("PyOp", "")]
    [InlineData("PyOp", "ai.onnx")]
    [InlineData("Relu", "com.microsoft")]
    [InlineData("Copy", "custom")]
    public void Other_operators_are_not_reported(string opType, string domain)
    {
        using var dir = Folder();
        Assert.Empty(Onnx.Validate(dir.Path, Onnx.Model(Onnx.Graph().Message(1, Onnx.Node(opType, domain)))).Findings);
    }

    [Fact]
    public void Python_operators_in_functions_and_subgraphs_are_found()
    {
        using var dir = Folder();
        var function = new Proto().String(1, "f").String(10, "local").Message(7, Onnx.Node("PyFunc", "ai.onnx.contrib"));
        var model = Onnx.Model(Onnx.Graph().Message(1, Onnx.Node("If", string.Empty,
            Onnx.GraphAttribute("else_branch", Onnx.Graph().Message(1, Onnx.Node("PyOp", "ai.onnx.contrib")))))).Message(25, function);

        var names = Onnx.Validate(dir.Path, model).Findings.Select(f => f.Message).ToArray();

        Assert.Equal(2, names.Length);
        Assert.Contains(names, m => m.Contains("'onnx-op:ai.onnx.contrib.PyOp'", StringComparison.Ordinal));
        Assert.Contains(names, m => m.Contains("'onnx-op:ai.onnx.contrib.PyFunc'", StringComparison.Ordinal));
    }

    private static Proto Nested(int depth)
    {
        var graph = Onnx.Graph();
        for (var i = 0; i < depth; i++)
        {
            graph = new Proto().Message(1, Onnx.Node("If", string.Empty, Onnx.GraphAttribute("then_branch", graph)));
        }

        return Onnx.Model(graph);
    }

    [Fact]
    public void Subgraphs_nest_at_most_32_deep()
    {
        using var dir = Folder();
        Assert.Empty(Onnx.Validate(dir.Path, Nested(32)).Findings);
        Assert.Contains("its ONNX subgraphs nest deeper than allowed (limit 32)", Single(Onnx.Validate(dir.Path, Nested(33)), "MLG307"));
    }

    [Fact]
    public void Malformed_protobuf_is_unparsable()
    {
        using var dir = Folder();
        var model = Onnx.Model(Onnx.Graph(Onnx.External("w", ("location", "weights.bin")))).ToArray();

        var truncated = Single(Onnx.Validate(dir.Path, new Proto().Raw(model[..^3])), "MLG303");
        Assert.Contains("the ONNX protobuf is malformed at byte", truncated);

        Assert.Contains("malformed at byte 2 (field 3 of a ModelProto is a group",
            Single(Onnx.Validate(dir.Path, new Proto().Varint(1, 9).Tag(3, 3).Tag(3, 4)), "MLG303"));
        Assert.Contains("malformed at byte 0 (field 1 of a ModelProto has the unknown wire type 7)",
            Single(Onnx.Validate(dir.Path, new Proto().Tag(1, 7)), "MLG303"));
        Assert.Contains("malformed at byte 2 (the field number 0 in a ModelProto is out of range",
            Single(Onnx.Validate(dir.Path, new Proto().Varint(1, 9).Raw(0x00)), "MLG303"));
        Assert.Contains("malformed at byte 1 (a varint is longer than 64 bits)",
            Single(Onnx.Validate(dir.Path, new Proto().Tag(1, 0).Raw(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01)), "MLG303"));
        Assert.Contains("malformed at byte 1 (ModelProto field 7 claims 100 bytes",
            Single(Onnx.Validate(dir.Path, new Proto().Tag(7, 2).Varint(100).Raw(1, 2, 3)), "MLG303"));
    }

    [Fact]
    public void Known_fields_must_have_their_wire_type()
    {
        using var dir = Folder();
        Assert.Contains("malformed at byte 2 (ModelProto.graph (field 7) has wire type varint, not length-delimited)",
            Single(Onnx.Validate(dir.Path, new Proto().Varint(1, 9).Varint(7, 1)), "MLG303"));
        Assert.Contains("ModelProto.ir_version (field 1) has wire type length-delimited, not varint",
            Single(Onnx.Validate(dir.Path, new Proto().String(1, "9")), "MLG303"));
        Assert.Contains("TensorProto.data_location (field 14) has wire type 32-bit",
            Single(WithTensor(dir, new Proto().String(8, "w").Fixed32(14, 1)), "MLG303"));

        // Repeated numbers may be packed or not; unknown fields of any valid wire type are skipped.
        var packed = new Proto().Bytes(1, [4, 4]).Varint(1, 2).Bytes(4, new byte[8]).Fixed32(4, 0).Varint(2, 1).String(8, "p").Varint(99, 1).Fixed32(98, 1);
        Assert.Empty(WithTensor(dir, packed).Findings);
    }

    [Fact]
    public void Huge_declared_lengths_fail_without_allocating()
    {
        using var dir = Folder();
        var path = dir.Combine("huge.onnx");
        File.WriteAllBytes(path, new Proto().Varint(1, 9).Tag(7, 2).Varint(1UL << 62).Raw(new byte[50]).ToArray());

        var before = GC.GetAllocatedBytesForCurrentThread();
        var context = Onnx.Validate(path);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Contains("claims 4611686018427387904 bytes", Single(context, "MLG303"));
    }

    [LinuxFact]
    public void A_file_over_2_GiB_is_unparsable()
    {
        using var dir = Folder();
        var path = dir.Combine("big.onnx");
        using (var stream = new FileStream(path, FileMode.Create))
        {
            stream.SetLength((long)int.MaxValue + 1); // sparse: nothing is written
        }

        Assert.Contains("over the 2 GiB limit of protobuf", Single(Onnx.Validate(path), "MLG303"));
    }

    [Fact]
    public void A_missing_model_file_is_unparsable()
    {
        using var dir = Folder();
        Assert.Contains("the ONNX file cannot be read", Single(Onnx.Validate(dir.Combine("absent.onnx")), "MLG303"));
    }

    [Fact]
    public void Large_embedded_weights_are_skipped_not_read()
    {
        using var dir = Folder();
        var raw = new Proto().Varint(1, 1 << 20).Varint(2, 2).String(8, "big").Bytes(9, new byte[1 << 21]);
        Assert.Empty(WithTensor(dir, raw).Findings);
    }
}
