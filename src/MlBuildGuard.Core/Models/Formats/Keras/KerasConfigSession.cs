using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;
using static MlBuildGuard.Core.Models.Formats.Keras.KerasConfigPolicy;

namespace MlBuildGuard.Core.Models.Formats.Keras;

internal enum KerasJsonSource
{
    /// <summary>A configuration handed to <see cref="ScanConfig"/>: anything but a readable JSON object is MLG303.</summary>
    Config,

    /// <summary>A protobuf string that starts like a JSON object: malformed is MLG303, an object without class_name is ignored.</summary>
    Embedded,

    /// <summary>A capture from an HDF5 file; the caller reports malformed text.</summary>
    Hdf5Capture,
}

internal enum KerasJsonOutcome
{
    Scanned,
    Ignored,

    /// <summary>Not valid JSON; reported unless it is an HDF5 capture.</summary>
    Malformed,

    /// <summary>Too large or too deep; always reported.</summary>
    Rejected,
}

internal readonly struct KerasJsonFrame(JsonElement element, string? owner, string? enclosingClass, bool inLambda)
{
    public JsonElement Element { get; } = element;

    /// <summary>The name of the nearest layer (object with class_name and a name) around the element.</summary>
    public string? Owner { get; } = owner;

    /// <summary>The class_name of the nearest object around the element that has one.</summary>
    public string? EnclosingClass { get; } = enclosingClass;

    public bool InLambda { get; } = inLambda;
}

/// <summary>The findings of one scan call, with duplicates removed (one custom class used by 50 layers is one MLG302).</summary>
internal sealed class KerasConfigSession(string view, ModelScanContext context)
{
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public ModelScanContext Context { get; } = context;

    public void Report306(string description)
    {
        if (_reported.Add("306\n" + description))
        {
            Context.Report(RuleCatalog.KerasEmbeddedCode, view, description);
        }
    }

    public void Report303(string reason)
    {
        if (_reported.Add("303\n" + reason))
        {
            Context.Report(RuleCatalog.ModelUnparsable, view, reason);
        }
    }

    public void Report307(string what, object limit)
    {
        if (_reported.Add("307\n" + what))
        {
            Context.Report(RuleCatalog.ScanLimitExceeded, view, what, limit);
        }
    }

    public void Report302(string qualified)
    {
        if (IsAllowedByOptions(qualified) || !_reported.Add("302\n" + qualified))
        {
            return;
        }

        Context.ReportNotAllowed(view, qualified);
    }

    private bool IsAllowedByOptions(string qualified)
    {
        var dot = qualified.LastIndexOf('.');
        var module = dot < 0 ? qualified : qualified[..dot];
        foreach (var entry in Context.Options.AllowedGlobals)
        {
            if (string.Equals(entry, qualified, StringComparison.Ordinal) ||
                (entry.EndsWith(".*", StringComparison.Ordinal) &&
                 (string.Equals(entry[..^2], module, StringComparison.Ordinal) || string.Equals(entry[..^2], qualified, StringComparison.Ordinal))))
            {
                return true;
            }
        }

        return false;
    }

    public KerasJsonOutcome ScanJson(ReadOnlySpan<byte> json, KerasJsonSource source)
    {
        if (json.Length > Context.Limits.MaxHeaderBytes)
        {
            Report307($"its Keras model configuration is {json.Length} bytes", Context.Limits.MaxHeaderBytes);
            return KerasJsonOutcome.Rejected;
        }

        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..];
        }

        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            if (source != KerasJsonSource.Hdf5Capture)
            {
                Report303("the Keras model configuration is not valid UTF-8");
            }

            return KerasJsonOutcome.Malformed;
        }

        if (!PythonJson.Prescan(json, KerasFormat.MaxJsonDepth, out var nonFinite))
        {
            Report303($"the Keras model configuration nests deeper than {KerasFormat.MaxJsonDepth} levels");
            return KerasJsonOutcome.Rejected;
        }

        var buffer = json.ToArray();
        if (nonFinite)
        {
            PythonJson.ReplaceNonFinite(buffer);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer, new JsonDocumentOptions { MaxDepth = KerasFormat.MaxJsonDepth + 1 });
        }
        catch (JsonException e)
        {
            if (source != KerasJsonSource.Hdf5Capture)
            {
                Report303(json.IsEmpty
                    ? "the Keras model configuration is empty"
                    : $"the Keras model configuration is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
            }

            return KerasJsonOutcome.Malformed;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                if (source == KerasJsonSource.Config)
                {
                    Report303("the Keras model configuration is not a JSON object");
                    return KerasJsonOutcome.Malformed;
                }

                return KerasJsonOutcome.Ignored;
            }

            if (source == KerasJsonSource.Embedded && !TryGet(root, "class_name", out _))
            {
                return KerasJsonOutcome.Ignored;
            }

            try
            {
                Walk(root);
            }
            catch (InvalidOperationException)
            {
                Report303("the Keras model configuration holds text that cannot be decoded");
                return KerasJsonOutcome.Malformed;
            }

            Context.Recognise(view, "keras-config");
            return KerasJsonOutcome.Scanned;
        }
    }

    private void Walk(JsonElement root)
    {
        var stack = new Stack<KerasJsonFrame>();
        var children = new List<KerasJsonFrame>();
        stack.Push(new KerasJsonFrame(root, null, null, false));
        var visited = 0;
        while (stack.Count > 0)
        {
            if ((++visited & 0xFFF) == 0)
            {
                Context.CancellationToken.ThrowIfCancellationRequested();
            }

            var frame = stack.Pop();
            var element = frame.Element;
            children.Clear();
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        children.Add(new KerasJsonFrame(item, frame.Owner, frame.EnclosingClass, frame.InLambda));
                    }
                }
            }
            else if (element.ValueKind == JsonValueKind.Object)
            {
                var className = Str(element, "class_name");
                var owner = frame.Owner;
                var inLambda = frame.InLambda;
                if (className is not null)
                {
                    owner = LayerName(element) ?? owner;
                    inLambda |= CheckClass(element, className, owner, frame.InLambda);
                }

                CheckReferences(element, owner, className ?? frame.EnclosingClass, inLambda);
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        children.Add(new KerasJsonFrame(property.Value, owner, className ?? frame.EnclosingClass, inLambda));
                    }
                }
            }

            for (var i = children.Count - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }
    }

    /// <summary>Rules on the class of an object; returns whether it is a Lambda layer.</summary>
    private bool CheckClass(JsonElement element, string className, string? owner, bool inLambda)
    {
        var who = Who(owner);
        if (IsClass(className, "Lambda"))
        {
            Report306($"{who} is a Lambda layer{LambdaDetail(element)}");
            return true;
        }

        if (className == "__lambda__" && !inLambda)
        {
            Report306($"{who} holds marshalled Python code (a '__lambda__' function)");
        }
        else if (IsClass(className, "TorchModuleWrapper"))
        {
            Report306($"{who} is a TorchModuleWrapper, whose PyTorch module is unpickled with torch.load");
        }
        else if (IsClass(className, "TFSMLayer"))
        {
            Report302("keras.layers.TFSMLayer");
        }
        else if (className.Contains('.', StringComparison.Ordinal) && AsDottedName(className) is { } dotted &&
                 Classify(dotted) == KerasVerdict.Dangerous)
        {
            Report306($"{who} has the class '{FormatText.Printable(dotted)}'");
        }

        return false;
    }

    private static string LambdaDetail(JsonElement layer)
    {
        var config = TryGet(layer, "config", out var c) && c.ValueKind == JsonValueKind.Object ? c : layer;
        var functionType = Str(config, "function_type");
        var marshalled = false;
        string? calls = null;
        if (TryGet(config, "function", out var function))
        {
            switch (function.ValueKind)
            {
                case JsonValueKind.Array:
                    marshalled = true;
                    break;
                case JsonValueKind.String:
                    if (functionType == "function")
                    {
                        var name = SafeString(function);
                        var module = Str(config, "module");
                        calls = module is null ? name : module + "." + name;
                    }
                    else
                    {
                        marshalled = true;
                    }

                    break;
                case JsonValueKind.Object:
                    var className = Str(function, "class_name");
                    if (className == "__lambda__")
                    {
                        marshalled = true;
                    }
                    else
                    {
                        var module = Str(function, "module");
                        var name = className == "function" ? Str(function, "config") : className;
                        calls = module is null ? name : name is null ? module : module + "." + name;
                    }

                    break;
            }
        }

        marshalled |= functionType == "lambda";
        if (marshalled)
        {
            return " with marshalled Python code";
        }

        return calls is null ? "" : $" that calls '{FormatText.Printable(calls)}'";
    }

    /// <summary>
    /// Module references of one object: <c>module</c>, <c>*_module</c>, <c>registered_name</c>, <c>function</c>.
    /// Inside a Lambda layer (already MLG306) only dangerous references are reported.
    /// </summary>
    private void CheckReferences(JsonElement element, string? owner, string? enclosingClass, bool inLambda)
    {
        var allowNotAllowed = !inLambda;
        foreach (var property in element.EnumerateObject())
        {
            var key = SafeName(property);
            if (property.Value.ValueKind != JsonValueKind.String || key is null)
            {
                continue; // a name with a lone surrogate is no Python name
            }

            if (key == "module")
            {
                var className = Str(element, "class_name");
                var name = className is "function" or "__lambda__" ? Str(element, "config") : className;
                if (name is null && Str(element, "function_type") == "function")
                {
                    name = Str(element, "function");
                }

                CheckModule(SafeString(property.Value), name, owner, allowNotAllowed);
            }
            else if (key == "registered_name")
            {
                // Keras 3 registers custom objects as "package>Name"; older configs use dotted names.
                var value = SafeString(property.Value);
                if (value is not null && value.Contains('>', StringComparison.Ordinal))
                {
                    value = value.Replace('>', '.');
                }

                if (value is not null && value.Contains('.', StringComparison.Ordinal))
                {
                    CheckModule(value, null, owner, allowNotAllowed: false);
                }
            }
            else if (key == "function")
            {
                var value = SafeString(property.Value);
                if (value is null)
                {
                    continue;
                }

                if (IsClass(enclosingClass, "TFOpLambda") || IsClass(enclosingClass, "SlicingOpLambda"))
                {
                    // TFOpLambda names a TensorFlow API symbol relative to tf.
                    if (AsDottedName(value) is { } symbol && Classify("tf." + symbol) == KerasVerdict.Dangerous)
                    {
                        Report306($"{Who(owner)} calls the TensorFlow function 'tf.{FormatText.Printable(symbol)}'");
                    }
                }
                else if (value.Contains('.', StringComparison.Ordinal))
                {
                    CheckModule(value, null, owner, allowNotAllowed);
                }
            }
            else if (key.EndsWith("_module", StringComparison.Ordinal))
            {
                CheckModule(SafeString(property.Value), Str(element, key[..^"_module".Length]), owner, allowNotAllowed);
            }
        }
    }

    private void CheckModule(string? moduleValue, string? name, string? owner, bool allowNotAllowed)
    {
        var module = AsDottedName(moduleValue);
        if (module is null)
        {
            return;
        }

        var qualified = AsDottedName(name) is { } member ? module + "." + member : module;
        switch (Classify(qualified))
        {
            case KerasVerdict.Dangerous:
                var root = module.Split('.')[0];
                var detail = qualified == module ? "" : $" ('{FormatText.Printable(qualified)}')";
                Report306(DangerousRoots.Contains(root)
                    ? $"{Who(owner)} names the module '{FormatText.Printable(module)}'{detail}"
                    : $"{Who(owner)} names '{FormatText.Printable(qualified)}'");
                break;
            case KerasVerdict.NotAllowed when allowNotAllowed:
                Report302(FormatText.Printable(qualified));
                break;
        }
    }

    private static string Who(string? owner) => owner is null ? "the model configuration" : $"layer '{FormatText.Printable(owner)}'";

    private static string? LayerName(JsonElement element)
    {
        if (TryGet(element, "config", out var config) && config.ValueKind == JsonValueKind.Object &&
            TryGet(config, "name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            return SafeString(name) ?? name.GetRawText()[1..^1];
        }

        return TryGet(element, "name", out name) && name.ValueKind == JsonValueKind.String
            ? SafeString(name) ?? name.GetRawText()[1..^1]
            : null;
    }

    private static string? Str(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && TryGet(element, property, out var value) ? SafeString(value) : null;

    /// <summary>
    /// <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> (the last duplicate wins, as in Python), which
    /// throws when it compares with a name holding a lone surrogate; such names are then skipped.
    /// </summary>
    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        try
        {
            return element.TryGetProperty(name, out value);
        }
        catch (InvalidOperationException)
        {
            var found = false;
            value = default;
            foreach (var property in element.EnumerateObject())
            {
                if (SafeName(property) == name)
                {
                    value = property.Value;
                    found = true;
                }
            }

            return found;
        }
    }

    private static string? SafeString(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // an escaped lone surrogate: not a name Python could import
        }
    }

    private static string? SafeName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
