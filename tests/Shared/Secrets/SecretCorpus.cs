using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace MlBuildGuard.Testing.Secrets;

/// <summary>One planted fake credential: its rule, the file (relative to the corpus root, '/' separators) and its container.</summary>
public sealed record PlantedSecret(string RuleId, string File, string Container);

/// <summary>What a corpus holds: one planted credential per planted file, and files with only benign high-entropy data.</summary>
public sealed record SecretCorpusManifest(IReadOnlyList<PlantedSecret> Planted, IReadOnlyList<string> BenignFiles)
{
    public static SecretCorpusManifest Read(string path) => JsonSerializer.Deserialize<SecretCorpusManifest>(File.ReadAllText(path))!;

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
}

/// <summary>
/// The corpus the secrets benchmark and its correctness test share: every built-in format planted as a fake, one per file,
/// inside CSV rows, JSON configs, ONNX <c>metadata_props</c>, pickle string constants and deflated zip members; and files
/// of the same containers holding only benign high-entropy data (digests, UUIDs, base64 blobs, random floats, ids).
/// Deterministic for a seed. Nothing in it is a real credential.
/// </summary>
public static class SecretCorpus
{
    public static readonly string[] Containers = ["csv", "json", "onnx", "pickle", "zip"];

    /// <param name="root">An empty folder.</param>
    /// <param name="onnxTemplate">A valid ONNX model; metadata entries are appended to it.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="copies">Planted files per rule and container.</param>
    public static SecretCorpusManifest Generate(string root, byte[] onnxTemplate, int seed = 1414, int copies = 2)
    {
        var fakes = new FakeSecrets(seed);
        var planted = new List<PlantedSecret>();
        var benign = new List<string>();
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var (ruleId, make) in fakes.Makers)
            {
                foreach (var container in Containers)
                {
                    var file = $"planted/{container}/{ruleId}-{copy}{Extension(container)}";
                    WriteContainer(Path.Combine(root, file), container, make().Text, fakes, onnxTemplate);
                    planted.Add(new PlantedSecret(ruleId, file, container));
                }
            }
        }

        for (var n = 0; n < copies * 10; n++)
        {
            foreach (var container in Containers)
            {
                var file = $"benign/{container}/benign-{n}{Extension(container)}";
                WriteContainer(Path.Combine(root, file), container, null, fakes, onnxTemplate);
                benign.Add(file);
            }

            var image = $"benign/images/image-{n}.json";
            Directory.CreateDirectory(Path.Combine(root, "benign", "images"));
            File.WriteAllText(Path.Combine(root, image), JsonSerializer.Serialize(new { mime = "image/png", data = Convert.ToBase64String(fakes.Noise(24_000)) }));
            benign.Add(image);
        }

        return new SecretCorpusManifest(planted, benign);
    }

    /// <summary>
    /// <paramref name="totalBytes"/> of CSV in files of 16 MiB for throughput runs: benign rows (text, floats, digests,
    /// UUIDs, base64) with one planted credential per file.
    /// </summary>
    public static int GenerateBulk(string root, long totalBytes, int seed = 1415)
    {
        const int FileBytes = 16 << 20;
        var fakes = new FakeSecrets(seed);
        var random = new Random(seed);
        string[] words = ["model", "the", "training", "loss", "of", "data", "was", "and", "label", "review", "good", "bad", "service", "user", "request", "error", "value"];
        var files = (int)Math.Max(1, (totalBytes + FileBytes - 1) / FileBytes);
        Directory.CreateDirectory(root);
        for (var f = 0; f < files; f++)
        {
            using var writer = new StreamWriter(Path.Combine(root, $"part-{f:D4}.csv"), false, new UTF8Encoding(false), 1 << 16);
            writer.Write("id,text,score,digest,uuid,blob\n");
            var benign = fakes.Benign(1_000_000).GetEnumerator();
            long written = 0;
            var size = Math.Min(FileBytes, totalBytes - (long)f * FileBytes);
            var plantAt = random.Next(0, (int)Math.Max(1, size / 400)); // rows are about 200 bytes: within the file
            for (var row = 0; written < size; row++)
            {
                var text = row == plantAt ? fakes.Makers[f % fakes.Makers.Count].Make().Text.Replace("\"", "\"\"", StringComparison.Ordinal)
                    : string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[random.Next(words.Length)]));
                benign.MoveNext();
                var line = $"{row},\"{text}\",{random.NextDouble():F6},{benign.Current},{Guid.NewGuid()},{Convert.ToBase64String(fakes.Noise(24))}\n";
                writer.Write(line);
                written += line.Length;
            }
        }

        return files;
    }

    private static string Extension(string container) => container switch
    {
        "csv" => ".csv",
        "json" => ".json",
        "onnx" => ".onnx",
        "pickle" => ".pkl",
        _ => ".zip",
    };

    private static void WriteContainer(string path, string container, string? secretText, FakeSecrets fakes, byte[] onnxTemplate)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var values = fakes.Benign(12).ToList();
        if (secretText is not null)
        {
            values.Insert(values.Count / 2, secretText);
        }

        switch (container)
        {
            case "csv":
                File.WriteAllText(path, "id,text,label\n" + string.Concat(values.Select((v, i) => $"{i},\"{v.Replace("\"", "\"\"", StringComparison.Ordinal)}\",{i % 2}\n")));
                break;
            case "json":
                File.WriteAllText(path, Json(values));
                break;
            case "onnx":
                File.WriteAllBytes(path, WithMetadata(onnxTemplate, values.Select((v, i) => ($"note_{i}", v))));
                break;
            case "pickle":
                File.WriteAllBytes(path, PickleDict(values.Select((v, i) => ($"field_{i}", v))));
                break;
            default:
                using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
                {
                    using (var member = new StreamWriter(zip.CreateEntry("config/settings.json", CompressionLevel.Optimal).Open()))
                    {
                        member.Write(Json(values));
                    }

                    using var weights = zip.CreateEntry("data/weights.bin", CompressionLevel.NoCompression).Open();
                    weights.Write(fakes.Noise(4096));
                }

                break;
        }
    }

    private static string Json(IEnumerable<string> values) => JsonSerializer.Serialize(
        new { model = "classifier", settings = values.Select((v, i) => new { name = $"s{i}", value = v }) },
        new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>The ONNX model with <c>metadata_props</c> entries (ModelProto field 14, StringStringEntryProto key 1, value 2) appended.</summary>
    public static byte[] WithMetadata(byte[] model, IEnumerable<(string Key, string Value)> entries)
    {
        using var output = new MemoryStream();
        output.Write(model);
        foreach (var (key, value) in entries)
        {
            var entry = new MemoryStream();
            Field(entry, 1, Encoding.UTF8.GetBytes(key));
            Field(entry, 2, Encoding.UTF8.GetBytes(value));
            Field(output, 14, entry.ToArray());
        }

        return output.ToArray();

        static void Field(Stream s, int number, byte[] bytes)
        {
            Varint(s, (ulong)((number << 3) | 2));
            Varint(s, (ulong)bytes.Length);
            s.Write(bytes);
        }

        static void Varint(Stream s, ulong v)
        {
            while (v >= 0x80)
            {
                s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }

            s.WriteByte((byte)v);
        }
    }

    /// <summary>A protocol-2 pickle of a dict of strings (BINUNICODE keys and values, memoised as Python writes them).</summary>
    public static byte[] PickleDict(IEnumerable<(string Key, string Value)> entries)
    {
        using var s = new MemoryStream();
        s.Write([0x80, 0x02, (byte)'}', (byte)'q', 0, (byte)'(']);
        byte memo = 1;
        foreach (var (key, value) in entries)
        {
            foreach (var text in new[] { key, value })
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                s.WriteByte((byte)'X');
                s.Write(BitConverter.GetBytes(bytes.Length));
                s.Write(bytes);
                s.Write([(byte)'q', memo++]);
            }
        }

        s.Write([(byte)'u', (byte)'.']);
        return s.ToArray();
    }
}
