using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>Whether content is a format: its first bytes (up to 64 KiB), its whole length, and the name it is scanned as.</summary>
internal delegate bool FormatMatch(ReadOnlySpan<byte> head, long length, string view);

/// <summary>
/// One format the model scanner recognises by content (never by name alone). <see cref="ModelFormats"/> holds them all in
/// the order the scanner tries them; <see cref="ModelScanner"/> knows none of them by name.
/// </summary>
internal interface IModelFormat
{
    /// <summary>The name reports and <c>mlguard scan</c> show (<c>safetensors</c>, <c>onnx</c>, <c>zip</c>, …).</summary>
    string Name { get; }

    /// <summary>Whether the content is this format; cheap, from the head only.</summary>
    bool Matches(ReadOnlySpan<byte> head, long length, string view);

    /// <summary>Checks content that matched, reporting findings through <see cref="FormatScan.Context"/>.</summary>
    void Scan(FormatScan scan);
}

/// <summary>A format defined by two functions: the simple formats of the table need no class of their own.</summary>
internal sealed class ModelFormat(string name, FormatMatch matches, Action<FormatScan> scan) : IModelFormat
{
    public string Name { get; } = name;

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => matches(head, length, view);

    public void Scan(FormatScan scan1) => scan(scan1);
}

/// <summary>
/// What a format's <see cref="IModelFormat.Scan"/> works on: the content (seekable, positioned at 0), its head, where it
/// is in the file (the view, e.g. <c>model.pt!archive/data.pkl</c>), and a way back into the scanner for the members of
/// containers.
/// </summary>
internal sealed class FormatScan(Stream stream, byte[] head, string view, ModelScanContext context, GlobalPolicy policy, int depth, string? diskPath)
{
    public Stream Stream { get; } = stream;

    /// <summary>The first bytes of the content (up to 64 KiB).</summary>
    public byte[] Head { get; } = head;

    public string View { get; } = view;

    public ModelScanContext Context { get; } = context;

    public GlobalPolicy Policy { get; } = policy;

    /// <summary>How many containers or compressed streams enclose the content.</summary>
    public int Depth { get; } = depth;

    /// <summary>The file on disk when the content is a whole file (formats that resolve other files need it: ONNX).</summary>
    public string? DiskPath { get; } = diskPath;

    /// <summary>
    /// Scans a member of this content (an archive entry, a decompressed stream) in every view its own content allows.
    /// Returns whether it was recognised; unrecognised content outside an archive is reported (MLG303).
    /// </summary>
    public bool ScanMember(Stream member, string memberView, long compressedSize, bool insideArchive, GlobalPolicy? memberPolicy = null) =>
        ModelScanner.ScanDecompressed(member, memberView, Context, memberPolicy ?? Policy, Depth + 1, compressedSize, insideArchive);

    /// <summary>Reads the whole content into memory, failing with MLG307 past <paramref name="max"/> bytes.</summary>
    public byte[] ReadAll(long max)
    {
        if (Stream.Length > max)
        {
            throw new Containers.ScanLimitException("a configuration is larger than allowed", max);
        }

        Stream.Position = 0;
        var bytes = new byte[Stream.Length];
        Stream.ReadExactly(bytes);
        return bytes;
    }
}
