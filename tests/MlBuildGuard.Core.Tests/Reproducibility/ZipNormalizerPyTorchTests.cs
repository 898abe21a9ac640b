using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Reproducibility;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Reproducibility;

/// <summary>
/// Archives written by torch.save (tests/corpus/real, PyTorch 1.13) always carry ZIP64 end records that repeat the
/// classic ones. They are normalized like any other zip: same entries, same scan verdict, a second pass changes nothing.
/// (By hand, torch 1.13 loaded the normalized state dicts with tensors equal to the originals.)
/// </summary>
public sealed class ZipNormalizerPyTorchTests : IDisposable
{
    private static readonly string RealFiles = RepositoryPaths.Combine("tests", "corpus", "real", "files");

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // torch.save's zip archives only: the *_legacy.pt files (pre-1.6 format) are raw pickle streams, not zips.
    public static TheoryData<string> TorchArchives => new(
        Directory.GetFiles(RealFiles, "torch*.pt").Where(f => File.ReadAllBytes(f).AsSpan().StartsWith("PK\u0003\u0004"u8))
            .Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(TorchArchives))]
    public void A_torch_save_archive_is_normalized_with_the_same_entries_and_verdict(string name)
    {
        var path = _dir.Combine(name);
        File.Copy(Path.Combine(RealFiles, name), path);
        var entriesBefore = ZipEntryDigests.Read(path);

        var first = ZipNormalizer.Normalize(path, SourceDateEpoch.Minimum);
        var second = ZipNormalizer.Normalize(path, SourceDateEpoch.Minimum);

        Assert.Equal(ZipNormalizationOutcome.Rewritten, first.Outcome);
        Assert.Equal(ZipNormalizationOutcome.AlreadyNormal, second.Outcome);
        Assert.Equal(entriesBefore, ZipEntryDigests.Read(path));
        Assert.Empty(ModelScanner.ScanPath(path, new ScanOptions()));
    }

    [Fact]
    public void ZIP64_end_records_that_disagree_with_the_classic_ones_are_refused_and_the_file_is_left_alone()
    {
        var path = _dir.Combine("m.pt");
        var bytes = File.ReadAllBytes(Path.Combine(RealFiles, "torch_state_dict.pt"));
        var zip64End = bytes.AsSpan().LastIndexOf("PK\u0006\u0006"u8);
        bytes[zip64End + 32] ^= 1; // the ZIP64 record's total entry count
        File.WriteAllBytes(path, bytes);

        var result = ZipNormalizer.Normalize(path, SourceDateEpoch.Minimum);

        Assert.Equal(ZipNormalizationOutcome.Refused, result.Outcome);
        Assert.Contains("ZIP64 end record disagrees", result.Reason, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_ZIP64_locator_pointing_past_any_file_is_refused_not_an_exception()
    {
        var path = _dir.Combine("m.pt");
        var bytes = File.ReadAllBytes(Path.Combine(RealFiles, "torch_state_dict.pt"));
        var locator = bytes.AsSpan().LastIndexOf("PK\u0006\u0007"u8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(locator + 8), 0x7FFFFFFFFFFFFFF0);
        File.WriteAllBytes(path, bytes);

        var result = ZipNormalizer.Normalize(path, SourceDateEpoch.Minimum);

        Assert.Equal(ZipNormalizationOutcome.Refused, result.Outcome);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }
}
