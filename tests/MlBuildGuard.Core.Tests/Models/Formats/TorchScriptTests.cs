using System.IO.Compression;
using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Formats.TorchScript;
using MlBuildGuard.Core.Tests.Models.Pickle;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Formats;

/// <summary>
/// TorchScript archives are read as torch.jit.load reads them: their pickles may use TorchScript's own globals, their
/// source is judged by the operators it calls, and an archive without constants.pkl is an ordinary checkpoint.
/// </summary>
public class TorchScriptTests
{
    private const string CleanCode = """
        class Net(Module):
          __parameters__ = ["weight", ]
          weight : Tensor
          def forward(self: __torch__.Net, x: Tensor) -> Tensor:
            _0 = ops.prim.device(x)  # a comment: torch.from_file("x")
            y = torch.linear(x, self.weight, None)
            return torch.add(y, "torch.load(")
        """;

    [Fact]
    public void A_torchscript_archive_as_torch_jit_save_writes_it_is_clean_in_strict_mode()
    {
        var findings = Scan(Archive(CleanCode));

        Assert.Empty(findings);
    }

    [Fact]
    public void Without_constants_pkl_the_same_pickles_are_an_ordinary_checkpoint_read_by_python()
    {
        var findings = Scan(Archive(CleanCode, constants: false));

        // Python's unpickler would import __torch__.Net (no such module) and torch.jit._pickle: neither is allowed there.
        Assert.Contains(findings, f => f.Code == "MLG302" && f.Message.Contains("__torch__.Net", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Code == "MLG301" && f.Message.Contains("torch.jit._pickle.build_intlist", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("torch.from_file(\"/etc/passwd\", False, 10)", "the operator 'torch.from_file'")]
    [InlineData("ops.aten.from_file(\"/etc/passwd\")", "the operator 'aten::from_file'")]
    [InlineData("torch.save(x, \"/tmp/out\")", "the operator 'torch.save'")]
    [InlineData("eval(\"1\")", "Python's 'eval'")]
    public void A_file_or_code_operator_in_the_source_is_MLG301(string call, string named)
    {
        var findings = Scan(Archive(CleanCode + "\n    z = " + call + "\n"));

        var finding = Assert.Single(findings);
        Assert.Equal("MLG301", finding.Code);
        Assert.Contains($"its TorchScript source calls {named}", finding.Message);
        Assert.Contains("!m/code/__torch__/net.py", finding.Subject);
    }

    [Fact]
    public void An_operator_from_a_library_namespace_is_MLG302_until_allowed()
    {
        var archive = Archive(CleanCode + "\n    z = ops.contoso_ext.fused_gelu(x)\n");

        var finding = Assert.Single(Scan(archive));
        Assert.Equal("MLG302", finding.Code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.Contains("torch.ops.contoso_ext.fused_gelu", finding.Message);
        Assert.Empty(Scan(archive, "torch.ops.contoso_ext.fused_gelu"));
        Assert.Empty(Scan(archive, "torch.ops.contoso_ext.*"));
    }

    [Fact]
    public void A_dangerous_global_in_a_torchscript_pickle_stays_MLG301()
    {
        var findings = Scan(Archive(CleanCode, data: PickleBytes.OsSystem()));

        Assert.Contains(findings, f => f.Code == "MLG301" && f.Message.Contains("os.system", StringComparison.Ordinal));
    }

    [Fact]
    public void Source_that_is_not_utf8_is_MLG303()
    {
        var findings = Scan(Archive(CleanCode, codeBytes: [0x63, 0xFF, 0xFE]));

        Assert.Equal("MLG303", Assert.Single(findings).Code);
    }

    [Fact]
    public void Calls_are_found_outside_strings_and_comments_only()
    {
        var calls = TorchScriptCode.Calls("a = torch.add(x) # torch.load(\ns = '''torch.save(''' + r'eval(' + f(\"open(\")\n").ToList();

        Assert.Equal(["torch.add", "f"], calls);
    }

    private static IReadOnlyList<Finding> Scan(byte[] archive, params string[] allowed)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "scripted.pt");
        File.WriteAllBytes(path, archive);
        return ModelScanner.ScanPath(path, new ScanOptions { Strict = true, AllowedGlobals = allowed })
            .Where(f => f.Severity != Severity.Message).ToList();
    }

    /// <summary>The members torch.jit.save writes, under the prefix "m/".</summary>
    private static byte[] Archive(string code, bool constants = true, byte[]? data = null, byte[]? codeBytes = null)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "m/data.pkl", data ?? new PickleBytes().Proto(2).Global("__torch__", "Net").EmptyTuple().Reduce().Stop().ToArray());
            Add(zip, "m/code/__torch__/net.py", codeBytes ?? Encoding.UTF8.GetBytes(code));
            Add(zip, "m/code/__torch__/net.py.debug_pkl",
                new PickleBytes().Proto(2).Global("torch.jit._pickle", "build_intlist").EmptyList().Tuple1().Reduce().Stop().ToArray());
            if (constants)
            {
                Add(zip, "m/constants.pkl", new PickleBytes().Proto(2).EmptyTuple().Stop().ToArray());
            }

            Add(zip, "m/version", "3\n"u8.ToArray());
        }

        return buffer.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }
}
