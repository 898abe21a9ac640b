using MlBuildGuard.Core.Models.Containers;
using MlBuildGuard.Core.Models.Formats.Keras;
using MlBuildGuard.Core.Models.Formats.CoreMl;
using MlBuildGuard.Core.Models.Formats.Gbdt;
using MlBuildGuard.Core.Models.Formats.Onnx;
using MlBuildGuard.Core.Models.Formats.Pmml;
using MlBuildGuard.Core.Models.Formats.Text;
using MlBuildGuard.Core.Models.Formats.TfLite;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>
/// Every format the model scanner recognises, in the order it tries them. Zip archives and pickles are the two views the
/// scanner always tries first (a file may be both, or either plus one of these); then the first binary format whose
/// content matches; then, for content that is none of those and not a protocol 0/1 pickle, the first text format.
/// </summary>
internal static class ModelFormats
{
    public static IModelFormat Numpy { get; } = new ModelFormat("npy",
        (head, _, _) => NumpyFormat.Looks(head),
        scan => NumpyFormat.Scan(scan.Stream, scan.View, scan.Context, scan.Policy));

    public static IModelFormat Safetensors { get; } = new ModelFormat("safetensors",
        (head, length, view) => SafetensorsFormat.Looks(head, length, trustLength: !view.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)),
        scan => SafetensorsFormat.Validate(scan.Stream, scan.Stream.Length, scan.View, scan.Context));

    public static IModelFormat Gguf { get; } = new ModelFormat("gguf",
        (head, _, _) => GgufFormat.Looks(head),
        scan => GgufFormat.Validate(scan.Stream, scan.Stream.Length, scan.View, scan.Context));

    public static IModelFormat Hdf5 { get; } = new ModelFormat("hdf5",
        (head, _, _) => KerasFormat.LooksHdf5(head),
        scan => KerasFormat.ScanHdf5(scan.Stream, scan.Stream.Length, scan.View, scan.Context));

    public static IModelFormat Onnx { get; } = new ModelFormat("onnx", (head, length, _) => OnnxFormat.Looks(head, length), ScanOnnx);

    public static IModelFormat TfLite { get; } = new TfLiteFormat();

    public static YamlConfigFormat Yaml { get; } = new YamlConfigFormat();

    public static IModelFormat PlainText { get; } = new PlainTextFormat(Yaml);

    /// <summary>Formats with a structure of their own, tried in this order.</summary>
    public static IReadOnlyList<IModelFormat> Binary { get; } =
    [
        Numpy, Safetensors, Gguf, Hdf5, new CompressedStreamFormat(), new TarArchiveFormat(), new SevenZipArchiveFormat(), new Lz4Format(), Onnx,
        TfLite, new CoreMlFormat(), new XgboostUbjsonFormat(),
    ];

    /// <summary>Formats that are text, tried when no binary format matched and the content is not a protocol 0/1 pickle.</summary>
    public static IReadOnlyList<IModelFormat> Text { get; } =
        [new LightGbmTextFormat(), new PmmlFormat(), new JsonConfigFormat(PlainText), Yaml, PlainText];

    /// <summary>
    /// The formats a project item is sniffed for (besides pickles): those with a distinctive start that can run code or
    /// have a header to check. Text formats and weakly marked ones (Core ML, UBJSON) count only when declared.
    /// </summary>
    public static IReadOnlyList<IModelFormat> Sniffed { get; } = [ZipArchiveFormat.Instance, Numpy, Gguf, Hdf5, Safetensors, Onnx, TfLite];

    private static void ScanOnnx(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, "onnx");
        if (scan.DiskPath is not null)
        {
            OnnxFormat.Validate(scan.DiskPath, scan.View, scan.Context);
            return;
        }

        // ONNX resolves external data beside the model: a member of an archive is checked from a temporary copy.
        var temp = Spooling.Spill(scan.Stream, ".onnx");
        try
        {
            OnnxFormat.Validate(temp, scan.View, scan.Context);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
