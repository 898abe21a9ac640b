using System.Buffers.Binary;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Formats;

/// <summary>TensorFlow Lite, Core ML and XGBoost UBJSON: structure checked as their loaders read it, hostile offsets refused.</summary>
public sealed class BinaryFormatsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Sample(string name) => File.ReadAllBytes(RepositoryPaths.Combine("tests", "corpus", name));

    private ScannedFile Scan(string name, byte[] bytes)
    {
        var path = _dir.Combine(name);
        File.WriteAllBytes(path, bytes);
        return Assert.Single(ModelScanner.Scan(path, new ScanOptions()).Files);
    }

    [Fact]
    public void A_tflite_root_offset_outside_the_file_is_MLG303_not_a_crash()
    {
        var bytes = Sample("formats/files/tflite_add.tflite");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x7FFF_FFF0);

        var file = Scan("m.tflite", bytes);

        Assert.Equal(["tflite"], file.Formats);
        Assert.Contains("outside the file", Assert.Single(file.Findings).Message);
    }

    [Fact]
    public void Every_corrupted_word_of_a_tflite_model_is_clean_or_a_coded_finding()
    {
        var original = Sample("formats/files/tflite_fully_connected.tflite");
        for (var at = 0; at + 4 <= original.Length; at += 4)
        {
            var bytes = (byte[])original.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 0xFFFF_FFF0u);

            var file = Scan("m.tflite", bytes);

            Assert.All(file.Findings, f => Assert.Contains(f.Code, new[] { "MLG303", "MLG306", "MLG307" }));
        }
    }

    [Fact]
    public void A_flex_operator_that_reads_files_is_MLG306()
    {
        var bytes = Sample("formats/files/tflite_add.tflite");
        // An operator code with builtin CUSTOM (32) and custom_code "FlexReadFile" is what the converter writes for tf.io.read_file.
        var flex = Builders.TfLiteWithCustomOperator("FlexReadFile");

        Assert.Empty(Scan("add.tflite", bytes).Findings);
        var finding = Assert.Single(Scan("flex.tflite", flex).Findings);
        Assert.True(finding.Code == "MLG306", finding.Message);
        Assert.Equal("MLG306", finding.Code);
        Assert.Contains("'FlexReadFile' runs the TensorFlow op 'ReadFile'", finding.Message);
        Assert.Empty(Scan("custom.tflite", Builders.TfLiteWithCustomOperator("MyCustomOp")).Findings);
    }

    [Fact]
    public void A_core_ml_model_with_two_model_types_is_MLG303()
    {
        var bytes = Sample("formats/files/coreml_glm_regressor.mlmodel");
        // Append a second model type (field 600, oneHotEncoder, empty): the oneof allows one.
        byte[] second = [0xC2, 0x25, 0x00];

        Assert.Contains("2 model types instead of one", Assert.Single(Scan("m.mlmodel", [.. bytes, .. second]).Findings).Message);
    }

    [Fact]
    public void Ubjson_nested_deeper_than_allowed_is_MLG307_and_not_a_stack_overflow()
    {
        var depth = 100_000;
        var bytes = new List<byte> { (byte)'{', (byte)'i', 7 };
        bytes.AddRange("learner"u8.ToArray());
        bytes.AddRange(Enumerable.Repeat((byte)'[', depth));
        bytes.AddRange(Enumerable.Repeat((byte)']', depth));
        bytes.Add((byte)'}');

        var finding = Assert.Single(Scan("m.ubj", [.. bytes]).Findings);

        Assert.Equal("MLG307", finding.Code);
    }

    [Fact]
    public void Ubjson_with_a_count_past_the_end_is_MLG303()
    {
        // {"learner": [$d #L <2^40 float32s>]}
        byte[] bytes = [(byte)'{', (byte)'i', 7, .. "learner"u8, (byte)'[', (byte)'$', (byte)'d', (byte)'#', (byte)'L', 0, 0, 1, 0, 0, 0, 0, 0, (byte)'}'];

        Assert.Contains("runs past the end", Assert.Single(Scan("m.ubj", bytes).Findings).Message);
    }

    private static class Builders
    {
        /// <summary>
        /// A minimal TFLite model laid out by hand (FlatBuffer offsets point forward): version 3 and one operator code,
        /// CUSTOM (32) with a name, as the converter writes for a Flex or custom op.
        /// </summary>
        public static byte[] TfLiteWithCustomOperator(string customCode)
        {
            var b = new List<byte>();
            void U32(uint v) => b.AddRange(BitConverter.GetBytes(v));
            void U16(ushort v) => b.AddRange(BitConverter.GetBytes(v));
            U32(16); // root: the Model table
            b.AddRange("TFL3"u8.ToArray());
            U16(8); U16(12); U16(4); U16(8); // Model vtable at 8: version at +4, operator_codes at +8
            U32(8); // Model table at 16: its vtable is 8 bytes back
            U32(3); // version
            U32(4); // operator_codes: the vector at 28 (24 + 4)
            U32(1); // vector length
            U32(16); // element at 32: the OperatorCode table at 48
            U16(12); U16(12); U16(0); U16(4); U16(0); U16(8); // OperatorCode vtable at 36: custom_code +4, builtin_code +8
            U32(12); // OperatorCode table at 48: its vtable is 12 bytes back
            U32(8); // custom_code: the string at 60 (52 + 8)
            U32(32); // builtin_code CUSTOM
            U32((uint)customCode.Length);
            b.AddRange(System.Text.Encoding.ASCII.GetBytes(customCode));
            b.Add(0);
            while (b.Count % 4 != 0)
            {
                b.Add(0);
            }

            return b.ToArray();
        }
    }
}
