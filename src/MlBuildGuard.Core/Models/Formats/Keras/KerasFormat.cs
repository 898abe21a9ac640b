using MlBuildGuard.Core.Models.Formats.Protobuf;

namespace MlBuildGuard.Core.Models.Formats.Keras;

/// <summary>
/// Finds code that a Keras or TensorFlow model runs when it is loaded, without loading it.
/// <list type="bullet">
/// <item><see cref="ScanConfig"/>: a Keras model configuration (Keras 3 <c>config.json</c>, the Keras 2 <c>model_config</c>
/// attribute, a <c>keras_metadata.pb</c> entry). Lambda layers (MLG306), marshalled <c>__lambda__</c> functions (MLG306),
/// <c>TorchModuleWrapper</c> (MLG306: it unpickles a torch module), and every module reference (<c>module</c>,
/// <c>*_module</c>, dotted <c>registered_name</c> / <c>function</c>, TFOpLambda functions). The policy is allowlist
/// first: references into the Keras/TensorFlow namespaces (<c>keras</c>, <c>tf_keras</c>, <c>tensorflow</c>, <c>tf</c>,
/// <c>keras_nlp</c>, <c>keras_cv</c>, <c>keras_hub</c>, plus <c>numpy</c> and <c>math</c>) pass unless they name a known
/// gadget (<c>get_file</c>, <c>enable_unsafe_deserialization</c>, <c>read_file</c>/<c>write_file</c>/<c>gfile</c>,
/// <c>py_function</c>/<c>numpy_function</c>/<c>py_func</c>, <c>load_op_library</c>, …); <c>builtins.X</c> passes (Keras maps
/// it to its own activations and losses) unless X is <c>eval</c>, <c>exec</c>, <c>__import__</c>, <c>open</c>,
/// <c>getattr</c>, …; a module on the dangerous list (<c>os</c>, <c>subprocess</c>, <c>sys</c>, <c>importlib</c>,
/// <c>socket</c>, <c>pickle</c>, …, compared case-insensitively) is MLG306; any other module is a custom object, which
/// runs its own code when deserialised: MLG302 (an error in strict mode; <c>MlGuardAllowedGlobal</c> accepts it).</item>
/// <item><see cref="ScanHdf5"/>: a Keras 2 <c>.h5</c> file (see <see cref="Hdf5ConfigFinder"/> for its limits).</item>
/// <item><see cref="ScanSavedModel"/>: a TensorFlow <c>saved_model.pb</c>: the ops of every graph and library
/// function, and the Keras metadata kept in the object graph by TensorFlow 2.0–2.4 (see <see cref="SavedModelScanner"/>).</item>
/// <item><see cref="ScanKerasMetadataPb"/>: the JSON configurations inside a SavedModel's <c>keras_metadata.pb</c>.</item>
/// </list>
/// JSON is read like Python's <c>json</c> module reads it (NaN and Infinity accepted, duplicate keys allowed and all of
/// them checked), nested at most <see cref="MaxJsonDepth"/> levels; a configuration larger than
/// <see cref="ScanLimits.MaxHeaderBytes"/> is MLG307 (<see cref="KerasConfigSession"/>); the names it may import are judged by
/// <see cref="KerasConfigPolicy"/>. Names from the file are shown through <see cref="FormatText.Printable"/>.
/// </summary>
public static class KerasFormat
{
    /// <summary>How deeply a Keras configuration may nest (Python's own recursion limit is about 1,000).</summary>
    public const int MaxJsonDepth = 512;

    internal const int DefaultChunkSize = 1 << 20;

    /// <summary>How many bytes of failed JSON captures an HDF5 scan may re-read looking for configurations inside them.</summary>
    internal const long ReplayBudget = 64L << 20;

    private static readonly byte[] HdfSignature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    /// <summary>Scans a Keras model configuration (JSON, UTF-8).</summary>
    public static void ScanConfig(ReadOnlySpan<byte> json, string view, ModelScanContext context)
    {
        var session = new KerasConfigSession(view, context);
        session.ScanJson(json, KerasJsonSource.Config);
    }

    /// <summary>Whether the bytes start an HDF5 file: the superblock signature at offset 0, 512, 1024, 2048, ….</summary>
    public static bool LooksHdf5(ReadOnlySpan<byte> head)
    {
        for (long offset = 0; offset + HdfSignature.Length <= head.Length; offset = offset == 0 ? 512 : offset * 2)
        {
            if (head.Slice((int)offset, HdfSignature.Length).SequenceEqual(HdfSignature))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Scans the Keras configurations kept as text in an HDF5 file (first <paramref name="length"/> bytes).</summary>
    public static void ScanHdf5(Stream stream, long length, string view, ModelScanContext context) =>
        ScanHdf5(stream, length, view, context, DefaultChunkSize);

    internal static void ScanHdf5(Stream stream, long length, string view, ModelScanContext context, int chunkSize)
    {
        context.Recognise(view, "hdf5");
        var session = new KerasConfigSession(view, context);
        var finder = new Hdf5ConfigFinder(session);
        var buffer = new byte[Math.Max(16, chunkSize)];
        var remaining = length < 0 ? long.MaxValue : length;
        try
        {
            while (remaining > 0 && !finder.Stopped)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read <= 0)
                {
                    break;
                }

                remaining -= read;
                finder.Feed(buffer, 0, read);
            }
        }
        catch (IOException e)
        {
            session.Report303($"the file cannot be read ({e.Message})");
        }

        finder.Finish();
    }

    /// <summary>Scans a TensorFlow <c>saved_model.pb</c> (a SavedModel protobuf message) of <paramref name="length"/> bytes.</summary>
    public static void ScanSavedModel(Stream stream, long length, string view, ModelScanContext context) =>
        ReadProto(stream, length, view, context, "the TensorFlow SavedModel protobuf", "tensorflow-savedmodel", scanner => scanner.ScanSavedModel());

    /// <summary>Scans the JSON configurations inside a SavedModel's <c>keras_metadata.pb</c> (SavedMetadata).</summary>
    public static void ScanKerasMetadataPb(Stream stream, long length, string view, ModelScanContext context) =>
        ReadProto(stream, length, view, context, "keras_metadata.pb", "keras-metadata", scanner => scanner.ScanKerasMetadata());

    public static void ScanSavedModel(ReadOnlySpan<byte> savedModelPb, string view, ModelScanContext context)
    {
        using var stream = new MemoryStream(savedModelPb.ToArray(), writable: false);
        ScanSavedModel(stream, stream.Length, view, context);
    }

    public static void ScanKerasMetadataPb(ReadOnlySpan<byte> bytes, string view, ModelScanContext context)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        ScanKerasMetadataPb(stream, stream.Length, view, context);
    }

    private static void ReadProto(Stream stream, long length, string view, ModelScanContext context, string what, string format, Action<SavedModelScanner> scan)
    {
        var session = new KerasConfigSession(view, context);
        var proto = new ProtoReader(new FormatReader(stream, length), context.CancellationToken);
        try
        {
            scan(new SavedModelScanner(session, proto, context.Limits.MaxHeaderBytes));
            context.Recognise(view, format);
        }
        catch (MalformedFormatException e)
        {
            session.Report303($"{what} cannot be read (at byte {e.Offset}: {e.Message})");
        }
        catch (FormatLimitException e)
        {
            session.Report307(e.Message, e.Limit);
        }
    }
}
