using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Containers;
using MlBuildGuard.Core.Models.Formats;
using MlBuildGuard.Core.Models.Formats.Keras;
using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models;

/// <summary>
/// The model scanner (SPEC MLG301–MLG307). Formats are recognised by content, never by name alone (the table is
/// <see cref="ModelFormats"/>); a file that is several formats at once (a pickle with a zip appended) is scanned in every
/// view; containers are opened and their members scanned recursively within depth and size limits; what cannot be
/// recognised or parsed is MLG303, never skipped.
/// </summary>
public static class ModelScanner
{
    /// <summary>Extensions of model files: inside a folder, an unrecognised file with one of these is MLG303.</summary>
    public static readonly IReadOnlySet<string> ModelExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".onnx", ".safetensors", ".gguf", ".h5", ".hdf5", ".keras",
        ".pb", ".ckpt", ".mar", ".dill", ".sav", ".skops", ".tflite", ".mlmodel", ".pdparams", ".nemo", ".ptl", ".ubj", ".pmml",
    };

    private const int HeadBytes = 1 << 16;

    /// <summary>Enough for every magic and signature offset (HDF5's superblock may sit at 512, 1024 or 2048).</summary>
    private const int SniffBytes = 4096;

    /// <summary>How far into a stream that starts with a pickle marker a parse failure still means "not a pickle".</summary>
    private const int MarkedFailureWindow = 64;

    /// <summary>
    /// Does the file start like a model format that could run code or that has a header to check (for project items,
    /// which are only scanned when they are models)? Model extensions count too: a file named like a model that turns out
    /// not to be one is then MLG303, not skipped.
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
            return PickleStart(head) || ModelFormats.Sniffed.Any(f => f.Matches(head, stream.Length, path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // cannot tell: scan it, so the failure to read is reported
        }
    }

    /// <summary>Scans a model file or folder on disk; <paramref name="mustBeModel"/> makes an unrecognised single file MLG303.</summary>
    public static IReadOnlyList<Finding> ScanPath(string path, ScanOptions options, bool mustBeModel = true, CancellationToken cancellationToken = default) =>
        Scan(path, options, mustBeModel, cancellationToken).Findings;

    /// <summary>
    /// Scans a model file or folder on disk and reports, besides the findings, each file looked at with the formats
    /// found in it (or that it was skipped as not a model).
    /// </summary>
    public static ModelScanResult Scan(string path, ScanOptions options, bool mustBeModel = true, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        var policy = new GlobalPolicy(options.AllowedGlobals);
        var result = new ModelScanResult();
        if (Directory.Exists(full))
        {
            ScanFolder(full, options, policy, result, cancellationToken);
            return result;
        }

        var context = new ModelScanContext(full, options, cancellationToken);
        ScanOneFile(full, Path.GetFileName(full), context, policy, mustBeModel || ModelExtensions.Contains(Path.GetExtension(full)));
        result.Add(Path.GetFileName(full), context);
        return result;
    }

    /// <summary>Scans every file of a model folder; links are not followed out of it.</summary>
    private static void ScanFolder(string folder, ScanOptions options, GlobalPolicy policy, ModelScanResult result, CancellationToken cancellationToken)
    {
        var safety = new IO.PathSafety(folder);
        var files = Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var relative = safety.ToRelative(file);
            var context = new ModelScanContext(file, options, cancellationToken);
            if (safety.CheckFullPath(file) != IO.Containment.Inside)
            {
                context.Report(RuleCatalog.ModelUnparsable, relative, "it is reached through a link that leaves the model folder");
            }
            else
            {
                ScanOneFile(file, relative, context, policy, mustBeModel: ModelExtensions.Contains(Path.GetExtension(file)) || Path.GetFileName(file) == "saved_model.pb");
            }

            result.Add(relative, context);
        }
    }

    private static void ScanOneFile(string path, string view, ModelScanContext context, GlobalPolicy policy, bool mustBeModel)
    {
        try
        {
            ScanFile(path, view, context, policy, mustBeModel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, $"it cannot be read ({e.Message})");
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
            context.Report(RuleCatalog.ModelUnparsable, view,
                "its format is not one MlBuildGuard recognises (if it is not a model, do not declare it as MlModel; if it is a model in a format "
                + "MLG303's page does not list, suppress MLG303 for it with a justification that names the format)");
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
        var scan = new FormatScan(stream, head, view, context, policy, depth, diskPath);
        var recognised = false;

        try
        {
            if (ZipArchiveFormat.IsZipStart(head) || ZipArchiveFormat.HasDirectory(stream))
            {
                recognised = true;
                ZipArchiveFormat.Instance.Scan(scan);
            }

            if (PickleStart(head))
            {
                recognised = true;
                context.Recognise(view, "pickle");
                stream.Position = 0;
                PickleScanner.Scan(stream, view, context, policy);
                return true;
            }

            // Every other view the content allows, whether or not it is also a zip (a safetensors file with a zip
            // directory appended is still checked as safetensors).
            if (head.Length > 0 && Scan(ModelFormats.Binary, scan))
            {
                return true;
            }

            // A protocol 0/1 pickle has no magic and may look like text: read it as one first; the parse decides.
            if (!recognised && TryUnmarkedPickle(stream, view, context, policy, marked: false))
            {
                return true;
            }

            // Text formats last: they accept what the binary formats and a pickle did not, unless the name promises a
            // binary model (text named model.pkl is not the model a loader expects).
            return recognised || (head.Length > 0 && !NamedBinaryModel(view) && Scan(ModelFormats.Text, scan));
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
    }

    /// <summary>Runs the first format of <paramref name="formats"/> that matches; false when none does.</summary>
    private static bool Scan(IReadOnlyList<IModelFormat> formats, FormatScan scan)
    {
        foreach (var format in formats)
        {
            if (format.Matches(scan.Head, scan.Stream.Length, scan.View))
            {
                scan.Stream.Position = 0;
                format.Scan(scan);
                return true;
            }
        }

        return false;
    }

    /// <summary>Scans content that is read once (an archive member, a decompressed stream).</summary>
    /// <returns>Whether the content was recognised as a format.</returns>
    internal static bool ScanDecompressed(Stream data, string view, ModelScanContext context, GlobalPolicy policy, int depth, long compressedSize, bool insideArchive = false)
    {
        if (depth > context.Limits.MaxDepth)
        {
            context.Report(RuleCatalog.ScanLimitExceeded, view, "archives or compressed streams are nested deeper than allowed", context.Limits.MaxDepth);
            return true;
        }

        var head = new byte[HeadBytes];
        var n = data.ReadAtLeast(head, HeadBytes, throwOnEndOfStream: false);
        var headSpan = head.AsSpan(0, n);
        if (PickleStart(headSpan) && !ZipArchiveFormat.IsZipStart(headSpan))
        {
            // Stream the pickle straight through: its payloads are skipped, never held in memory.
            context.Recognise(view, "pickle");
            PickleScanner.Scan(new ConcatStream(head, n, data), view, context, policy);
            return true;
        }

        // Everything else needs random access: a stored archive member has it already; anything else is kept in memory
        // when small, on disk when not (bounded by the limits).
        using var spilled = data.CanSeek ? null : Spooling.Spool(head, n, data);
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

    /// <summary>Whether the name has the extension of a binary model format (every model extension but PMML's).</summary>
    private static bool NamedBinaryModel(string view)
    {
        var extension = Path.GetExtension(view);
        return ModelExtensions.Contains(extension) && !extension.Equals(".pmml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A pickle of protocol 2 or later starts with PROTO (0x80) and its version.</summary>
    private static bool PickleStart(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5;

    /// <summary>Whether the stream starts with a pickle's protocol marker and holds no zip directory (no second reading).</summary>
    private static bool OnlyAPickleMagic(Stream stream)
    {
        Span<byte> head = stackalloc byte[2];
        stream.Position = 0;
        var isPickle = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && PickleStart(head);
        return isPickle && !ZipArchiveFormat.HasDirectory(stream);
    }

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
}
