using System.Globalization;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models.Formats;

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
/// <item><see cref="ScanHdf5"/>: a Keras 2 <c>.h5</c> file. See the limitations below.</item>
/// <item><see cref="ScanSavedModel"/>: a TensorFlow <c>saved_model.pb</c>: the ops of every graph and library
/// function, and the Keras metadata kept in the object graph by TensorFlow 2.0–2.4.</item>
/// <item><see cref="ScanKerasMetadataPb"/>: the JSON configurations inside a SavedModel's <c>keras_metadata.pb</c>.</item>
/// </list>
/// JSON is read like Python's <c>json</c> module reads it (NaN and Infinity accepted, duplicate keys allowed and all of
/// them checked), nested at most <see cref="MaxJsonDepth"/> levels; a configuration larger than
/// <see cref="ScanLimits.MaxHeaderBytes"/> is MLG307. Names from the file are shown with control characters replaced and
/// cut to 200 characters.
/// <para>
/// <b>Limitations of the HDF5 scan.</b> It does not parse HDF5 (no object headers, B-trees or heaps). It streams the
/// file (one 1 MiB buffer, plus the text being captured, itself capped at <see cref="ScanLimits.MaxHeaderBytes"/>) and
/// captures every JSON object that starts anywhere in it, following the JSON grammar; each complete one that contains
/// <c>"class_name"</c> is scanned as a Keras configuration. That finds the <c>model_config</c> and
/// <c>training_config</c> attributes as Keras and h5py write them, because their text is stored in one piece: a
/// fixed-length string attribute inside its object header message, a variable-length string as one object of a global
/// heap collection, and a large attribute in dense storage as one fractal-heap object. It does not find text stored any
/// other way: an attribute in a fractal heap with I/O filters (compressed), a string dataset that is chunked or
/// filtered, or text in another encoding than UTF-8 is missed, and the file is then reported clean. It cannot tell
/// which attribute (or dataset) the text came from, so any Keras-like JSON object in the file is checked. An HDF5 file
/// with no such text at all (weights only) reports nothing. A capture that contains <c>"class_name"</c> but is cut off
/// (the end of the file, or a byte JSON does not allow there, such as the NUL padding of a truncated attribute) or that
/// the JSON parser rejects is MLG303. A capture that fails is read again from its second byte, so text in front of a
/// configuration cannot hide it; that re-reading is limited to <see cref="ReplayBudget"/> bytes per file (MLG307 beyond).
/// </para>
/// <para>
/// <b>Limitations of the SavedModel scan.</b> The op list is a blocklist of ops that call back into Python
/// (<c>PyFunc</c>, <c>PyFuncStateless</c>, <c>EagerPyFunc</c>) or touch files (<c>ReadFile</c>, <c>WriteFile</c>,
/// <c>MatchingFiles</c>, <c>Save</c>, <c>SaveV2</c>, <c>SaveSlices</c>, <c>MergeV2Checkpoints</c>). Every SavedModel has a
/// saver that uses the checkpoint-writing ops, so those are not reported inside the saver: graph nodes in the name scope
/// of the <c>saver_def</c> tensors or in a TensorFlow 1 default saver scope (<c>save/</c>, <c>save_1/</c>, …), library
/// functions reachable from the saver's save and restore nodes, and library functions named <c>…_traced_save…</c>. A
/// checkpoint write hidden in those places is therefore not reported (file reads and Python calls there still are). Restore ops are never reported. Function references are followed through
/// <c>func</c> attributes and lists of them, not through function attributes nested in other function attributes.
/// </para>
/// </summary>
public static class KerasFormat
{
    /// <summary>How deeply a Keras configuration may nest (Python's own recursion limit is about 1,000).</summary>
    public const int MaxJsonDepth = 512;

    internal const int DefaultChunkSize = 1 << 20;

    /// <summary>How many bytes of failed JSON captures an HDF5 scan may re-read looking for configurations inside them.</summary>
    internal const long ReplayBudget = 64L << 20;

    private static readonly byte[] HdfSignature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];
    private static readonly byte[] ClassNameKey = "\"class_name\""u8.ToArray();

    /// <summary>Scans a Keras model configuration (JSON, UTF-8).</summary>
    public static void ScanConfig(ReadOnlySpan<byte> json, string view, ModelScanContext context)
    {
        var session = new Session(view, context);
        session.ScanJson(json, JsonSource.Config);
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
        var session = new Session(view, context);
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

    /// <summary>Scans a TensorFlow <c>saved_model.pb</c> (a SavedModel protobuf message).</summary>
    public static void ScanSavedModel(ReadOnlySpan<byte> savedModelPb, string view, ModelScanContext context)
    {
        var session = new Session(view, context);
        var graph = new SavedModelOps(session);
        try
        {
            var reader = new ProtoReader(savedModelPb);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 2 && wire == ProtoReader.LengthDelimited)
                {
                    graph.ScanMetaGraph(reader.ReadBytes());
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            context.Recognise(view, "tensorflow-savedmodel");
        }
        catch (MalformedProtoException e)
        {
            session.Report303($"the TensorFlow SavedModel protobuf cannot be read ({e.Message})");
        }

        graph.ReportOps();
    }

    /// <summary>Scans the JSON configurations inside a SavedModel's <c>keras_metadata.pb</c> (SavedMetadata).</summary>
    public static void ScanKerasMetadataPb(ReadOnlySpan<byte> bytes, string view, ModelScanContext context)
    {
        var session = new Session(view, context);
        try
        {
            var reader = new ProtoReader(bytes);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    ScanJsonStrings(reader.ReadBytes(), session);
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            context.Recognise(view, "keras-metadata");
        }
        catch (MalformedProtoException e)
        {
            session.Report303($"keras_metadata.pb cannot be read ({e.Message})");
        }
    }

    /// <summary>Every length-delimited field of a message that holds a JSON object is scanned as a configuration.</summary>
    private static void ScanJsonStrings(ReadOnlySpan<byte> message, Session session)
    {
        var reader = new ProtoReader(message);
        while (!reader.End)
        {
            var (_, wire) = reader.ReadTag();
            if (wire != ProtoReader.LengthDelimited)
            {
                reader.Skip(wire);
                continue;
            }

            var value = reader.ReadBytes();
            if (StartsLikeJsonObject(value))
            {
                session.ScanJson(value, JsonSource.Embedded);
            }
        }
    }

    private static bool StartsLikeJsonObject(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'{';
        }

        return false;
    }

    // ---- policy ------------------------------------------------------------------------------------------------------

    private enum Verdict
    {
        Allowed,
        NotAllowed,
        Dangerous,
    }

    /// <summary>Module roots of Keras, TensorFlow and the Keras libraries Keras itself imports from configurations.</summary>
    private static readonly HashSet<string> KerasRoots = new(StringComparer.Ordinal)
    {
        "keras", "tf_keras", "tensorflow", "tf", "keras_nlp", "keras_cv", "keras_hub", "numpy", "math",
    };

    /// <summary>Modules that run commands, load code or touch files and the network (compared case-insensitively).</summary>
    private static readonly HashSet<string> DangerousRoots = new(StringComparer.OrdinalIgnoreCase)
    {
        "os", "posix", "nt", "subprocess", "_posixsubprocess", "_winapi", "winreg", "sys", "runpy", "importlib", "imp",
        "pkgutil", "zipimport", "pty", "socket", "socketserver", "ssl", "shutil", "ctypes", "_ctypes", "cffi", "marshal",
        "types", "pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "webbrowser", "urllib",
        "urllib2", "urllib3", "requests", "httpx", "aiohttp", "http", "httplib", "ftplib", "smtplib", "poplib", "imaplib",
        "nntplib", "telnetlib", "xmlrpc", "code", "codeop", "compileall", "py_compile", "pydoc", "platform",
        "multiprocessing", "concurrent", "asyncio", "threading", "_thread", "signal", "commands", "pip", "ensurepip", "venv",
        "site", "timeit", "cProfile", "profile", "pdb", "bdb", "trace", "inspect", "operator", "_operator", "functools",
        "io", "_io", "codecs", "tempfile", "glob", "fileinput", "mmap", "pexpect", "doctest", "idlelib", "lib2to3",
        "tarfile", "zipfile", "sqlite3", "logging", "distutils", "setuptools", "uuid",
    };

    /// <summary>Builtins that evaluate code, import, open files or reach attributes.</summary>
    private static readonly HashSet<string> DangerousBuiltins = new(StringComparer.Ordinal)
    {
        "eval", "exec", "execfile", "compile", "__import__", "open", "file", "input", "raw_input", "getattr", "setattr",
        "delattr", "globals", "locals", "vars", "breakpoint", "exit", "quit", "help", "reload", "apply", "__loader__",
        "__build_class__",
    };

    private static readonly HashSet<string> BuiltinModules = new(StringComparer.Ordinal) { "builtins", "__builtin__", "__builtins__" };

    /// <summary>Names inside the allowed namespaces that download, touch files, call back into Python or load native code.</summary>
    private static readonly HashSet<string> DangerousComponents = new(StringComparer.Ordinal)
    {
        "get_file", "file_utils", "enable_unsafe_deserialization", "read_file", "write_file", "gfile", "matching_files",
        "py_function", "numpy_function", "py_func", "eager_py_func", "script_ops", "load_op_library", "load_library",
        "PyFunc", "PyFuncStateless", "EagerPyFunc", "ReadFile", "WriteFile", "MatchingFiles",
    };

    /// <summary>Dangerous subtrees of otherwise allowed or custom roots (matched on a dotted boundary).</summary>
    private static readonly string[] DangerousPrefixes =
    [
        "torch.load", "torch.hub", "torch.serialization", "torch.jit.load", "torch.package", "torch._inductor",
        "torch.utils.cpp_extension", "numpy.load", "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.ctypeslib",
        "numpy.lib.npyio", "numpy.lib.format",
    ];

    private static Verdict Classify(string qualified)
    {
        var dot = qualified.IndexOf('.', StringComparison.Ordinal);
        var root = dot < 0 ? qualified : qualified[..dot];
        if (DangerousRoots.Contains(root))
        {
            return Verdict.Dangerous;
        }

        if (BuiltinModules.Contains(root))
        {
            var rest = dot < 0 ? "" : qualified[(dot + 1)..];
            var next = rest.IndexOf('.', StringComparison.Ordinal);
            var name = next < 0 ? rest : rest[..next];
            return DangerousBuiltins.Contains(name) ? Verdict.Dangerous : Verdict.Allowed;
        }

        foreach (var prefix in DangerousPrefixes)
        {
            if (qualified.StartsWith(prefix, StringComparison.Ordinal) &&
                (qualified.Length == prefix.Length || qualified[prefix.Length] == '.'))
            {
                return Verdict.Dangerous;
            }
        }

        if (!KerasRoots.Contains(root))
        {
            return Verdict.NotAllowed;
        }

        foreach (var part in qualified.Split('.'))
        {
            if (DangerousComponents.Contains(part))
            {
                return Verdict.Dangerous;
            }
        }

        return Verdict.Allowed;
    }

    /// <summary>A dotted Python name (letters, digits and '_'; NFKC-normalised as Python normalises identifiers).</summary>
    private static string? AsDottedName(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 1000)
        {
            return null;
        }

        try
        {
            value = value.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var start = true;
        foreach (var c in value)
        {
            if (c == '.')
            {
                if (start)
                {
                    return null;
                }

                start = true;
                continue;
            }

            var ok = c == '_' || char.IsLetter(c) || (!start && char.IsDigit(c));
            if (!ok)
            {
                return null;
            }

            start = false;
        }

        return start ? null : value;
    }

    private static bool IsClass(string? className, string name) =>
        className is not null &&
        (className == name || className.EndsWith("." + name, StringComparison.Ordinal) || className.EndsWith(">" + name, StringComparison.Ordinal));

    // ---- JSON configurations -----------------------------------------------------------------------------------------

    private enum JsonSource
    {
        /// <summary>A configuration handed to <see cref="ScanConfig"/>: anything but a readable JSON object is MLG303.</summary>
        Config,

        /// <summary>A protobuf string that starts like a JSON object: malformed is MLG303, an object without class_name is ignored.</summary>
        Embedded,

        /// <summary>A capture from an HDF5 file; the caller reports malformed text.</summary>
        Hdf5Capture,
    }

    private enum JsonOutcome
    {
        Scanned,
        Ignored,

        /// <summary>Not valid JSON; reported unless it is an HDF5 capture.</summary>
        Malformed,

        /// <summary>Too large or too deep; always reported.</summary>
        Rejected,
    }

    private readonly struct Frame(JsonElement element, string? owner, string? enclosingClass, bool inLambda)
    {
        public JsonElement Element { get; } = element;

        /// <summary>The name of the nearest layer (object with class_name and a name) around the element.</summary>
        public string? Owner { get; } = owner;

        /// <summary>The class_name of the nearest object around the element that has one.</summary>
        public string? EnclosingClass { get; } = enclosingClass;

        public bool InLambda { get; } = inLambda;
    }

    /// <summary>The findings of one scan call, with duplicates removed (one custom class used by 50 layers is one MLG302).</summary>
    private sealed class Session(string view, ModelScanContext context)
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

            Context.Report(RuleCatalog.ModelImportNotAllowed, Context.Options.Strict ? Severity.Error : Severity.Warning, view, qualified);
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

        public JsonOutcome ScanJson(ReadOnlySpan<byte> json, JsonSource source)
        {
            if (json.Length > Context.Limits.MaxHeaderBytes)
            {
                Report307($"its Keras model configuration is {json.Length} bytes", Context.Limits.MaxHeaderBytes);
                return JsonOutcome.Rejected;
            }

            if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                json = json[3..];
            }

            if (!System.Text.Unicode.Utf8.IsValid(json))
            {
                if (source != JsonSource.Hdf5Capture)
                {
                    Report303("the Keras model configuration is not valid UTF-8");
                }

                return JsonOutcome.Malformed;
            }

            if (!Prescan(json, out var nonFinite))
            {
                Report303($"the Keras model configuration nests deeper than {MaxJsonDepth} levels");
                return JsonOutcome.Rejected;
            }

            var buffer = json.ToArray();
            if (nonFinite)
            {
                ReplaceNonFinite(buffer);
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer, new JsonDocumentOptions { MaxDepth = MaxJsonDepth + 1 });
            }
            catch (JsonException e)
            {
                if (source != JsonSource.Hdf5Capture)
                {
                    Report303(json.IsEmpty
                        ? "the Keras model configuration is empty"
                        : $"the Keras model configuration is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
                }

                return JsonOutcome.Malformed;
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    if (source == JsonSource.Config)
                    {
                        Report303("the Keras model configuration is not a JSON object");
                        return JsonOutcome.Malformed;
                    }

                    return JsonOutcome.Ignored;
                }

                if (source == JsonSource.Embedded && !TryGet(root, "class_name", out _))
                {
                    return JsonOutcome.Ignored;
                }

                try
                {
                    Walk(root);
                }
                catch (InvalidOperationException)
                {
                    Report303("the Keras model configuration holds text that cannot be decoded");
                    return JsonOutcome.Malformed;
                }

                Context.Recognise(view, "keras-config");
                return JsonOutcome.Scanned;
            }
        }

        private void Walk(JsonElement root)
        {
            var stack = new Stack<Frame>();
            var children = new List<Frame>();
            stack.Push(new Frame(root, null, null, false));
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
                            children.Add(new Frame(item, frame.Owner, frame.EnclosingClass, frame.InLambda));
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
                            children.Add(new Frame(property.Value, owner, className ?? frame.EnclosingClass, inLambda));
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
                     Classify(dotted) == Verdict.Dangerous)
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
                        if (AsDottedName(value) is { } symbol && Classify("tf." + symbol) == Verdict.Dangerous)
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
                case Verdict.Dangerous:
                    var root = module.Split('.')[0];
                    var detail = qualified == module ? "" : $" ('{FormatText.Printable(qualified)}')";
                    Report306(DangerousRoots.Contains(root)
                        ? $"{Who(owner)} names the module '{FormatText.Printable(module)}'{detail}"
                        : $"{Who(owner)} names '{FormatText.Printable(qualified)}'");
                    break;
                case Verdict.NotAllowed when allowNotAllowed:
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

    /// <summary>Checks nesting depth without recursion; notes bare NaN / Infinity tokens (Python's json accepts them).</summary>
    private static bool Prescan(ReadOnlySpan<byte> json, out bool nonFinite)
    {
        nonFinite = false;
        var depth = 0;
        var strings = new JsonStringState();
        foreach (var b in json)
        {
            if (strings.Inside(b))
            {
                continue;
            }

            switch (b)
            {
                case (byte)'{' or (byte)'[':
                    if (++depth > MaxJsonDepth)
                    {
                        return false;
                    }

                    break;
                case (byte)'}' or (byte)']':
                    depth--;
                    break;
                case (byte)'N' or (byte)'I':
                    nonFinite = true;
                    break;
            }
        }

        return true;
    }

    /// <summary>Replaces bare NaN / Infinity (outside strings) by a number of the same length, keeping the structure.</summary>
    private static void ReplaceNonFinite(byte[] json)
    {
        var strings = new JsonStringState();
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (strings.Inside(b))
            {
                continue;
            }

            if (b == (byte)'N' && json.AsSpan(i).StartsWith("NaN"u8))
            {
                json[i] = (byte)'0';
                json[i + 1] = json[i + 2] = (byte)' ';
                i += 2;
            }
            else if (b == (byte)'I' && json.AsSpan(i).StartsWith("Infinity"u8))
            {
                json[i] = (byte)'0';
                json.AsSpan(i + 1, 7).Fill((byte)' ');
                i += 7;
            }
        }
    }

    /// <summary>Follows JSON text byte by byte and tells which bytes belong to a string literal (its quotes included).</summary>
    private struct JsonStringState
    {
        private bool _inString;
        private bool _escaped;

        public bool Inside(byte b)
        {
            if (_inString)
            {
                if (_escaped)
                {
                    _escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    _escaped = true;
                }
                else if (b == (byte)'"')
                {
                    _inString = false;
                }

                return true;
            }

            _inString = b == (byte)'"';
            return _inString;
        }
    }

    // ---- HDF5 --------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Captures JSON objects from a byte stream fed in chunks. A capture starts at every '{' and follows the JSON grammar
    /// (structure, strings and escapes; the spelling of literals and numbers is left to the parser); it ends when the
    /// object closes, or fails at the first byte the grammar does not allow there. A failed capture that has another '{'
    /// after its first byte is read again from its second byte (a configuration may start inside it), within
    /// <see cref="ReplayBudget"/>.
    /// </summary>
    private sealed class Hdf5ConfigFinder
    {
        private readonly Session _session;
        private readonly long _cap;
        private readonly Stack<(byte[] Buffer, int Offset, int Count)> _segments = new();
        private byte[] _capture = new byte[256];
        private int _captureLength;
        private bool _capturing;
        private long _replayed;

        // The grammar: the open containers (true = object), what may come next, and string state.
        private bool[] _containers = new bool[64];
        private int _depth;
        private Expect _expect;
        private bool _inString;
        private bool _stringIsKey;
        private bool _escaped;

        public Hdf5ConfigFinder(Session session)
        {
            _session = session;
            _cap = Math.Min(session.Context.Limits.MaxHeaderBytes, Array.MaxLength - 64);
        }

        public bool Stopped { get; private set; }

        private enum Expect
        {
            Value,
            ValueOrEnd,
            Key,
            KeyOrEnd,
            Colon,
            CommaOrEnd,
            Literal,
        }

        public void Feed(byte[] buffer, int offset, int count)
        {
            _segments.Push((buffer, offset, count));
            Drain();
        }

        public void Finish()
        {
            while (_capturing && !Stopped)
            {
                Fail("it is cut off at the end of the file");
                Drain();
            }
        }

        private void Drain()
        {
            while (_segments.Count > 0 && !Stopped)
            {
                var (buffer, offset, count) = _segments.Pop();
                var consumed = Process(buffer.AsSpan(offset, count), out var failure);
                if (failure is not null)
                {
                    // The rest of the input is read after the capture's own bytes have been read again.
                    if (consumed < count)
                    {
                        _segments.Push((buffer, offset + consumed, count - consumed));
                    }

                    Fail(failure);
                }
            }
        }

        /// <summary>Whether the failed capture has a '{' after its first byte, where another capture could start.</summary>
        private bool NeedsReplay => _captureLength > 1 && _capture.AsSpan(1, _captureLength - 1).IndexOf((byte)'{') >= 0;

        /// <summary>
        /// Ends the current capture as failed and reports it if it was a Keras configuration. If it must be read again,
        /// its bytes after the first are queued (or, with <paramref name="queue"/> false, the caller re-reads them from its
        /// own input); false when that would exceed the replay budget (the scan then stops).
        /// </summary>
        private bool Fail(string reason, bool queue = true)
        {
            var captured = _capture.AsSpan(0, _captureLength);
            _capturing = false;
            if (captured.IndexOf(ClassNameKey) >= 0)
            {
                _session.Report303($"the Keras model configuration cannot be read ({reason})");
            }

            if (NeedsReplay)
            {
                _replayed += _captureLength - 1;
                if (_replayed > ReplayBudget)
                {
                    _session.Report307("the file holds more broken JSON text than can be re-read", ReplayBudget);
                    Stopped = true;
                    _captureLength = 0;
                    return false;
                }

                if (queue)
                {
                    _segments.Push((captured[1..].ToArray(), 0, _captureLength - 1));
                }
            }

            _captureLength = 0;
            return true;
        }

        /// <summary>
        /// Reads bytes until the input ends or a capture fails and must be re-read: then returns the bytes consumed (not
        /// the byte that ended it) and the reason; the capture is still open for <see cref="Fail"/>.
        /// </summary>
        private int Process(ReadOnlySpan<byte> input, out string? failure)
        {
            failure = null;
            var i = 0;
            var captureStart = -1; // where the open capture started, when that is in this input
            while (i < input.Length)
            {
                if (!_capturing)
                {
                    var next = input[i..].IndexOf((byte)'{');
                    if (next < 0)
                    {
                        return input.Length;
                    }

                    i += next;
                    if (i + 1 < input.Length && input[i + 1] is not ((byte)'"' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                    {
                        i++; // the capture would fail at its second byte
                        continue;
                    }

                    captureStart = i;
                    _capturing = true;
                    _captureLength = 0;
                    _depth = 0;
                    _expect = Expect.Value;
                    _inString = false;
                    _escaped = false;
                }

                var start = i;
                var result = StepResult.Continue;
                for (; i < input.Length; i++)
                {
                    result = Step(input[i]);
                    if (result != StepResult.Continue)
                    {
                        break;
                    }
                }

                if (result == StepResult.Complete)
                {
                    i++;
                }

                if (!Append(input[start..i]))
                {
                    return input.Length;
                }

                string? reason = null;
                if (result == StepResult.Fail)
                {
                    reason = "it is cut off";
                }
                else if (result == StepResult.Complete && !Complete())
                {
                    reason = "it is not valid JSON";
                }

                if (reason is null)
                {
                    continue;
                }

                if (!NeedsReplay)
                {
                    Fail(reason); // nothing to re-read: go on from the byte that ended it
                }
                else if (captureStart >= 0)
                {
                    // The capture's bytes are still in this input: re-read them from there.
                    if (!Fail(reason, queue: false))
                    {
                        return input.Length;
                    }

                    i = captureStart + 1;
                }
                else
                {
                    failure = reason;
                    return i;
                }

                captureStart = -1;
            }

            return input.Length;
        }

        private bool Append(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
            {
                return true;
            }

            if (_captureLength + (long)bytes.Length > _cap)
            {
                // Too large to read into memory: the rest of the file cannot be shown safe.
                _session.Report307("a JSON text in the file is larger than the configurations that may be read into memory", _session.Context.Limits.MaxHeaderBytes);
                Stopped = true;
                _capturing = false;
                return false;
            }

            if (_captureLength + bytes.Length > _capture.Length)
            {
                var size = (int)Math.Min(_cap, Math.Max((long)_capture.Length * 2, _captureLength + (long)bytes.Length));
                Array.Resize(ref _capture, size);
            }

            bytes.CopyTo(_capture.AsSpan(_captureLength));
            _captureLength += bytes.Length;
            return true;
        }

        /// <summary>Scans a complete capture; false when the parser rejects it (it stays open for <see cref="Fail"/>).</summary>
        private bool Complete()
        {
            var text = _capture.AsSpan(0, _captureLength);
            if (text.IndexOf(ClassNameKey) >= 0 && _session.ScanJson(text, JsonSource.Hdf5Capture) == JsonOutcome.Malformed)
            {
                return false;
            }

            // Scanned, rejected (and reported), or a JSON object that is not a Keras configuration.
            _capturing = false;
            _captureLength = 0;
            return true;
        }

        private enum StepResult
        {
            Continue,
            Complete,
            Fail,
        }

        private static bool IsLiteralByte(byte b) =>
            (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b is (byte)'-' or (byte)'+' or (byte)'.';

        private StepResult Step(byte b)
        {
            if (_inString)
            {
                if (_escaped)
                {
                    _escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    _escaped = true;
                }
                else if (b == (byte)'"')
                {
                    _inString = false;
                    _expect = _stringIsKey ? Expect.Colon : Expect.CommaOrEnd;
                }
                else if (b < 0x20)
                {
                    return StepResult.Fail;
                }

                return StepResult.Continue;
            }

            if (_expect == Expect.Literal)
            {
                if (IsLiteralByte(b))
                {
                    return StepResult.Continue;
                }

                _expect = Expect.CommaOrEnd;
            }

            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                return StepResult.Continue;
            }

            switch (_expect)
            {
                case Expect.KeyOrEnd when b == (byte)'}':
                    return Close(isObject: true);
                case Expect.Key or Expect.KeyOrEnd:
                    if (b != (byte)'"')
                    {
                        return StepResult.Fail;
                    }

                    _inString = true;
                    _stringIsKey = true;
                    return StepResult.Continue;
                case Expect.Colon:
                    if (b != (byte)':')
                    {
                        return StepResult.Fail;
                    }

                    _expect = Expect.Value;
                    return StepResult.Continue;
                case Expect.CommaOrEnd:
                    if (_depth == 0)
                    {
                        return StepResult.Fail;
                    }

                    if (b == (byte)',')
                    {
                        _expect = _containers[_depth - 1] ? Expect.Key : Expect.Value;
                        return StepResult.Continue;
                    }

                    return b switch
                    {
                        (byte)'}' => Close(isObject: true),
                        (byte)']' => Close(isObject: false),
                        _ => StepResult.Fail,
                    };
                case Expect.ValueOrEnd when b == (byte)']':
                    return Close(isObject: false);
                default: // a value
                    if (b is (byte)'{' or (byte)'[')
                    {
                        if (_depth == _containers.Length)
                        {
                            Array.Resize(ref _containers, _containers.Length * 2);
                        }

                        var isObject = b == (byte)'{';
                        _containers[_depth++] = isObject;
                        _expect = isObject ? Expect.KeyOrEnd : Expect.ValueOrEnd;
                        return StepResult.Continue;
                    }

                    if (_depth == 0)
                    {
                        return StepResult.Fail; // a capture is an object
                    }

                    if (b == (byte)'"')
                    {
                        _inString = true;
                        _stringIsKey = false;
                        return StepResult.Continue;
                    }

                    if (IsLiteralByte(b))
                    {
                        _expect = Expect.Literal;
                        return StepResult.Continue;
                    }

                    return StepResult.Fail;
            }
        }

        private StepResult Close(bool isObject)
        {
            if (_depth == 0 || _containers[_depth - 1] != isObject)
            {
                return StepResult.Fail;
            }

            _depth--;
            _expect = Expect.CommaOrEnd;
            return _depth == 0 ? StepResult.Complete : StepResult.Continue;
        }
    }

    // ---- TensorFlow SavedModel ---------------------------------------------------------------------------------------

    private sealed class SavedModelOps(Session session)
    {
        private static readonly Dictionary<string, string> DangerousOps = new(StringComparer.Ordinal)
        {
            ["PyFunc"] = "calls back into Python",
            ["PyFuncStateless"] = "calls back into Python",
            ["EagerPyFunc"] = "calls back into Python",
            ["ReadFile"] = "reads files",
            ["WriteFile"] = "writes files",
            ["MatchingFiles"] = "lists files",
            ["Save"] = "writes checkpoint files",
            ["SaveV2"] = "writes checkpoint files",
            ["SaveSlices"] = "writes checkpoint files",
            ["MergeV2Checkpoints"] = "writes checkpoint files",
        };

        private static readonly HashSet<string> SaverOps = new(StringComparer.Ordinal) { "Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints" };

        /// <summary>Per op, in order of appearance: where it was first seen and how often.</summary>
        private readonly Dictionary<string, (string First, int Count)> _found = new(StringComparer.Ordinal);
        private readonly List<string> _order = new();

        private sealed record Node(string Name, string Op, string? Function, List<string> Calls);

        public void ScanMetaGraph(ReadOnlySpan<byte> metaGraph)
        {
            // Pass 1: the saver (it may come after the graph), and Keras metadata in the object graph.
            var saverNames = new List<string>();
            var reader = new ProtoReader(metaGraph);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 3 && wire == ProtoReader.LengthDelimited)
                {
                    ReadSaverDef(reader.ReadBytes(), saverNames);
                }
                else if (field == 7 && wire == ProtoReader.LengthDelimited)
                {
                    ScanObjectGraph(reader.ReadBytes());
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            // Pass 2: every graph (repeated occurrences of graph_def merge, so each is read).
            var nodes = new List<Node>();
            try
            {
                reader = new ProtoReader(metaGraph);
                while (!reader.End)
                {
                    var (field, wire) = reader.ReadTag();
                    if (field == 2 && wire == ProtoReader.LengthDelimited)
                    {
                        ReadGraphDef(reader.ReadBytes(), nodes);
                    }
                    else
                    {
                        reader.Skip(wire);
                    }
                }
            }
            finally
            {
                // Nodes read before a malformed part are still reported.
                Evaluate(nodes, saverNames);
            }
        }

        private void Evaluate(List<Node> nodes, List<string> saverNames)
        {
            var scopes = new List<string>();
            var roots = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tensor in saverNames)
            {
                var name = tensor.TrimStart('^');
                var colon = name.IndexOf(':', StringComparison.Ordinal);
                if (colon >= 0)
                {
                    name = name[..colon];
                }

                roots.Add(name);
                var slash = name.LastIndexOf('/');
                if (slash > 0)
                {
                    scopes.Add(name[..(slash + 1)]);
                }
            }

            bool InSaverScope(Node node) =>
                node.Function is null &&
                (roots.Contains(node.Name) || scopes.Exists(s => node.Name.StartsWith(s, StringComparison.Ordinal)) || InDefaultSaverScope(node.Name));

            // Functions reachable from the saver's nodes.
            var calls = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var reachable = new HashSet<string>(StringComparer.Ordinal);
            var queue = new Queue<string>();
            foreach (var node in nodes)
            {
                if (node.Function is not null)
                {
                    if (!calls.TryGetValue(node.Function, out var list))
                    {
                        calls[node.Function] = list = new List<string>();
                    }

                    list.AddRange(node.Calls);
                }
                else if (InSaverScope(node))
                {
                    foreach (var f in node.Calls)
                    {
                        if (reachable.Add(f))
                        {
                            queue.Enqueue(f);
                        }
                    }
                }
            }

            while (queue.Count > 0)
            {
                if (calls.TryGetValue(queue.Dequeue(), out var callees))
                {
                    foreach (var f in callees)
                    {
                        if (reachable.Add(f))
                        {
                            queue.Enqueue(f);
                        }
                    }
                }
            }

            foreach (var node in nodes)
            {
                if (!DangerousOps.TryGetValue(node.Op, out var purpose))
                {
                    continue;
                }

                if (SaverOps.Contains(node.Op) &&
                    (InSaverScope(node) ||
                     (node.Function is not null && (reachable.Contains(node.Function) || node.Function.Contains("_traced_save", StringComparison.Ordinal)))))
                {
                    continue;
                }

                var where = node.Function is null
                    ? $"node '{FormatText.Printable(node.Name)}'"
                    : $"node '{FormatText.Printable(node.Name)}' in function '{FormatText.Printable(node.Function)}'";
                if (_found.TryGetValue(node.Op, out var seen))
                {
                    _found[node.Op] = (seen.First, seen.Count + 1);
                }
                else
                {
                    _found[node.Op] = ($"{where} uses the TensorFlow op '{node.Op}' ({purpose}", 1);
                    _order.Add(node.Op);
                }
            }
        }

        /// <summary>TensorFlow 1 savers name their scope "save", "save_1", "save_2", … (a graph may hold several).</summary>
        private static bool InDefaultSaverScope(string name)
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                return false;
            }

            var scope = name.AsSpan(0, slash);
            if (!scope.StartsWith("save", StringComparison.Ordinal))
            {
                return false;
            }

            var suffix = scope[4..];
            return suffix.IsEmpty || (suffix.Length > 1 && suffix[0] == '_' && int.TryParse(suffix[1..], NumberStyles.None, CultureInfo.InvariantCulture, out _));
        }

        public void ReportOps()
        {
            foreach (var op in _order)
            {
                var (first, count) = _found[op];
                session.Report306(count == 1 ? first + ")" : $"{first}; {count} nodes in all)");
            }
        }

        private static void ReadSaverDef(ReadOnlySpan<byte> saverDef, List<string> names)
        {
            var reader = new ProtoReader(saverDef);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field is 1 or 2 or 3 && wire == ProtoReader.LengthDelimited)
                {
                    names.Add(Utf8(reader.ReadBytes()));
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }

        private void ReadGraphDef(ReadOnlySpan<byte> graphDef, List<Node> nodes)
        {
            var reader = new ProtoReader(graphDef);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    nodes.Add(ReadNodeDef(reader.ReadBytes(), null));
                }
                else if (field == 2 && wire == ProtoReader.LengthDelimited)
                {
                    ReadLibrary(reader.ReadBytes(), nodes);
                }
                else
                {
                    reader.Skip(wire);
                }

                CheckCount(nodes);
            }
        }

        private void ReadLibrary(ReadOnlySpan<byte> library, List<Node> nodes)
        {
            var reader = new ProtoReader(library);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    ReadFunctionDef(reader.ReadBytes(), nodes);
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }

        private void ReadFunctionDef(ReadOnlySpan<byte> function, List<Node> nodes)
        {
            // The name is in the signature (field 1), which may come after the nodes.
            var name = "";
            var reader = new ProtoReader(function);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    var signature = new ProtoReader(reader.ReadBytes());
                    while (!signature.End)
                    {
                        var (f, w) = signature.ReadTag();
                        if (f == 1 && w == ProtoReader.LengthDelimited)
                        {
                            name = Utf8(signature.ReadBytes());
                        }
                        else
                        {
                            signature.Skip(w);
                        }
                    }
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            reader = new ProtoReader(function);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 3 && wire == ProtoReader.LengthDelimited)
                {
                    nodes.Add(ReadNodeDef(reader.ReadBytes(), name));
                    CheckCount(nodes);
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }

        private static void CheckCount(List<Node> nodes)
        {
            // A node takes at least 2 bytes, so the count is bounded by the input; this only keeps memory in check.
            if (nodes.Count > 50_000_000)
            {
                throw new MalformedProtoException("it holds more graph nodes than can be checked");
            }
        }

        private static Node ReadNodeDef(ReadOnlySpan<byte> nodeDef, string? function)
        {
            var name = "";
            var op = "";
            var calls = new List<string>();
            var reader = new ProtoReader(nodeDef);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    name = Utf8(reader.ReadBytes());
                }
                else if (field == 2 && wire == ProtoReader.LengthDelimited)
                {
                    op = Utf8(reader.ReadBytes());
                }
                else if (field == 5 && wire == ProtoReader.LengthDelimited)
                {
                    ReadAttrEntry(reader.ReadBytes(), calls);
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            return new Node(name, op, function, calls);
        }

        /// <summary>A map entry (key = 1, value = 2 AttrValue): collects called function names.</summary>
        private static void ReadAttrEntry(ReadOnlySpan<byte> entry, List<string> calls)
        {
            var reader = new ProtoReader(entry);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 2 && wire == ProtoReader.LengthDelimited)
                {
                    var value = new ProtoReader(reader.ReadBytes());
                    while (!value.End)
                    {
                        var (f, w) = value.ReadTag();
                        if (f == 10 && w == ProtoReader.LengthDelimited)
                        {
                            AddFunctionName(value.ReadBytes(), calls); // func: NameAttrList
                        }
                        else if (f == 1 && w == ProtoReader.LengthDelimited)
                        {
                            var list = new ProtoReader(value.ReadBytes()); // list: ListValue, func = 9
                            while (!list.End)
                            {
                                var (lf, lw) = list.ReadTag();
                                if (lf == 9 && lw == ProtoReader.LengthDelimited)
                                {
                                    AddFunctionName(list.ReadBytes(), calls);
                                }
                                else
                                {
                                    list.Skip(lw);
                                }
                            }
                        }
                        else
                        {
                            value.Skip(w);
                        }
                    }
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }

        private static void AddFunctionName(ReadOnlySpan<byte> nameAttrList, List<string> calls)
        {
            var reader = new ProtoReader(nameAttrList);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == ProtoReader.LengthDelimited)
                {
                    calls.Add(Utf8(reader.ReadBytes()));
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }

        /// <summary>SavedObjectGraph.nodes → SavedObject.user_object (4) → SavedUserObject.metadata (3): Keras JSON.</summary>
        private void ScanObjectGraph(ReadOnlySpan<byte> objectGraph)
        {
            var reader = new ProtoReader(objectGraph);
            while (!reader.End)
            {
                var (field, wire) = reader.ReadTag();
                if (field != 1 || wire != ProtoReader.LengthDelimited)
                {
                    reader.Skip(wire);
                    continue;
                }

                var savedObject = new ProtoReader(reader.ReadBytes());
                while (!savedObject.End)
                {
                    var (f, w) = savedObject.ReadTag();
                    if (f == 4 && w == ProtoReader.LengthDelimited)
                    {
                        ScanJsonStrings(savedObject.ReadBytes(), session);
                    }
                    else
                    {
                        savedObject.Skip(w);
                    }
                }
            }
        }

        private static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
    }

    // ---- protobuf wire format ----------------------------------------------------------------------------------------

    private sealed class MalformedProtoException(string reason) : Exception(reason);

    /// <summary>Reads the protobuf wire format: varint, 64-bit, length-delimited and 32-bit fields; groups are rejected.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        public const int Varint = 0;
        public const int Fixed64 = 1;
        public const int LengthDelimited = 2;
        public const int Fixed32 = 5;

        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool End => _position >= _data.Length;

        public (int Field, int Wire) ReadTag()
        {
            var at = _position;
            var tag = ReadVarint();
            var wire = (int)(tag & 7);
            var field = tag >> 3;
            if (field == 0 || field > 0x1FFF_FFFF)
            {
                throw new MalformedProtoException(string.Create(CultureInfo.InvariantCulture, $"field number {field} at byte {at} is out of range"));
            }

            if (wire is 3 or 4)
            {
                throw new MalformedProtoException(string.Create(CultureInfo.InvariantCulture, $"field {field} at byte {at} is a group, which these messages do not use"));
            }

            if (wire is 6 or 7)
            {
                throw new MalformedProtoException(string.Create(CultureInfo.InvariantCulture, $"field {field} at byte {at} has the unknown wire type {wire}"));
            }

            return ((int)field, wire);
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw new MalformedProtoException("a number is cut off at the end");
                }

                var b = _data[_position++];
                if (shift == 63 && b > 1)
                {
                    throw new MalformedProtoException(string.Create(CultureInfo.InvariantCulture, $"the number at byte {_position - 1} is longer than 64 bits"));
                }

                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw new MalformedProtoException(string.Create(CultureInfo.InvariantCulture, $"the number at byte {_position} is longer than 64 bits"));
        }

        public ReadOnlySpan<byte> ReadBytes()
        {
            var length = ReadVarint();
            if (length > (ulong)(_data.Length - _position))
            {
                throw new MalformedProtoException(string.Create(CultureInfo.InvariantCulture, $"a field of {length} bytes at byte {_position} runs past the end"));
            }

            var bytes = _data.Slice(_position, (int)length);
            _position += (int)length;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case Varint:
                    ReadVarint();
                    break;
                case Fixed64:
                    Advance(8);
                    break;
                case LengthDelimited:
                    ReadBytes();
                    break;
                case Fixed32:
                    Advance(4);
                    break;
                default:
                    throw new MalformedProtoException($"unknown wire type {wire}");
            }
        }

        private void Advance(int count)
        {
            if (_data.Length - _position < count)
            {
                throw new MalformedProtoException("a fixed-size field is cut off at the end");
            }

            _position += count;
        }
    }
}
