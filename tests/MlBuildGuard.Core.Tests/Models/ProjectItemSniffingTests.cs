using MlBuildGuard.Core.Models;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models;

/// <summary>
/// Files nobody declared a model (project items scanned because their content may be one) must not be MLG303 merely
/// because their first two bytes happen to be a pickle's protocol marker, while a real pickle among them is still read.
/// </summary>
public sealed class ProjectItemSniffingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File(string name, byte[] bytes)
    {
        var path = _dir.Combine(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Random_data_that_starts_like_a_pickle_is_not_a_model_unless_declared_one()
    {
        // The first bytes of a data file of the 10,000-file benchmark: 0x80, a protocol byte, then an invalid opcode.
        var data = File("f07136.bin", [0x80, 0x03, 0xb2, 0x17, 0x9c, 0x44, 0x01, 0xfe]);

        Assert.Empty(ModelScanner.ScanPath(data, new ScanOptions(), mustBeModel: false));
        Assert.Equal("MLG303", Assert.Single(ModelScanner.ScanPath(data, new ScanOptions(), mustBeModel: true)).Code);
    }

    [Fact]
    public void A_pickle_that_imports_before_it_breaks_is_still_reported_when_only_sniffed()
    {
        // PROTO 2, GLOBAL os system, then bytes that are no opcode: Python would import (and could call) before failing.
        byte[] pickle = [0x80, 0x02, (byte)'c', .. "os\nsystem\n"u8, 0xb2, 0xb2];
        var path = File("data.bin", pickle);

        var findings = ModelScanner.ScanPath(path, new ScanOptions(), mustBeModel: false);

        Assert.Contains(findings, f => f.Code == "MLG301");
    }

    [Fact]
    public void A_sniffed_pickle_that_hits_a_scan_limit_before_its_import_is_still_reported()
    {
        // Python would push 100,001 Nones and then import and call os.system; the scanner stops at its stack limit first.
        byte[] pickle = [0x80, 0x02, .. Enumerable.Repeat((byte)'N', 100_001), (byte)'c', .. "os\nsystem\n"u8, (byte)'.'];
        var path = File("w.dat", pickle);

        Assert.Contains(ModelScanner.ScanPath(path, new ScanOptions(), mustBeModel: false), f => f.Code == "MLG307");
    }

    [Fact]
    public void A_sniffed_pickle_that_parses_a_while_and_then_breaks_is_MLG303()
    {
        // 100 bytes of valid opcodes (NONE, POP pairs), then an invalid one: not random data.
        byte[] pickle = [0x80, 0x02, .. Enumerable.Repeat("N0"u8.ToArray(), 50).SelectMany(b => b), 0xb2];
        var path = File("state.dat", pickle);

        Assert.Equal("MLG303", Assert.Single(ModelScanner.ScanPath(path, new ScanOptions(), mustBeModel: false)).Code);
    }

    [Fact]
    public void A_well_formed_pickle_among_project_items_is_still_scanned()
    {
        byte[] pickle = [0x80, 0x02, (byte)'c', .. "builtins\neval\n"u8, (byte)'X', 1, 0, 0, 0, (byte)'1', 0x85, (byte)'R', (byte)'.'];
        var path = File("cache.bin", pickle);

        Assert.Contains(ModelScanner.ScanPath(path, new ScanOptions(), mustBeModel: false), f => f.Code == "MLG301");
    }
}
