using System.IO.Compression;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Containers;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models;

/// <summary>
/// The model scanner (SPEC MLG301–MLG307). Formats are recognised by content, never by name alone; a file that is
/// several formats at once (a pickle with a zip appended) is scanned in every view; containers (zip, tar, 7z, gzip,
/// zlib, bzip2, xz, lzma) are opened and their members scanned recursively within depth and size limits; what cannot be
/// recognised or parsed is MLG303, never skipped.
/// </summary>
public static class ModelScanner
{
    /// <summary>Extensions of model files: inside a folder, an unrecognised file with one of these is MLG303.</summary>
    public static readonly IReadOnlySet<string> ModelExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".onnx", ".safetensors", ".gguf", ".h5", ".hdf5", ".keras",
        ".pb", ".ckpt", ".mar", ".dill", ".sav", ".skops", ".tflite", ".mlmodel", ".pdparams", ".nemo",
    };

    private const int HeadBytes = 1 << 16;

    /// <summary>Enough for every magic and signature offset (HDF5's superblock may sit at 512, 1024 or 2048).</summary>
    private const int SniffBytes = 4096;

    /// <summary>
    /// Does the file start like a model format (for project items, which are only scanned when they are models)? Model
    /// extensions count too: a file named like a model that turns out not to be one is then MLG303, not skipped.
    /// </summary>
    public static bool LooksLikeModel(string path)
    {
        if (ModelExtensions.Contains(Path.GetExtension(path)))
        {
            return true;
        }

        try
        {
            using var stream = File.OpenRead(path);
            var head = new byte[(int)Math.Min(SniffBytes, stream.Length)];
            stream.ReadExactly(head);
            return LooksLikePickle(head) || IsZipStart(head) || NumpyFormat.Looks(head) || GgufFormat.Looks(head) || KerasFormat.LooksHdf5(head)
                || SafetensorsFormat.Looks(head, stream.Length) || OnnxFormat.Looks(head, stream.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // cannot tell: scan it, so the failure to read is reported
        }
    }

    /// <summary>Scans a model file or folder on disk; <paramref name="mustBeModel"/> makes an unrecognised single file MLG303.</summary>
    public static IReadOnlyList<Finding> ScanPath(string path, ScanOptions options, bool mustBeModel = true, CancellationToken cancellationToken = default)
    {
        var context = new ModelScanContext(Path.GetFullPath(path), options, cancellationToken);
        var policy = new GlobalPolicy(options.AllowedGlobals);
        try
        {
            if (Directory.Exists(path))
            {
                ScanFolder(Path.GetFullPath(path), context, policy);
            }
            else
            {
                ScanFile(Path.GetFullPath(path), Path.GetFileName(path), context, policy, mustBeModel || ModelExtensions.Contains(Path.GetExtension(path)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Report(RuleCatalog.ModelUnparsable, Path.GetFileName(path), $"it cannot be read ({e.Message})");
        }

        return context.Findings;
    }

    /// <summary>Scans every file of a model folder; links are not followed out of it.</summary>
    private static void ScanFolder(string folder, ModelScanContext context, GlobalPolicy policy)
    {
        var safety = new IO.PathSafety(folder);
        foreach (var file in Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
        {
            var relative = safety.ToRelative(file);
            if (safety.CheckFullPath(file) != IO.Containment.Inside)
            {
                context.Report(RuleCatalog.ModelUnparsable, relative, "it is reached through a link that leaves the model folder");
                continue;
            }

            var fileContext = new ModelScanContext(file, context.Options, context.CancellationToken);
            ScanFile(file, relative, fileContext, policy, mustBeModel: ModelExtensions.Contains(Path.GetExtension(file)) || Path.GetFileName(file) == "saved_model.pb");
            context.Findings.AddRange(fileContext.Findings);
            context.Recognised.AddRange(fileContext.Recognised);
        }
    }

    /// <summary>Scans one file on disk; <paramref name="mustBeModel"/> makes an unrecognised format MLG303.</summary>
    public static void ScanFile(string path, string view, ModelScanContext context, GlobalPolicy policy, bool mustBeModel)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        if (Path.GetFileName(path) == "saved_model.pb" && stream.Length <= context.Limits.MaxHeaderBytes)
        {
            KerasFormat.ScanSavedModel(stream, stream.Length, view, context);
            return;
        }

        if (Path.GetFileName(path) == "keras_metadata.pb" && stream.Length <= context.Limits.MaxHeaderBytes)
        {
            KerasFormat.ScanKerasMetadataPb(stream, stream.Length, view, context);
            return;
        }

        if (!mustBeModel && OnlyAPickleMagic(stream))
        {
            // A file that is not declared a model and only starts like a pickle (0x80 and a protocol byte: about one
            // random file in 16,000) is a pickle only if it reads as one, as for protocol 0/1 pickles without a magic.
            TryUnmarkedPickle(stream, view, context, policy, marked: true);
            return;
        }

        if (!ScanSeekable(stream, view, context, policy, depth: 0, diskPath: path) && mustBeModel)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "its format is not one MlBuildGuard recognises");
        }
    }

    /// <summary>
    /// Scans a seekable stream in every view its content allows. Returns whether any model format was recognised.
    /// </summary>
    internal static bool ScanSeekable(Stream stream, string view, ModelScanContext context, GlobalPolicy policy, int depth, string? diskPath)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        if (depth > context.Limits.MaxDepth)
        {
            context.Report(RuleCatalog.ScanLimitExceeded, view, "archives or compressed streams are nested deeper than allowed", context.Limits.MaxDepth);
            return true;
        }

        var head = new byte[(int)Math.Min(HeadBytes, stream.Length)];
        stream.Position = 0;
        stream.ReadExactly(head);
        var recognised = false;

        try
        {
            if (IsZipStart(head) || ZipReader.HasDirectory(stream))
            {
                recognised = true;
                ScanZip(stream, view, context, policy, depth);
            }

            if (LooksLikePickle(head))
            {
                recognised = true;
                context.Recognise(view, "pickle");
                stream.Position = 0;
                PickleScanner.Scan(stream, view, context, policy);
            }
            else
            {
                // Every other view the content allows, whether or not it is also a zip (a safetensors file with a zip
                // directory appended is still checked as safetensors).
                var other = head.Length > 0 && TryOtherFormats(stream, head, view, context, policy, depth, diskPath, out _);
                recognised |= other;
                if (!recognised)
                {
                    // A protocol 0/1 pickle has no magic: try reading it as one; the parse decides.
                    recognised = TryUnmarkedPickle(stream, view, context, policy, marked: false);
                }
            }
        }
        catch (ScanLimitException e)
        {
            context.Report(RuleCatalog.ScanLimitExceeded, view, e.Message, e.Limit);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException or IOException or SharpCompress.Common.SharpCompressException)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, $"it cannot be read ({e.Message})");
            return true;
        }

        return recognised;
    }

    private static bool TryOtherFormats(Stream stream, byte[] head, string view, ModelScanContext context, GlobalPolicy policy, int depth, string? diskPath, out bool recognised)
    {
        recognised = true;
        stream.Position = 0;
        if (NumpyFormat.Looks(head))
        {
            NumpyFormat.Scan(stream, view, context, policy);
        }
        else if (SafetensorsFormat.Looks(head, stream.Length, trustLength: !view.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)))
        {
            SafetensorsFormat.Validate(stream, stream.Length, view, context);
        }
        else if (GgufFormat.Looks(head))
        {
            GgufFormat.Validate(stream, stream.Length, view, context);
        }
        else if (KerasFormat.LooksHdf5(head))
        {
            context.Recognise(view, "hdf5");
            KerasFormat.ScanHdf5(stream, stream.Length, view, context);
        }
        else if (Compression(head) is { } compression)
        {
            context.Recognise(view, compression);
            using var decompressed = new BoundedStream(OpenDecompressed(stream, compression, head), context.Limits.MaxEntryBytes, stream.Length, context.Limits.MaxCompressionRatio, context);
            ScanDecompressed(decompressed, view + "!" + compression, context, policy, depth + 1, stream.Length);
        }
        else if (head.Length > 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8))
        {
            context.Recognise(view, "tar");
            ScanTar(stream, view, context, policy, depth);
        }
        else if (head.AsSpan().StartsWith(new byte[] { 0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C }))
        {
            context.Recognise(view, "7z");
            Scan7z(stream, view, context, policy, depth);
        }
        else if (head.AsSpan().StartsWith(new byte[] { 0x04, 0x22, 0x4D, 0x18 }))
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "it is LZ4-compressed, which MlBuildGuard cannot decompress");
        }
        else if (OnnxFormat.Looks(head, stream.Length))
        {
            context.Recognise(view, "onnx");
            if (diskPath is not null)
            {
                OnnxFormat.Validate(diskPath, view, context);
            }
            else
            {
                var temp = Spill(stream);
                try
                {
                    OnnxFormat.Validate(temp, view, context);
                }
                finally
                {
                    File.Delete(temp);
                }
            }
        }
        else
        {
            recognised = false;
        }

        return recognised;
    }

    private static void ScanZip(Stream stream, string view, ModelScanContext context, GlobalPolicy policy, int depth)
    {
        var entries = ZipReader.ReadDirectory(stream, context.Limits);
        context.Recognise(view, "zip");
        var names = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var keras = names.Contains("config.json") && (names.Contains("metadata.json") || names.Contains("model.weights.h5"));
        // A PyTorch archive keeps tensor bytes in PREFIX/data/KEY beside PREFIX/data.pkl. torch.load copies them into
        // storages and never decodes or unpickles them; they are arbitrary bytes (a few in every large checkpoint start
        // like a zlib stream or a pickle opcode), so sniffing them would only raise false alarms.
        var torchStorageFolders = names.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal))
            .Select(n => n[..^"data.pkl".Length] + "data/").ToList();
        foreach (var entry in entries.Where(e => !e.Name.EndsWith('/')))
        {
            var entryView = view + "!" + entry.Name;
            if (torchStorageFolders.Any(f => entry.Name.StartsWith(f, StringComparison.Ordinal) && entry.Name.IndexOf('/', f.Length) < 0)
                && !entry.Name.EndsWith(".pkl", StringComparison.Ordinal))
            {
                context.Recognise(entryView, "torch-storage");
                continue;
            }

            try
            {
                using var data = ZipReader.Open(stream, entry, context);
                if (keras && entry.Name == "config.json")
                {
                    context.Recognise(entryView, "keras-config");
                    KerasFormat.ScanConfig(ReadBounded(data, context.Limits.MaxHeaderBytes), entryView, context);
                    continue;
                }

                // An entry flagged as encrypted is read as stored bytes (as PyTorch ignores the flag); if that reads as nothing
                // known, it really is encrypted, and nothing can be shown about it.
                var encrypted = (entry.Flags & 0x1) != 0;
                if (!ScanDecompressed(data, entryView, context, policy, depth + 1, entry.CompressedSize, insideArchive: !encrypted) && encrypted)
                {
                    context.Report(RuleCatalog.ModelUnparsable, entryView, "it is encrypted");
                }
            }
            catch (ScanLimitException e)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, entryView, e.Message, e.Limit);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException or IOException)
            {
                context.Report(RuleCatalog.ModelUnparsable, entryView, $"it cannot be read ({e.Message})");
            }
        }
    }

    /// <summary>Scans content that is read once (an archive member, a decompressed stream).</summary>
    /// <returns>Whether the content was recognised as a format.</returns>
    private static bool ScanDecompressed(Stream data, string view, ModelScanContext context, GlobalPolicy policy, int depth, long compressedSize, bool insideArchive = false)
    {
        if (depth > context.Limits.MaxDepth)
        {
            context.Report(RuleCatalog.ScanLimitExceeded, view, "archives or compressed streams are nested deeper than allowed", context.Limits.MaxDepth);
            return true;
        }

        var head = new byte[HeadBytes];
        var n = data.ReadAtLeast(head, HeadBytes, throwOnEndOfStream: false);
        var headSpan = head.AsSpan(0, n);
        if (LooksLikePickle(headSpan) && !IsZipStart(headSpan))
        {
            // Stream the pickle straight through: its payloads are skipped, never held in memory.
            context.Recognise(view, "pickle");
            PickleScanner.Scan(new ConcatStream(head, n, data), view, context, policy);
            return true;
        }

        // Everything else needs random access: a stored archive member has it already; anything else is kept in memory
        // when small, on disk when not (bounded by the limits).
        using var spilled = data.CanSeek ? null : Spool(head, n, data);
        if (data.CanSeek)
        {
            data.Position = 0;
        }

        var recognised = ScanSeekable(spilled ?? data, view, context, policy, depth, diskPath: null);
        if (!recognised && !insideArchive)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "its format is not one MlBuildGuard recognises");
        }

        return recognised;
    }

    private static void ScanTar(Stream stream, string view, ModelScanContext context, GlobalPolicy policy, int depth)
    {
        stream.Position = 0;
        using var reader = SharpCompress.Readers.Tar.TarReader.OpenReader(stream, new SharpCompress.Readers.ReaderOptions { LeaveStreamOpen = true });
        var count = 0;
        while (reader.MoveToNextEntry())
        {
            if (reader.Entry.IsDirectory)
            {
                continue;
            }

            if (++count > context.Limits.MaxArchiveEntries)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, view, "the archive holds more entries than allowed", context.Limits.MaxArchiveEntries);
                return;
            }

            using var entry = new BoundedStream(reader.OpenEntryStream(), context.Limits.MaxEntryBytes, 0, context.Limits.MaxCompressionRatio, context);
            ScanDecompressed(entry, view + "!" + reader.Entry.Key, context, policy, depth + 1, 0, insideArchive: true);
        }
    }

    private static void Scan7z(Stream stream, string view, ModelScanContext context, GlobalPolicy policy, int depth)
    {
        stream.Position = 0;
        using var archive = SharpCompress.Archives.SevenZip.SevenZipArchive.OpenArchive(stream, new SharpCompress.Readers.ReaderOptions { LeaveStreamOpen = true });
        var count = 0;
        foreach (var entry in archive.Entries.Where(e => !e.IsDirectory))
        {
            if (++count > context.Limits.MaxArchiveEntries)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, view, "the archive holds more entries than allowed", context.Limits.MaxArchiveEntries);
                return;
            }

            using var data = new BoundedStream(entry.OpenEntryStream(), context.Limits.MaxEntryBytes, entry.CompressedSize, context.Limits.MaxCompressionRatio, context);
            ScanDecompressed(data, view + "!" + entry.Key, context, policy, depth + 1, entry.CompressedSize, insideArchive: true);
        }
    }

    /// <summary>Compression wrappers joblib (and others) write, by their magic bytes.</summary>
    private static string? Compression(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(new byte[] { 0x1F, 0x8B }))
        {
            return "gzip";
        }

        if (head.Length >= 2 && head[0] == 0x78 && (head[0] * 256 + head[1]) % 31 == 0)
        {
            return "zlib";
        }

        if (head.StartsWith("BZh"u8))
        {
            return "bzip2";
        }

        if (head.StartsWith(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 }))
        {
            return "xz";
        }

        if (head.Length >= 13 && head[0] == 0x5D && head[1] == 0x00 && head[2] == 0x00)
        {
            return "lzma";
        }

        return head.StartsWith("ZF"u8) && ZlibStartAfterZFileHeader(head) >= 0 ? "joblib-zfile" : null;
    }

    private static Stream OpenDecompressed(Stream stream, string kind, byte[] head)
    {
        stream.Position = 0;
        return DecoderStream.Open(kind, () => kind switch
        {
            "gzip" => new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true),
            "zlib" => new ZLibStream(stream, CompressionMode.Decompress, leaveOpen: true),
            "bzip2" => SharpCompress.Compressors.BZip2.BZip2Stream.Create(new DecoderInput(stream, byteReadsStopAtEnd: false), SharpCompress.Compressors.CompressionMode.Decompress, true, true),
            "xz" => new SharpCompress.Compressors.Xz.XZStream(new DecoderInput(stream, byteReadsStopAtEnd: true)),
            "lzma" => Lzma(stream, head),
            "joblib-zfile" => JoblibZFile(stream, head),
            _ => throw new NotSupportedException(kind),
        });
    }

    private const long MaxLzmaDictionary = 256L << 20;

    private static Stream Lzma(Stream stream, byte[] head)
    {
        var properties = head[..5];
        var outputSize = BitConverter.ToInt64(head, 5);
        // The decoder allocates its whole dictionary up front: a header may not make it allocate more than the limit.
        var dictionary = BitConverter.ToUInt32(head, 1);
        if (dictionary > MaxLzmaDictionary)
        {
            throw new ScanLimitException($"the LZMA stream asks for a {dictionary}-byte dictionary", MaxLzmaDictionary);
        }

        stream.Position = 13;
        return SharpCompress.Compressors.LZMA.LzmaStream.Create(properties, new DecoderInput(stream, byteReadsStopAtEnd: true), stream.Length - 13, outputSize, true);
    }

    /// <summary>
    /// Old joblib "ZF" files: the prefix, a text length field (e.g. <c>0x35</c> padded with spaces), then a zlib stream.
    /// The stream starts at the first byte pair that is a valid zlib header (CMF 0x78, checksum divisible by 31).
    /// </summary>
    private static int ZlibStartAfterZFileHeader(ReadOnlySpan<byte> head)
    {
        for (var i = 2; i + 1 < Math.Min(head.Length, 64); i++)
        {
            if (head[i] == 0x78 && ((head[i] << 8) | head[i + 1]) % 31 == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static Stream JoblibZFile(Stream stream, byte[] head)
    {
        stream.Position = ZlibStartAfterZFileHeader(head);
        return new ZLibStream(stream, CompressionMode.Decompress, leaveOpen: true);
    }

    private static bool IsZipStart(ReadOnlySpan<byte> head) => head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8);

    /// <summary>A pickle of protocol 2 or later starts with PROTO (0x80) and its version.</summary>
    private static bool LooksLikePickle(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5;

    /// <summary>Whether the stream starts with a pickle's protocol marker and holds no zip directory (no second reading).</summary>
    private static bool OnlyAPickleMagic(Stream stream)
    {
        Span<byte> head = stackalloc byte[2];
        stream.Position = 0;
        var isPickle = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && LooksLikePickle(head);
        return isPickle && !ZipReader.HasDirectory(stream);
    }

    /// <summary>How far into a stream that starts with a pickle marker a parse failure still means "not a pickle".</summary>
    private const int MarkedFailureWindow = 64;

    /// <summary>
    /// Protocol 0/1 pickles have no magic, and a file nobody declared a model may start like a pickle by chance: read the
    /// stream as one and decide from the result. It is a pickle (and every finding is kept) when it parses, imports
    /// something, or runs into a scan limit — data that merely looks like opcodes fails within a few bytes. Nothing runs
    /// while a pickle loads before its first import, so a stream that fails before importing cannot execute code. With a
    /// protocol marker the bar is higher: only a failure within the first <see cref="MarkedFailureWindow"/> bytes, with
    /// nothing else found, makes it "not a pickle"; a marked stream that parses further and then breaks is MLG303.
    /// </summary>
    private static bool TryUnmarkedPickle(Stream stream, string view, ModelScanContext context, GlobalPolicy policy, bool marked)
    {
        stream.Position = 0;
        var trial = new ModelScanContext(context.FilePath, context.Options, context.CancellationToken);
        PickleScanner.Scan(stream, view, trial, policy);
        var parsed = trial.Findings.Count == 0;
        var significant = trial.Findings.Any(f => f.Code != "MLG303"); // imports (MLG301/302), limits (MLG307)
        var failedEarly = trial.FirstPickleFailureAt is { } at && at < MarkedFailureWindow;
        var isPickle = parsed || significant || (marked && !failedEarly);
        if (!isPickle)
        {
            return false;
        }

        context.Recognise(view, "pickle");
        context.Findings.AddRange(trial.Findings);
        return true;
    }

    private static byte[] ReadBounded(Stream data, long max)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = data.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > max)
            {
                throw new ScanLimitException("a configuration is larger than allowed", max);
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    /// <summary>Keeps read-once content seekable: in memory up to 64 MiB, then in a temporary file deleted on close.</summary>
    private static Stream Spool(byte[] head, int count, Stream rest)
    {
        Stream target = new MemoryStream();
        try
        {
            target.Write(head, 0, count);
            var chunk = new byte[1 << 16];
            int n;
            while ((n = rest.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (target is MemoryStream memory && memory.Length > (64L << 20))
                {
                    var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
                    memory.Position = 0;
                    memory.CopyTo(file);
                    target = file;
                }

                target.Write(chunk, 0, n);
            }

            target.Position = 0;
            return target;
        }
        catch
        {
            // A scan limit or a damaged stream stops the copy: the temporary file goes with it.
            target.Dispose();
            throw;
        }
    }

    private static string Spill(Stream stream)
    {
        var path = Path.Combine(Path.GetTempPath(), "mlguard-" + Guid.NewGuid().ToString("N") + ".onnx");
        stream.Position = 0;
        using var file = File.Create(path);
        stream.CopyTo(file);
        return path;
    }

    /// <summary>The bytes already read followed by the rest of the stream.</summary>
    private sealed class ConcatStream(byte[] head, int headCount, Stream rest) : Containers.ReadOnlyStream
    {
        private int _at;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at < headCount)
            {
                var n = Math.Min(count, headCount - _at);
                Array.Copy(head, _at, buffer, offset, n);
                _at += n;
                return n;
            }

            return rest.Read(buffer, offset, count);
        }
    }
}
