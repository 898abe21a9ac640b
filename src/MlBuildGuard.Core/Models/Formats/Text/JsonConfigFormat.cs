using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats.Keras;

namespace MlBuildGuard.Core.Models.Formats.Text;

/// <summary>
/// JSON files that travel with models or are models: Hugging Face configurations and tokenizers, XGBoost JSON models,
/// Keras 2 architectures (<c>model.to_json()</c>, scanned as Keras configurations), MLflow and other metadata. Read as
/// Python's <c>json</c> reads them (NaN and Infinity allowed), streamed to the end with bounded memory; malformed or
/// truncated JSON named <c>.json</c> is MLG303 (other
/// text that merely starts with a bracket, such as a vocabulary or JSON Lines, is plain text). Names a loader imports from it (<c>_target_</c>, <c>auto_map</c>) are judged by
/// <see cref="ConfigNames"/>.
/// </summary>
internal sealed class JsonConfigFormat(IModelFormat text) : IModelFormat
{
    private const int MaxDepth = 512;
    private const int MaxTopLevelKeys = 64;

    public string Name => "json";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) =>
        TextContent.FirstSignificant(head) is (byte)'{' or (byte)'[' && TextContent.Looks(head, length);

    public void Scan(FormatScan scan)
    {
        var names = new ConfigNames(scan.View, scan.Context, scan.Policy);
        var keys = new List<string>();
        try
        {
            Walk(new PythonJsonStream(scan.Stream), scan.Context, names, keys);
        }
        catch (JsonException e)
        {
            if (!scan.View.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                // Text that merely starts with a bracket ("[PAD]" in a vocabulary, JSON Lines): judged as text.
                text.Scan(scan);
                return;
            }

            scan.Context.Recognise(scan.View, Name);
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View,
                $"it is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {FirstSentence(e.Message)})");
            return;
        }

        if (keys.Contains("class_name") && keys.Contains("config"))
        {
            // A Keras 2 architecture (model.to_json()): the Keras rules apply to its layers.
            KerasFormat.ScanConfig(scan.ReadAll(scan.Context.Limits.MaxHeaderBytes), scan.View, scan.Context);
            return;
        }

        var xgboost = keys.Contains("learner") && keys.Contains("version");
        scan.Context.Recognise(scan.View, xgboost ? "xgboost-json" : Name);
    }

    /// <summary>Reads the whole stream with a reader that never holds more than one token and a chunk.</summary>
    private static void Walk(Stream stream, ModelScanContext context, ConfigNames names, List<string> topLevelKeys)
    {
        var buffer = new byte[1 << 16];
        var filled = 0;
        var final = false;
        var started = false;
        var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var walk = new WalkState();
        while (true)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (!final)
            {
                var n = stream.Read(buffer, filled, buffer.Length - filled);
                final = n == 0;
                filled += n;
            }

            if (!started && (filled >= 3 || final))
            {
                started = true;
                if (buffer.AsSpan(0, filled).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                {
                    buffer.AsSpan(3, filled - 3).CopyTo(buffer); // a byte-order mark, as Python's utf-8-sig reads it
                    filled -= 3;
                }
            }

            var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), final, state);
            while (reader.Read())
            {
                walk.Token(ref reader, names, topLevelKeys);
            }

            if (final)
            {
                return;
            }

            state = reader.CurrentState;
            var consumed = (int)reader.BytesConsumed;
            if (consumed == 0 && filled == buffer.Length)
            {
                // One token is larger than the buffer: grow it, within the limit for headers and configurations.
                if (buffer.Length * 2L > context.Limits.MaxHeaderBytes)
                {
                    throw new Containers.ScanLimitException("a JSON value is larger than allowed", context.Limits.MaxHeaderBytes);
                }

                Array.Resize(ref buffer, buffer.Length * 2);
                continue;
            }

            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }

    /// <summary>Where the walk is: for <c>_target_</c> and <c>auto_map</c>, and the top-level keys.</summary>
    private sealed class WalkState
    {
        private bool _nextIsTarget;
        private int _autoMapDepth = -1;
        private bool _nextIsAutoMap;

        public void Token(ref Utf8JsonReader reader, ConfigNames names, List<string> topLevelKeys)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    _nextIsTarget = reader.ValueTextEquals("_target_"u8);
                    _nextIsAutoMap = reader.CurrentDepth == 1 && reader.ValueTextEquals("auto_map"u8);
                    if (reader.CurrentDepth == 1 && topLevelKeys.Count < MaxTopLevelKeys)
                    {
                        topLevelKeys.Add(reader.GetString()!);
                    }

                    return;
                case JsonTokenType.String:
                    if (_nextIsTarget)
                    {
                        names.Judge(reader.GetString()!, "its Hydra '_target_'");
                    }
                    else if (_autoMapDepth >= 0)
                    {
                        names.Judge(reader.GetString()!, "its 'auto_map' (code shipped with the model, run with trust_remote_code)");
                    }

                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    if (_nextIsAutoMap)
                    {
                        _autoMapDepth = reader.CurrentDepth;
                    }

                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    if (reader.CurrentDepth == _autoMapDepth)
                    {
                        _autoMapDepth = -1;
                    }

                    break;
            }

            _nextIsTarget = false;
            _nextIsAutoMap = false;
        }
    }
}
