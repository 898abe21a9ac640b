using System.Buffers.Binary;
using System.Text;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Onnx;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Formats;

/// <summary>
/// Robustness: thousands of random and mutated inputs per format (fixed seeds, so failures reproduce). Each must be
/// validated without an exception, and every finding must be one of the validator's own rules.
/// </summary>
public class FormatFuzzTests
{
    private const int Inputs = 2000;

    private static void AssertOwnRules(ModelScanContext context, params string[] codes) =>
        Assert.All(context.Findings, f => Assert.Contains(f.Code, codes));

    [Fact]
    public void Safetensors_survives_random_and_mutated_inputs()
    {
        var random = new Random(20240501);
        var sample = SafetensorsFiles.Sample();
        for (var i = 0; i < Inputs; i++)
        {
            var input = InputMutator.Mutate(random, sample);
            _ = SafetensorsFormat.Looks(input.AsSpan(0, Math.Min(input.Length, 64 * 1024)), input.Length);
            var context = SafetensorsFiles.Validate(input);
            AssertOwnRules(context, "MLG305", "MLG307");
        }
    }

    [Fact]
    public void Safetensors_survives_mutated_json_text()
    {
        var random = new Random(7);
        const string Alphabet = "{}[]\":,0123456789-.eE \\u__metadata__dtypeshapedata_offsetsF32U8";
        var sample = SafetensorsFiles.Sample();
        var header = Encoding.UTF8.GetString(sample, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(sample)).ToCharArray();
        for (var i = 0; i < Inputs; i++)
        {
            var text = (char[])header.Clone();
            for (var m = 0; m < 1 + random.Next(3); m++)
            {
                text[random.Next(text.Length)] = Alphabet[random.Next(Alphabet.Length)];
            }

            var file = SafetensorsFiles.Build(new string(text), random.Next(0, 40));
            AssertOwnRules(SafetensorsFiles.Validate(file), "MLG305", "MLG307");
        }
    }

    [Fact]
    public void Gguf_survives_random_and_mutated_inputs()
    {
        var random = new Random(31337);
        var sample = GgufWriter.Sample("{{ messages[0]['content'] }}");
        for (var i = 0; i < Inputs; i++)
        {
            var input = InputMutator.Mutate(random, sample, "GGUF\x03\0\0\0"u8.ToArray());
            _ = GgufFormat.Looks(input);
            var context = GgufWriter.Validate(input);
            AssertOwnRules(context, "MLG305", "MLG306", "MLG307");
        }
    }

    [Fact]
    public void Onnx_survives_random_and_mutated_inputs()
    {
        var random = new Random(4242);
        using var dir = new TempDirectory("mlguard-onnx-fuzz");
        File.WriteAllBytes(dir.Combine("weights.bin"), new byte[64]);
        Directory.CreateDirectory(dir.Combine("data"));
        var subgraph = Onnx.Graph(Onnx.External("inner", ("location", "weights.bin"), ("offset", "0"), ("length", "16")));
        var graph = Onnx.Graph(Onnx.External("w", ("location", "weights.bin"), ("offset", "16"), ("length", "48")))
            .Message(1, Onnx.Node("If", string.Empty, Onnx.GraphAttribute("then_branch", subgraph)))
            .Message(1, Onnx.Node("PyOp", "ai.onnx.contrib"))
            .Message(15, new Proto().Message(1, Onnx.External("s", ("location", "weights.bin"))).Message(2, new Proto().String(8, "i")));
        var sample = Onnx.Model(graph).Message(25, new Proto().String(1, "f").Message(7, Onnx.Node("Relu", string.Empty))).ToArray();
        var path = dir.Combine("model.onnx");
        for (var i = 0; i < Inputs; i++)
        {
            var input = InputMutator.Mutate(random, sample);
            _ = OnnxFormat.Looks(input.AsSpan(0, Math.Min(input.Length, 64 * 1024)), input.Length);
            File.WriteAllBytes(path, input);
            var context = Onnx.Validate(path);
            AssertOwnRules(context, "MLG302", "MLG303", "MLG304", "MLG305", "MLG307");
        }
    }

    [Fact]
    public void Looks_never_throws_on_random_heads()
    {
        var random = new Random(99);
        for (var i = 0; i < Inputs; i++)
        {
            var head = new byte[random.Next(0, 200)];
            random.NextBytes(head);
            var length = random.Next(4) == 0 ? long.MaxValue : random.NextInt64(-5, 1 << 20);
            _ = SafetensorsFormat.Looks(head, length);
            _ = GgufFormat.Looks(head);
            _ = OnnxFormat.Looks(head, length);
        }
    }
}
