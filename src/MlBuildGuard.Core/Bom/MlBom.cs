using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using MlBuildGuard.Core.Metrics;
using MlBuildGuard.Core.Provenance;

namespace MlBuildGuard.Core.Bom;

/// <summary>
/// Writes <c>mlguard.cdx.json</c>: a CycloneDX 1.6 ML bill of materials with the produced models
/// (<c>machine-learning-model</c>), the models it consumed (<c>machine-learning-model</c>, scope required, with their
/// signature verdict), the training data (<c>data</c>) and the NuGet packages (<c>library</c>, purl and SHA-512), and a
/// dependency graph project → produced models → data, consumed models and direct packages.
/// <para>
/// Written directly with <see cref="Utf8JsonWriter"/> rather than CycloneDX.Core, which is not available from the
/// package registry this repository builds against; the output is checked against CycloneDX's own strict 1.6 schema by
/// the tests (<c>tests/tools/schema-validation</c>).
/// </para>
/// <para>
/// Reproducible like the provenance: no timestamp unless <see cref="BuildMaterials.SourceDateEpoch"/> pins one, sorted
/// components, and a serial number derived from the content (UUID version 8 from its SHA-256), so the same build yields
/// the same bytes and a different build a different serial number.
/// </para>
/// </summary>
public static class MlBom
{
    public const string SpecVersion = "1.6";

    /// <summary>Prefix of MlBuildGuard's own property names (CycloneDX property taxonomy convention: <c>namespace:name</c>).</summary>
    public const string PropertyPrefix = "mlbuildguard:";

    /// <summary>The BOM as UTF-8 JSON: 2-space indentation, '\n' line ends, final newline.</summary>
    /// <exception cref="ArgumentException">
    /// A digest is not hex of the right length, a path is absolute, or one name is listed twice with different details.
    /// </exception>
    public static byte[] Write(BuildMaterials m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var content = new Content(
            m,
            MaterialText.Ordered(m.Models),
            MaterialText.Ordered(m.TrainingInputs),
            MaterialText.Ordered(m.ConsumedModels),
            MaterialText.Ordered(m.Packages),
            MaterialText.Ordered(m.Metrics));

        // The serial number names the content: hash the document without it, then write it in.
        var digest = SHA256.HashData(MaterialText.Document(writer => WriteBom(writer, content, serialNumber: null)));
        return MaterialText.Document(writer => WriteBom(writer, content, SerialNumber(digest)));
    }

    /// <summary><c>urn:uuid:</c> of the first 16 digest bytes with the RFC 9562 version 8 (custom) and variant bits set.</summary>
    private static string SerialNumber(byte[] digest)
    {
        var bytes = digest.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static void WriteBom(Utf8JsonWriter writer, Content content, string? serialNumber)
    {
        var m = content.Materials;
        writer.WriteStartObject();
        writer.WriteString("bomFormat", "CycloneDX");
        writer.WriteString("specVersion", SpecVersion);
        if (serialNumber is not null)
        {
            writer.WriteString("serialNumber", serialNumber);
        }

        writer.WriteNumber("version", 1);
        writer.WriteStartObject("metadata");
        if (m.SourceDateEpoch is { } epoch)
        {
            writer.WriteString("timestamp", MaterialText.Timestamp(epoch));
        }

        writer.WriteStartObject("tools");
        writer.WriteStartArray("components");
        writer.WriteStartObject();
        writer.WriteString("type", "application");
        writer.WriteString("name", "MlBuildGuard");
        writer.WriteString("version", m.ToolVersion);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartObject("component");
        writer.WriteString("type", "application");
        writer.WriteString("bom-ref", content.ProjectRef);
        writer.WriteString("name", m.ProjectName);
        writer.WriteEndObject();
        writer.WriteEndObject();

        writer.WriteStartArray("components");
        foreach (var model in content.Models)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "machine-learning-model");
            writer.WriteString("bom-ref", ModelRef(model));
            writer.WriteString("name", model.Name);
            WriteHash(writer, "SHA-256", MaterialText.Hex(model.Sha256, 32, "model SHA-256"));
            WriteProperties(writer, ("format", model.Format), ("size", Number(model.Size)));
            WriteModelCard(writer, content.Metrics);
            writer.WriteEndObject();
        }

        foreach (var input in content.TrainingInputs)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "data");
            writer.WriteString("bom-ref", DataRef(input));
            writer.WriteString("name", input.Name);
            WriteHash(writer, "SHA-256", MaterialText.Hex(input.Sha256, 32, "training input SHA-256"));
            writer.WriteStartArray("data");
            writer.WriteStartObject();
            writer.WriteString("type", "dataset");
            writer.WriteString("name", input.Name);
            if (input.PersonalDataKinds is { Count: > 0 } kinds)
            {
                // What MLG802 found in it (reported, or accepted with Pii="allow"): kinds only, never values.
                writer.WriteStartArray("sensitiveData");
                foreach (var kind in kinds.Order(StringComparer.Ordinal))
                {
                    writer.WriteStringValue(kind);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            WriteProperties(writer,
                ("size", Number(input.Size)),
                ("source", input.Source is null ? null : MaterialText.WithoutCredentials(input.Source)));
            writer.WriteEndObject();
        }

        foreach (var model in content.ConsumedModels)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "machine-learning-model");
            writer.WriteString("bom-ref", ConsumedRef(model));
            writer.WriteString("name", model.Name);
            writer.WriteString("scope", "required");
            WriteHash(writer, "SHA-256", MaterialText.Hex(model.Sha256, 32, "consumed model SHA-256"));
            WriteProperties(writer,
                ("keyFingerprint", model.KeyFingerprint is null ? null : MaterialText.Hex(model.KeyFingerprint, 32, "key fingerprint")),
                ("signature", model.Signature),
                ("size", Number(model.Size)));
            writer.WriteEndObject();
        }

        foreach (var package in content.Packages)
        {
            var purl = MaterialText.NuGetPurl(package.Id, package.Version);
            writer.WriteStartObject();
            writer.WriteString("type", "library");
            writer.WriteString("bom-ref", purl);
            writer.WriteString("name", package.Id);
            writer.WriteString("version", package.Version);
            writer.WriteString("scope", "required");
            if (package.Sha512Hex is { } sha512)
            {
                WriteHash(writer, "SHA-512", MaterialText.Hex(sha512, 64, "package SHA-512"));
            }

            writer.WriteString("purl", purl);
            WriteProperties(writer, ("direct", package.Direct ? "true" : "false"), ("nugetContentHash", package.ContentHash));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteDependencies(writer, content);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Every component once, in component order: the project needs the models; each model was made from all the
    /// training data and the directly referenced packages; data depends on nothing; each package depends on the packages
    /// restore resolved for it (<see cref="BuildMaterials.PackageDependencies"/>, from the assets file).
    /// </summary>
    private static void WriteDependencies(Utf8JsonWriter writer, Content content)
    {
        var modelRefs = content.Models.Select(ModelRef).Order(StringComparer.Ordinal).ToList();
        var madeFrom = content.TrainingInputs.Select(DataRef)
            .Concat(content.ConsumedModels.Select(ConsumedRef))
            .Concat(content.Packages.Where(p => p.Direct).Select(p => MaterialText.NuGetPurl(p.Id, p.Version)))
            .Order(StringComparer.Ordinal).ToList();

        writer.WriteStartArray("dependencies");
        WriteDependency(writer, content.ProjectRef, modelRefs);
        foreach (var model in content.Models)
        {
            WriteDependency(writer, ModelRef(model), madeFrom);
        }

        foreach (var input in content.TrainingInputs)
        {
            WriteDependency(writer, DataRef(input), []);
        }

        foreach (var model in content.ConsumedModels)
        {
            WriteDependency(writer, ConsumedRef(model), []);
        }

        foreach (var package in content.Packages)
        {
            var purl = MaterialText.NuGetPurl(package.Id, package.Version);
            WriteDependency(writer, purl, content.Materials.PackageDependencies.TryGetValue(purl, out var dependsOn) ? dependsOn : []);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// <c>modelCard.quantitativeAnalysis.performanceMetrics</c>: the quality gate's results. The metrics files are the
    /// build's, not one model's, so every model of the build carries them all.
    /// </summary>
    private static void WriteModelCard(Utf8JsonWriter writer, IReadOnlyList<MetricMaterial> metrics)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        writer.WriteStartObject("modelCard");
        writer.WriteStartObject("quantitativeAnalysis");
        writer.WriteStartArray("performanceMetrics");
        foreach (var metric in metrics)
        {
            var performance = PerformanceMetric.From(metric.Metric, metric.Value, metric.Baseline, metric.Passed);
            writer.WriteStartObject();
            writer.WriteString("type", performance.Type);
            writer.WriteString("value", performance.Value);
            if (performance.Slice is not null)
            {
                writer.WriteString("slice", performance.Slice);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteDependency(Utf8JsonWriter writer, string reference, IReadOnlyList<string> dependsOn)
    {
        writer.WriteStartObject();
        writer.WriteString("ref", reference);
        writer.WriteStartArray("dependsOn");
        foreach (var item in dependsOn)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteHash(Utf8JsonWriter writer, string algorithm, string hex)
    {
        writer.WriteStartArray("hashes");
        writer.WriteStartObject();
        writer.WriteString("alg", algorithm);
        writer.WriteString("content", hex);
        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    /// <summary>Name/value pairs with <see cref="PropertyPrefix"/>, in the order given (alphabetical at every call), nulls left out.</summary>
    private static void WriteProperties(Utf8JsonWriter writer, params (string Name, string? Value)[] properties)
    {
        writer.WriteStartArray("properties");
        foreach (var (name, value) in properties)
        {
            if (value is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("name", PropertyPrefix + name);
                writer.WriteString("value", value);
                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
    }

    private static string ModelRef(ProducedModel model) => "model:" + MaterialText.Relative(model.Name, "model name");

    private static string ConsumedRef(ConsumedModelMaterial model) => "consumed-model:" + MaterialText.Relative(model.Name, "consumed model name");

    private static string DataRef(TrainingInputMaterial input) => "data:" + MaterialText.Relative(input.Name, "training input name");

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The materials in document order, sorted once for both passes of <see cref="Write"/>.</summary>
    private sealed record Content(
        BuildMaterials Materials,
        IReadOnlyList<ProducedModel> Models,
        IReadOnlyList<TrainingInputMaterial> TrainingInputs,
        IReadOnlyList<ConsumedModelMaterial> ConsumedModels,
        IReadOnlyList<PackageMaterial> Packages,
        IReadOnlyList<MetricMaterial> Metrics)
    {
        public string ProjectRef { get; } = "project:" + MaterialText.Relative(Materials.ProjectPath, "project path");
    }
}
