using System.Text;
using System.Text.Json;

namespace MlBuildGuard.Core.Signing;

/// <summary>One DSSE signature: DER ECDSA bytes and the optional key id (OMS writes "", older versions null, Go omits it).</summary>
public sealed record DsseSignature(byte[] Signature, string? KeyId);

/// <summary>What the bundle's <c>verificationMaterial</c> holds.</summary>
public enum BundleMaterialKind
{
    /// <summary>A public key reference (<c>publicKey.hint</c>, or the legacy <c>publicKey.rawBytes</c> PEM).</summary>
    PublicKey,

    /// <summary>An X.509 certificate chain (certificate method) — not verified by this library.</summary>
    CertificateChain,

    /// <summary>A Fulcio certificate with transparency-log entries (keyless Sigstore) — not verified by this library.</summary>
    Certificate,
}

/// <summary>
/// A Sigstore bundle v0.3 (JSON) with a DSSE envelope, as OMS uses it. <see cref="Parse"/> reads any method's bundle
/// (so a caller can tell which method it is); <see cref="ToJsonBytes"/> writes the key method.
/// </summary>
public sealed record SigstoreBundle(
    string MediaType,
    BundleMaterialKind MaterialKind,
    string? PublicKeyHint,
    string? LegacyPublicKeyPem,
    byte[] Payload,
    string PayloadType,
    IReadOnlyList<DsseSignature> Signatures)
{
    /// <summary>A key-method bundle over <paramref name="payload"/> with one signature.</summary>
    public static SigstoreBundle ForKey(string publicKeyHint, byte[] payload, byte[] derSignature) =>
        new(OmsConstants.BundleMediaType, BundleMaterialKind.PublicKey, publicKeyHint, null, payload, OmsConstants.InTotoPayloadType,
            [new DsseSignature(derSignature, "")]);

    /// <summary>Compact JSON, as model_signing 1.1 writes it.</summary>
    public byte[] ToJsonBytes()
    {
        if (MaterialKind != BundleMaterialKind.PublicKey)
        {
            throw new InvalidOperationException("Only key-method bundles are written.");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = InTotoStatement.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("mediaType", MediaType);
            writer.WriteStartObject("verificationMaterial");
            writer.WriteStartObject("publicKey");
            if (PublicKeyHint is not null)
            {
                writer.WriteString("hint", PublicKeyHint);
            }

            if (LegacyPublicKeyPem is not null)
            {
                writer.WriteString("rawBytes", Convert.ToBase64String(Encoding.UTF8.GetBytes(LegacyPublicKeyPem)));
            }

            writer.WriteEndObject();
            writer.WriteStartArray("tlogEntries");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteStartObject("dsseEnvelope");
            writer.WriteString("payload", Convert.ToBase64String(Payload));
            writer.WriteString("payloadType", PayloadType);
            writer.WriteStartArray("signatures");
            foreach (var signature in Signatures)
            {
                writer.WriteStartObject();
                writer.WriteString("sig", Convert.ToBase64String(signature.Signature));
                writer.WriteString("keyid", signature.KeyId ?? "");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a bundle; anything malformed is an <see cref="OmsFormatException"/> with a short reason.</summary>
    public static SigstoreBundle Parse(ReadOnlySpan<byte> json)
    {
        using var document = Json.Parse(json, "The signature file");
        return Json.Read("The signature bundle", () => FromDocument(document));
    }

    private static SigstoreBundle FromDocument(JsonDocument document)
    {
        {
            var root = Json.Object(document.RootElement, "bundle");
            var mediaType = Json.String(root, "mediaType");
            if (mediaType != OmsConstants.BundleMediaType)
            {
                throw new OmsFormatException($"The bundle media type is '{mediaType}', expected '{OmsConstants.BundleMediaType}'.");
            }

            var material = Json.Object(Json.Property(root, "verificationMaterial"), "verificationMaterial");
            if (material.TryGetProperty("tlogEntries", out var tlog) && tlog.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            {
                throw new OmsFormatException("'tlogEntries' must be an array.");
            }

            BundleMaterialKind kind;
            string? hint = null;
            string? legacyPem = null;
            if (material.TryGetProperty("publicKey", out var publicKey))
            {
                kind = BundleMaterialKind.PublicKey;
                Json.Object(publicKey, "publicKey");
                if (publicKey.TryGetProperty("hint", out var hintElement) && hintElement.ValueKind != JsonValueKind.Null)
                {
                    hint = hintElement.ValueKind == JsonValueKind.String ? hintElement.GetString() : throw new OmsFormatException("'hint' must be a string.");
                }

                if (publicKey.TryGetProperty("rawBytes", out var raw) && raw.ValueKind != JsonValueKind.Null)
                {
                    legacyPem = Encoding.UTF8.GetString(Base64(raw, "rawBytes"));
                }
            }
            else if (material.TryGetProperty("x509CertificateChain", out _))
            {
                kind = BundleMaterialKind.CertificateChain;
            }
            else if (material.TryGetProperty("certificate", out _))
            {
                kind = BundleMaterialKind.Certificate;
            }
            else
            {
                throw new OmsFormatException("The verification material holds no public key or certificate.");
            }

            var envelope = Json.Object(Json.Property(root, "dsseEnvelope"), "dsseEnvelope");
            var payload = Base64(Json.Property(envelope, "payload"), "payload");
            var payloadType = Json.String(envelope, "payloadType");
            var signatures = new List<DsseSignature>();
            foreach (var element in Json.Array(envelope, "signatures").EnumerateArray())
            {
                var item = Json.Object(element, "signature");
                string? keyId = null;
                if (item.TryGetProperty("keyid", out var keyIdElement) && keyIdElement.ValueKind != JsonValueKind.Null)
                {
                    keyId = keyIdElement.ValueKind == JsonValueKind.String ? keyIdElement.GetString() : throw new OmsFormatException("'keyid' must be a string.");
                }

                signatures.Add(new DsseSignature(Base64(Json.Property(item, "sig"), "sig"), keyId));
            }

            return new SigstoreBundle(mediaType, kind, hint, legacyPem, payload, payloadType, signatures);
        }
    }

    private static byte[] Base64(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new OmsFormatException($"'{name}' must be a base64 string.");
        }

        try
        {
            return Convert.FromBase64String(element.GetString()!);
        }
        catch (FormatException)
        {
            throw new OmsFormatException($"'{name}' is not valid base64.");
        }
    }
}
