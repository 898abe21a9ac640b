using System.Text;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using static MlBuildGuard.Core.Tests.Models.Keras.KerasTest;
using static MlBuildGuard.Core.Tests.Models.Keras.TensorFlow;

namespace MlBuildGuard.Core.Tests.Models.Keras;

public class SavedModelTests
{
    private static ModelScanContext Scan(byte[] savedModel)
    {
        var context = Context();
        KerasFormat.ScanSavedModel(savedModel, "model/saved_model.pb", context);
        return context;
    }

    private static ModelScanContext ScanMetadata(byte[] metadata)
    {
        var context = Context();
        KerasFormat.ScanKerasMetadataPb(metadata, "model/keras_metadata.pb", context);
        return context;
    }

    [Fact]
    public void A_tf2_saved_model_with_its_saver_is_clean()
    {
        var context = Scan(Tf2SavedModel());

        Clean(context);
        Assert.Contains(("model/saved_model.pb", "tensorflow-savedmodel"), context.Recognised);
    }

    [Fact]
    public void A_tf1_saved_model_with_a_save_scope_is_clean()
    {
        var model = SavedModel(
            [
                Node("x", "Placeholder"), Node("w", "VariableV2"), Node("MatMul", "MatMul"),
                Node("save/Const", "Const"), Node("save/SaveV2", "SaveV2"), Node("save/control_dependency", "Identity"),
                Node("save/RestoreV2", "RestoreV2"), Node("save/Assign", "Assign"), Node("save/restore_all", "NoOp"),
                Node("save/MergeV2Checkpoints", "MergeV2Checkpoints"),
            ],
            saver: SaverDef("save/Const:0", "save/control_dependency:0", "save/restore_all"));

        Clean(Scan(model));
    }

    [Fact]
    public void A_second_tf1_saver_is_not_reported_but_other_scopes_are()
    {
        var model = SavedModel(
            [Node("save/SaveV2", "SaveV2"), Node("save_1/SaveV2", "SaveV2"), Node("save_1/MergeV2Checkpoints", "MergeV2Checkpoints"), Node("saver/SaveV2", "SaveV2"), Node("save_x/SaveV2", "SaveV2")],
            saver: SaverDef("save/Const:0", "save/control_dependency:0", "save/restore_all"));

        var finding = Single(Scan(model), "MLG306");
        Assert.Contains("node 'saver/SaveV2' uses the TensorFlow op 'SaveV2' (writes checkpoint files; 2 nodes in all)", finding.Message);
    }

    [Fact]
    public void Save_ops_in_functions_the_saver_calls_are_not_reported()
    {
        var model = SavedModel(
            [Node("StatefulPartitionedCall_1", "StatefulPartitionedCall", "__inference_save_fn_1")],
            [
                Function("__inference_save_fn_1", Node("call", "PartitionedCall", "__inference_helper_2")),
                Function("__inference_helper_2", Node("SaveV2", "SaveV2"), Node("merge", "MergeV2Checkpoints")),
            ],
            SaverDef("saver_filename:0", "StatefulPartitionedCall_1:0", "StatefulPartitionedCall_2"));

        Clean(Scan(model));
    }

    [Theory]
    [InlineData("PyFunc", "calls back into Python")]
    [InlineData("PyFuncStateless", "calls back into Python")]
    [InlineData("EagerPyFunc", "calls back into Python")]
    [InlineData("ReadFile", "reads files")]
    [InlineData("WriteFile", "writes files")]
    [InlineData("MatchingFiles", "lists files")]
    [InlineData("Save", "writes checkpoint files")]
    [InlineData("SaveV2", "writes checkpoint files")]
    [InlineData("SaveSlices", "writes checkpoint files")]
    [InlineData("MergeV2Checkpoints", "writes checkpoint files")]
    public void A_dangerous_op_in_a_serving_function_is_MLG306(string op, string purpose)
    {
        var context = Scan(Tf2SavedModel(Node("evil", op)));

        var finding = Single(context, "MLG306");
        Assert.Single(context.Findings);
        Assert.Contains($"model/saved_model.pb: node 'evil' in function '__inference_serve_80' uses the TensorFlow op '{op}' ({purpose}), which runs code", finding.Message);
    }

    [Fact]
    public void A_dangerous_op_in_the_graph_is_MLG306()
    {
        var context = Scan(SavedModel([Node("x", "Placeholder"), Node("py", "PyFunc")]));

        Assert.Contains("node 'py' uses the TensorFlow op 'PyFunc'", Single(context, "MLG306").Message);
    }

    [Fact]
    public void Python_calls_in_the_saver_are_still_reported()
    {
        var model = SavedModel(
            [Node("save/PyFunc", "PyFunc"), Node("save/SaveV2", "SaveV2")],
            saver: SaverDef("save/Const:0", "save/control_dependency:0", "save/restore_all"));

        Assert.Contains("'PyFunc'", Single(Scan(model), "MLG306").Message);
    }

    [Fact]
    public void Many_nodes_of_one_op_are_one_finding_with_a_count()
    {
        var context = Scan(Tf2SavedModel(Node("r1", "ReadFile"), Node("r2", "ReadFile"), Node("r3", "ReadFile")));

        Assert.Contains("node 'r1' in function '__inference_serve_80' uses the TensorFlow op 'ReadFile' (reads files; 3 nodes in all)", Single(context, "MLG306").Message);
    }

    [Theory]
    [InlineData("Restore")]
    [InlineData("RestoreV2")]
    [InlineData("RestoreSlice")]
    [InlineData("ImmutableConst")]
    [InlineData("DebugIdentityV2")]
    [InlineData("PrintV2")]
    [InlineData("StringJoin")]
    public void Ordinary_ops_are_not_reported(string op) => Clean(Scan(Tf2SavedModel(Node("n", op))));

    [Fact]
    public void Function_names_may_follow_the_nodes_and_graphs_may_repeat()
    {
        var function = new ProtoBuilder().Message(3, Node("w", "WriteFile")).Message(1, new ProtoBuilder().String(1, "__inference_late_7"));
        var graph1 = new ProtoBuilder().Message(1, Node("a", "Const"));
        var graph2 = new ProtoBuilder().Message(2, new ProtoBuilder().Message(1, function));
        var model = new ProtoBuilder().Message(2, new ProtoBuilder().Message(2, graph1).Message(2, graph2)).ToArray();

        Assert.Contains("node 'w' in function '__inference_late_7'", Single(Scan(model), "MLG306").Message);
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        var model = new ProtoBuilder()
            .Fixed32(9, 7).Fixed64(10, 8).Varint(11, ulong.MaxValue).String(12, "x")
            .Message(2, new ProtoBuilder().Fixed64(15, 1).Message(2, new ProtoBuilder().Fixed32(9, 1).Message(1, Node("p", "EagerPyFunc"))))
            .ToArray();

        Single(Scan(model), "MLG306");
    }

    [Fact]
    public void An_empty_saved_model_is_clean() => Clean(Scan([]));

    [Theory]
    [InlineData(new byte[] { 0x12 }, "cut off")]                             // a length that is missing
    [InlineData(new byte[] { 0x12, 0x05, 0x01 }, "runs past the end")]       // a length past the end
    [InlineData(new byte[] { 0x0B, 0x0C }, "is a group")]                    // start group
    [InlineData(new byte[] { 0x0C }, "is a group")]                          // end group
    [InlineData(new byte[] { 0x0E }, "unknown wire type")]                   // wire type 6
    [InlineData(new byte[] { 0x02, 0x00 }, "out of range")]                  // field 0
    [InlineData(new byte[] { 0x08, 0x80, 0x80 }, "cut off")]                 // a varint cut off
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, "longer than 64 bits")]
    [InlineData(new byte[] { 0x09, 0x01, 0x02 }, "cut off")]                 // fixed64 cut off
    [InlineData(new byte[] { 0x0D, 0x01 }, "cut off")]                       // fixed32 cut off
    public void Malformed_protobuf_is_MLG303(byte[] bytes, string reason)
    {
        var context = Scan(bytes);

        var finding = Single(context, "MLG303");
        Assert.Contains("the TensorFlow SavedModel protobuf cannot be read", finding.Message);
        Assert.Contains(reason, finding.Message);
        Assert.Empty(context.Recognised);
    }

    [Fact]
    public void A_malformed_node_deep_inside_is_MLG303_and_earlier_findings_stay()
    {
        var brokenNode = new ProtoBuilder().String(1, "n").Raw(0x12, 0x40, 0x41);
        var graph = new ProtoBuilder().Message(1, Node("py", "PyFunc")).Message(1, brokenNode);
        var model = new ProtoBuilder().Message(2, new ProtoBuilder().Message(2, graph)).ToArray();

        var context = Scan(model);

        Single(context, "MLG303");
        Single(context, "MLG306");
    }

    [Fact]
    public void Keras_metadata_in_the_object_graph_is_scanned()
    {
        var lambda = """{"class_name": "Lambda", "name": "lambda", "config": {"name": "lambda", "function": ["4wEAAAAA", null, null], "function_type": "lambda"}}""";
        var objectGraph = new ProtoBuilder()
            .Message(1, new ProtoBuilder().Message(4, new ProtoBuilder().String(1, "_tf_keras_layer").Message(2, new ProtoBuilder().Varint(1, 1)).String(3, lambda)))
            .Message(1, new ProtoBuilder().Message(6, new ProtoBuilder().String(1, "fn")));

        var context = Scan(SavedModel([Node("x", "Placeholder")], objectGraph: objectGraph));

        Assert.Contains("layer 'lambda' is a Lambda layer with marshalled Python code", Single(context, "MLG306").Message);
    }

    private static byte[] Metadata(params string[] jsons)
    {
        var metadata = new ProtoBuilder();
        var id = 0;
        foreach (var json in jsons)
        {
            metadata.Message(1, new ProtoBuilder()
                .Varint(2, (ulong)id++)
                .String(3, "root.layer-" + id)
                .String(4, "_tf_keras_layer")
                .String(5, json)
                .Message(6, new ProtoBuilder().Varint(1, 1).Varint(2, 1)));
        }

        return metadata.ToArray();
    }

    [Fact]
    public void Clean_keras_metadata_is_clean()
    {
        var context = ScanMetadata(Metadata(
            """{"name": "dense", "trainable": true, "expects_training_arg": false, "dtype": "float32", "class_name": "Dense", "config": {"name": "dense", "units": 2}}""",
            KerasConfigs.Keras2Clean));

        Clean(context);
        Assert.Contains(("model/keras_metadata.pb", "keras-metadata"), context.Recognised);
        Assert.Contains(("model/keras_metadata.pb", "keras-config"), context.Recognised);
    }

    [Fact]
    public void A_lambda_in_keras_metadata_is_one_MLG306_even_when_repeated()
    {
        var lambda = """{"class_name": "Lambda", "name": "lambda_1", "config": {"name": "lambda_1", "function": ["4wEAAAAA", null, null], "function_type": "lambda"}}""";

        var context = ScanMetadata(Metadata(lambda, KerasConfigs.Keras2Lambda));

        Assert.Contains("layer 'lambda_1' is a Lambda layer with marshalled Python code", Single(context, "MLG306").Message);
        Assert.Single(context.Findings);
    }

    [Fact]
    public void Json_without_class_name_in_keras_metadata_is_ignored() =>
        Clean(ScanMetadata(Metadata("""{"note": "not a layer"}""")));

    [Fact]
    public void Broken_json_in_keras_metadata_is_MLG303()
    {
        var context = ScanMetadata(Metadata("""{"class_name": "Dense", "config": """));

        Assert.Contains("is not valid JSON", Single(context, "MLG303").Message);
    }

    [Fact]
    public void Malformed_keras_metadata_is_MLG303()
    {
        var context = ScanMetadata([0x0A, 0x10, 0x01]);

        Assert.Contains("keras_metadata.pb cannot be read", Single(context, "MLG303").Message);
        Assert.Empty(context.Recognised);
    }

    [Fact]
    public void Keras_metadata_json_over_the_limit_is_MLG307()
    {
        var context = Context(maxHeaderBytes: 50);
        KerasFormat.ScanKerasMetadataPb(Metadata(KerasConfigs.Keras2Clean), "m", context);

        Single(context, "MLG307");
    }

    [Fact]
    public void Op_names_are_compared_exactly()
    {
        Clean(Scan(Tf2SavedModel(Node("a", "pyfunc"), Node("b", "ReadFileX"), Node("c", Encoding.Latin1.GetString([0xFF])))));
    }
}
