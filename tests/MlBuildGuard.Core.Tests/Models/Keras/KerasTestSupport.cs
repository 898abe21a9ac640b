using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;

namespace MlBuildGuard.Core.Tests.Models.Keras;

/// <summary>Writes protobuf wire format for the SavedModel and keras_metadata.pb tests.</summary>
internal sealed class ProtoBuilder
{
    private readonly MemoryStream _bytes = new();

    public ProtoBuilder Varint(int field, ulong value)
    {
        Tag(field, 0);
        WriteVarint(value);
        return this;
    }

    public ProtoBuilder Bytes(int field, byte[] value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    public ProtoBuilder String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoBuilder Message(int field, ProtoBuilder message) => Bytes(field, message.ToArray());

    public ProtoBuilder Fixed32(int field, uint value)
    {
        Tag(field, 5);
        _bytes.Write(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoBuilder Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        _bytes.Write(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoBuilder Raw(params byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    private void Tag(int field, int wire) => WriteVarint(((ulong)field << 3) | (uint)wire);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.WriteByte((byte)value);
    }
}

internal static class TensorFlow
{
    /// <summary>A NodeDef; each call becomes an attribute whose value is a function (AttrValue.func).</summary>
    public static ProtoBuilder Node(string name, string op, params string[] calls)
    {
        var node = new ProtoBuilder().String(1, name).String(2, op).String(4, "/device:CPU:0");
        foreach (var call in calls)
        {
            node.Message(5, new ProtoBuilder().String(1, "f").Message(2, new ProtoBuilder().Message(10, new ProtoBuilder().String(1, call))));
        }

        node.Message(5, new ProtoBuilder().String(1, "T").Message(2, new ProtoBuilder().Varint(6, 1)));
        return node;
    }

    /// <summary>A FunctionDef: signature (OpDef name) and node_def.</summary>
    public static ProtoBuilder Function(string name, params ProtoBuilder[] nodes)
    {
        var function = new ProtoBuilder().Message(1, new ProtoBuilder().String(1, name));
        foreach (var node in nodes)
        {
            function.Message(3, node);
        }

        return function;
    }

    public static ProtoBuilder SaverDef(string filename, string save, string restore) =>
        new ProtoBuilder().String(1, filename).String(2, save).String(3, restore).Varint(4, 1).Varint(6, 2);

    public static byte[] SavedModel(ProtoBuilder[] graphNodes, ProtoBuilder[]? functions = null, ProtoBuilder? saver = null, ProtoBuilder? objectGraph = null)
    {
        var graph = new ProtoBuilder();
        foreach (var node in graphNodes)
        {
            graph.Message(1, node);
        }

        if (functions is { Length: > 0 })
        {
            var library = new ProtoBuilder();
            foreach (var function in functions)
            {
                library.Message(1, function);
            }

            graph.Message(2, library);
        }

        graph.Message(4, new ProtoBuilder().Varint(1, 1286));
        var metaGraph = new ProtoBuilder()
            .Message(1, new ProtoBuilder().String(1, "serve").String(4, "2.15.0"))
            .Message(2, graph);
        if (saver is not null)
        {
            metaGraph.Message(3, saver);
        }

        if (objectGraph is not null)
        {
            metaGraph.Message(7, objectGraph);
        }

        return new ProtoBuilder().Varint(1, 1).Message(2, metaGraph).ToArray();
    }

    /// <summary>A TF 2 SavedModel with the usual saver functions and a serving function with the given nodes.</summary>
    public static byte[] Tf2SavedModel(params ProtoBuilder[] servingNodes) =>
        SavedModel(
            [
                Node("saver_filename", "Placeholder"),
                Node("StatefulPartitionedCall", "StatefulPartitionedCall", "__inference_signature_wrapper_97"),
                Node("StatefulPartitionedCall_1", "StatefulPartitionedCall", "__inference__traced_save_132"),
                Node("StatefulPartitionedCall_2", "StatefulPartitionedCall", "__inference__traced_restore_160"),
            ],
            [
                Function("__inference_signature_wrapper_97", [Node("PartitionedCall", "PartitionedCall", "__inference_serve_80")]),
                Function("__inference_serve_80", [Node("MatMul", "MatMul"), Node("BiasAdd", "BiasAdd"), Node("Relu", "Relu"), .. servingNodes]),
                Function("__inference__traced_save_132",
                    Node("StaticRegexFullMatch", "StaticRegexFullMatch"),
                    Node("StringJoin", "StringJoin"),
                    Node("ShardedFilename", "ShardedFilename"),
                    Node("SaveV2", "SaveV2"),
                    Node("MergeV2Checkpoints", "MergeV2Checkpoints")),
                Function("__inference__traced_restore_160",
                    Node("RestoreV2", "RestoreV2"),
                    Node("AssignVariableOp", "AssignVariableOp"),
                    Node("RestoreV2_1", "RestoreV2")),
            ],
            SaverDef("saver_filename:0", "StatefulPartitionedCall_1:0", "StatefulPartitionedCall_2"));
}

internal static class KerasTest
{
    public static ModelScanContext Context(bool strict = false, long? maxHeaderBytes = null, params string[] allowed)
    {
        var limits = new ScanLimits();
        if (maxHeaderBytes is { } max)
        {
            limits = limits with { MaxHeaderBytes = max };
        }

        return new ModelScanContext("/x/model.h5", new ScanOptions { Strict = strict, AllowedGlobals = allowed, Limits = limits });
    }

    public static ModelScanContext ScanConfig(string json, bool strict = false, params string[] allowed)
    {
        var context = Context(strict, null, allowed);
        MlBuildGuard.Core.Models.Formats.Keras.KerasFormat.ScanConfig(Encoding.UTF8.GetBytes(json), "model.keras!config.json", context);
        return context;
    }

    public static Finding Single(ModelScanContext context, string code)
    {
        var matching = context.Findings.Where(f => f.Code == code).ToList();
        Assert.True(matching.Count == 1, $"expected one {code}, got: {Describe(context)}");
        return matching[0];
    }

    public static void Clean(ModelScanContext context) =>
        Assert.True(context.Findings.Count == 0, $"expected no findings, got: {Describe(context)}");

    public static string Describe(ModelScanContext context) =>
        context.Findings.Count == 0 ? "(none)" : string.Join(" | ", context.Findings.Select(f => $"{f.Code} {f.Severity}: {f.Message}"));
}

/// <summary>Keras configurations as Keras 2 and Keras 3 write them.</summary>
internal static class KerasConfigs
{
    public const string Keras3Clean = """
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true,
          "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "name": "input_layer"}, "registered_name": null},
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "units": 8, "activation": "relu", "use_bias": true,
              "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
              "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
              "kernel_regularizer": null}, "registered_name": null, "build_config": {"input_shape": [null, 4]}},
            {"module": "keras.layers", "class_name": "Activation", "config": {"name": "act",
              "activation": {"module": "builtins", "class_name": "function", "config": "softmax", "registered_name": "function"}}, "registered_name": null},
            {"module": "keras_hub.src.layers.modeling.position_embedding", "class_name": "PositionEmbedding", "config": {"name": "pos", "sequence_length": 16}, "registered_name": "keras_hub>PositionEmbedding"}
          ], "build_input_shape": [null, 4]},
         "registered_name": null, "build_config": {"input_shape": [null, 4]},
         "compile_config": {
           "optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.001, "clipnorm": null}, "registered_name": null},
           "loss": {"module": "keras.losses", "class_name": "SparseCategoricalCrossentropy", "config": {"name": "sparse_categorical_crossentropy", "from_logits": false}, "registered_name": null},
           "metrics": ["accuracy"], "jit_compile": false, "steps_per_execution": 1}}
        """;

    public const string Keras2Clean = """
        {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "dense_input"}},
          {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 8, "activation": "relu", "use_bias": true,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}}},
          {"class_name": "TFOpLambda", "config": {"name": "tf.math.multiply", "trainable": true, "dtype": "float32", "function": "math.multiply"}}
        ]}, "keras_version": "2.12.0", "backend": "tensorflow"}
        """;

    public const string Keras2Lambda = """
        {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
          {"class_name": "Dense", "config": {"name": "dense", "units": 8}},
          {"class_name": "Lambda", "config": {"name": "lambda_1", "trainable": true, "dtype": "float32",
            "function": ["4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMMAAAAdABkAYMBAQB8AFMAKQJOehBlY2hvIHB3bmVk", null, null],
            "function_type": "lambda", "module": "__main__", "output_shape": null, "output_shape_type": "raw", "output_shape_module": null, "arguments": {}}}
        ]}, "keras_version": "2.12.0", "backend": "tensorflow"}
        """;

    public const string Keras3Lambda = """
        {"module": "keras", "class_name": "Functional", "config": {"name": "functional", "layers": [
          {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "evil", "function":
            {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMM", "defaults": null, "closure": null}},
            "arguments": {}}, "registered_name": null, "name": "evil", "inbound_nodes": []}
        ]}, "registered_name": "Functional"}
        """;

    public static string Wrap(string layer) =>
        $$"""{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [{{layer}}]}, "registered_name": null}""";
}
