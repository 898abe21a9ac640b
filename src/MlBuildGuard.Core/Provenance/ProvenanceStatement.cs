using System.Text.Json;
using MlBuildGuard.Core.Signing;

namespace MlBuildGuard.Core.Provenance;

/// <summary>
/// Writes <c>mlguard.provenance.json</c>: an in-toto Statement v1 with the SLSA Provenance v1 predicate whose subjects
/// are the produced models and whose <c>resolvedDependencies</c> are the source commit, the training inputs and the
/// NuGet packages (purl + digest).
/// <para>
/// The file is the DSSE envelope (<see cref="Sign"/>) when the build has a signing key, and the plain Statement
/// (<see cref="Write"/>) when it has none: a consumer tells them apart by <c>payloadType</c> versus <c>_type</c>. The
/// envelope is DSSE's own JSON rather than a Sigstore bundle because provenance is verified with the in-toto/SLSA
/// tooling, which reads DSSE directly.
/// </para>
/// <para>
/// The statement holds no clock reading (SLSA's <c>metadata.startedOn</c>/<c>finishedOn</c>), machine name or absolute
/// path, and every list is sorted, so two builds of the same inputs yield the same bytes and the provenance itself is
/// reproducible; only <see cref="BuildMaterials.SourceDateEpoch"/> is recorded as time.
/// </para>
/// </summary>
public static class ProvenanceStatement
{
    public const string StatementType = OmsConstants.StatementType;
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>Identifies how MlBuildGuard builds are described; versioned so that a change of meaning gets a new URI.</summary>
    public const string BuildType = "https://github.com/MlBuildGuard/MlBuildGuard/blob/main/docs/provenance.md#buildtype-v1";

    /// <summary>The builder identity SLSA consumers anchor trust on.</summary>
    public const string BuilderId = "https://github.com/MlBuildGuard/MlBuildGuard";

    public const string PayloadType = OmsConstants.InTotoPayloadType;

    /// <summary>The statement as UTF-8 JSON: 2-space indentation, '\n' line ends, final newline.</summary>
    /// <exception cref="ArgumentException">
    /// A digest is not hex of the right length, a path is absolute, or one name is listed twice with different details.
    /// </exception>
    public static byte[] Write(BuildMaterials m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var models = MaterialText.Ordered(m.Models);
        var inputs = MaterialText.Ordered(m.TrainingInputs);
        var consumed = MaterialText.Ordered(m.ConsumedModels);
        var packages = MaterialText.Ordered(m.Packages);
        var metrics = MaterialText.Ordered(m.Metrics);
        return MaterialText.Document(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("_type", StatementType);
            writer.WriteStartArray("subject");
            foreach (var model in models)
            {
                writer.WriteStartObject();
                writer.WriteString("name", MaterialText.Relative(model.Name, "model name"));
                WriteDigest(writer, "sha256", MaterialText.Hex(model.Sha256, 32, "model SHA-256"));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("predicateType", PredicateType);
            writer.WriteStartObject("predicate");
            WriteBuildDefinition(writer, m, inputs, consumed, packages);
            writer.WriteStartObject("runDetails");
            writer.WriteStartObject("builder");
            writer.WriteString("id", BuilderId);
            writer.WriteStartObject("version");
            writer.WriteString("mlbuildguard", m.ToolVersion);
            writer.WriteEndObject();
            writer.WriteEndObject();
            WriteMetricByproducts(writer, metrics);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// <c>runDetails.byproducts</c>: each <c>MlModelMetrics</c> file by name and digest, its metrics and the quality
    /// gate's verdicts in the annotations.
    /// </summary>
    private static void WriteMetricByproducts(Utf8JsonWriter writer, IReadOnlyList<MetricMaterial> metrics)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("byproducts");
        foreach (var file in metrics.GroupBy(m => (m.File, m.FileSha256)))
        {
            writer.WriteStartObject();
            writer.WriteString("name", MaterialText.Relative(file.Key.File, "metrics file"));
            WriteDigest(writer, "sha256", MaterialText.Hex(file.Key.FileSha256, 32, "metrics file SHA-256"));
            writer.WriteStartObject("annotations");
            writer.WriteStartArray("metrics");
            foreach (var metric in file)
            {
                writer.WriteStartObject();
                writer.WriteString("name", metric.Metric);
                writer.WriteNumber("value", metric.Value);
                if (metric.Baseline is { } baseline)
                {
                    writer.WriteNumber("baseline", baseline);
                }

                if (metric.Passed is { } passed)
                {
                    writer.WriteString("gate", passed ? "passed" : "failed");
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// The DSSE envelope over <paramref name="statement"/>: <c>payloadType</c>, base64 <c>payload</c> and one signature
    /// (DER ECDSA over the PAE, base64) whose <c>keyid</c> is the OMS key hint, so a verifier holding several keys picks
    /// the right one without trying each.
    /// </summary>
    public static byte[] Sign(byte[] statement, OmsPrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(key);
        var signature = key.SignDer(Dsse.Pae(PayloadType, statement));
        return MaterialText.Document(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("payloadType", PayloadType);
            writer.WriteString("payload", Convert.ToBase64String(statement));
            writer.WriteStartArray("signatures");
            writer.WriteStartObject();
            writer.WriteString("keyid", key.PublicKey.Hint);
            writer.WriteString("sig", Convert.ToBase64String(signature));
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// Whether <paramref name="envelope"/> is a DSSE envelope of an in-toto payload with a signature by
    /// <paramref name="key"/>; <paramref name="statement"/> is the payload when it is. Malformed input is simply invalid.
    /// </summary>
    public static bool TryVerify(ReadOnlySpan<byte> envelope, OmsPublicKey key, out byte[] statement)
    {
        ArgumentNullException.ThrowIfNull(key);
        statement = [];
        try
        {
            using var document = JsonDocument.Parse(envelope.ToArray(), new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("payloadType", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != PayloadType
                || !root.TryGetProperty("payload", out var payloadElement) || payloadElement.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var payload = Convert.FromBase64String(payloadElement.GetString()!);
            var pae = Dsse.Pae(PayloadType, payload);
            foreach (var signature in signatures.EnumerateArray())
            {
                if (signature.ValueKind == JsonValueKind.Object && signature.TryGetProperty("sig", out var sig)
                    && sig.ValueKind == JsonValueKind.String && key.VerifyDer(pae, Convert.FromBase64String(sig.GetString()!)))
                {
                    statement = payload;
                    return true;
                }
            }

            return false;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return false;
        }
    }

    private static void WriteBuildDefinition(Utf8JsonWriter writer, BuildMaterials m,
        IReadOnlyList<TrainingInputMaterial> inputs, IReadOnlyList<ConsumedModelMaterial> consumed, IReadOnlyList<PackageMaterial> packages)
    {
        writer.WriteStartObject("buildDefinition");
        writer.WriteString("buildType", BuildType);
        writer.WriteStartObject("externalParameters");
        writer.WriteString("project", MaterialText.Relative(m.ProjectPath, "project path"));
        WriteOptional(writer, "configuration", m.Configuration);
        WriteOptional(writer, "targetFramework", m.TargetFramework);
        writer.WriteEndObject();
        if (m.SdkVersion is not null || m.SourceDateEpoch is not null)
        {
            writer.WriteStartObject("internalParameters");
            WriteOptional(writer, "sdkVersion", m.SdkVersion);
            if (m.SourceDateEpoch is { } epoch)
            {
                writer.WriteNumber("sourceDateEpoch", epoch);
            }

            writer.WriteEndObject();
        }

        writer.WriteStartArray("resolvedDependencies");
        if (m.Source is { } source)
        {
            writer.WriteStartObject();
            if (source.RepositoryUri is { } repository)
            {
                var uri = "git+" + MaterialText.WithoutCredentials(repository);
                writer.WriteString("uri", source.Ref is null ? uri : uri + "@" + source.Ref);
            }

            var commitBytes = source.Commit.Length == 64 ? 32 : 20;
            WriteDigest(writer, "gitCommit", MaterialText.Hex(source.Commit, commitBytes, "git commit"));
            if (source.Dirty is { } dirty)
            {
                // A build from uncommitted changes: the commit alone does not describe the sources it used.
                writer.WriteStartObject("annotations");
                writer.WriteBoolean("workingTreeDirty", dirty);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        foreach (var input in inputs)
        {
            writer.WriteStartObject();
            writer.WriteString("name", MaterialText.Relative(input.Name, "training input name"));
            WriteDigest(writer, "sha256", MaterialText.Hex(input.Sha256, 32, "training input SHA-256"));
            writer.WriteStartObject("annotations");
            writer.WriteNumber("size", input.Size);
            WriteOptional(writer, "source", input.Source is null ? null : MaterialText.WithoutCredentials(input.Source));
            if (input.PersonalDataKinds is { Count: > 0 } kinds)
            {
                writer.WriteStartArray("personalData");
                foreach (var kind in kinds.Order(StringComparer.Ordinal))
                {
                    writer.WriteStringValue(kind);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        foreach (var model in consumed)
        {
            writer.WriteStartObject();
            writer.WriteString("name", MaterialText.Relative(model.Name, "consumed model name"));
            WriteDigest(writer, "sha256", MaterialText.Hex(model.Sha256, 32, "consumed model SHA-256"));
            writer.WriteStartObject("annotations");
            writer.WriteString("kind", "model");
            WriteOptional(writer, "keyFingerprint", model.KeyFingerprint is null ? null : MaterialText.Hex(model.KeyFingerprint, 32, "key fingerprint"));
            writer.WriteString("signature", model.Signature);
            writer.WriteNumber("size", model.Size);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        foreach (var package in packages)
        {
            writer.WriteStartObject();
            writer.WriteString("uri", MaterialText.NuGetPurl(package.Id, package.Version));
            if (package.Sha512Hex is { } sha512)
            {
                WriteDigest(writer, "sha512", MaterialText.Hex(sha512, 64, "package SHA-512"));
            }

            writer.WriteStartObject("annotations");
            writer.WriteBoolean("direct", package.Direct);
            WriteOptional(writer, "nugetContentHash", package.ContentHash);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteDigest(Utf8JsonWriter writer, string algorithm, string hex)
    {
        writer.WriteStartObject("digest");
        writer.WriteString(algorithm, hex);
        writer.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
