using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats.Protobuf;

namespace MlBuildGuard.Core.Models.Formats.CoreMl;

/// <summary>
/// Core ML models (<c>.mlmodel</c>, and the <c>model.mlmodel</c> inside an <c>.mlpackage</c> folder): a protobuf
/// <c>Model</c> message. Core ML runs only its own layers and operations (custom layers and custom models are classes
/// the loading application must already contain), so a model cannot carry code; it is validated structurally with the
/// scanner's protobuf reader: a specification version, a description, and exactly one model type, every field the
/// wire format allows. A malformed or truncated one is MLG303.
/// </summary>
internal sealed class CoreMlFormat : IModelFormat
{
    /// <summary>The numbers of <c>Model</c>'s <c>Type</c> oneof (pipelines, regressors, classifiers, neural networks,
    /// ML programs, feature engineering, Apple's built-in models).</summary>
    private static readonly HashSet<int> ModelTypes =
    [
        200, 201, 202, 300, 301, 302, 303, 304, 400, 401, 402, 403, 404, 500, 501, 502, 555, 556, 560,
        600, 601, 602, 603, 604, 606, 607, 609, 610, 900, 2000, 2001, 2002, 2003, 2004, 2005, 2006, 3000,
    ];

    private static readonly ProtoSchema Model = ProtoSchema.Define("Model",
        [(1, "specificationVersion", ProtoKind.Varint), (2, "description", ProtoKind.Len), (10, "isUpdatable", ProtoKind.Varint),
         .. ModelTypes.Select(n => (n, "model type " + n, ProtoKind.Len))]);

    private static readonly ProtoSchema ModelDescription = ProtoSchema.Define("ModelDescription",
        (1, "input", ProtoKind.Len), (10, "output", ProtoKind.Len), (11, "predictedFeatureName", ProtoKind.Len),
        (12, "predictedProbabilitiesName", ProtoKind.Len), (13, "trainingInput", ProtoKind.Len), (100, "metadata", ProtoKind.Len));

    private static readonly ProtoSchema FeatureDescription = ProtoSchema.Define("FeatureDescription",
        (1, "name", ProtoKind.Len), (2, "shortDescription", ProtoKind.Len), (3, "type", ProtoKind.Len));

    public string Name => "coreml";

    /// <summary>specificationVersion (field 1, a small varint) first, then the description (field 2), as Core ML writes them.</summary>
    public bool Matches(ReadOnlySpan<byte> head, long length, string view) =>
        head.Length >= 4 && head[0] == 0x08 && head[1] is >= 1 and <= 20 && head[2] == 0x12;

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        var proto = new ProtoReader(new FormatReader(scan.Stream, scan.Stream.Length), scan.Context.CancellationToken);
        try
        {
            ulong version = 0;
            var description = false;
            var types = new List<int>();
            proto.Message(Model, proto.Length, (field, end) =>
            {
                switch (field)
                {
                    case 1:
                        version = proto.ReadVarint(end);
                        return true;
                    case 2:
                        description = true;
                        proto.Message(ModelDescription, end, (f, e) =>
                        {
                            if (f is 1 or 10 or 13)
                            {
                                proto.Message(FeatureDescription, e, (_, _) => false);
                                return true;
                            }

                            return false;
                        });
                        return true;
                    case 10:
                        return false;
                    default:
                        types.Add(field);
                        return false;
                }
            });

            if (version is 0 or > 20 || !description || types.Count != 1)
            {
                var problem = version is 0 or > 20 ? $"its specification version is {version}"
                    : !description ? "it has no model description"
                    : $"it holds {types.Count} model types instead of one";
                scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"the Core ML model is malformed ({problem})");
            }
        }
        catch (MalformedFormatException e)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"the Core ML protobuf is malformed at byte {e.Offset} ({e.Message})");
        }
    }
}
