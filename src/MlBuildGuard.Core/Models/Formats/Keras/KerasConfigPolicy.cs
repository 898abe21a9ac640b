using System.Text;

namespace MlBuildGuard.Core.Models.Formats.Keras;

/// <summary>How Keras judges a module or class a configuration names.</summary>
internal enum KerasVerdict
{
    Allowed,
    NotAllowed,
    Dangerous,
}

/// <summary>
/// The policy for names in Keras configurations: Keras and TensorFlow namespaces pass unless they name a known gadget;
/// modules that run commands, load code or touch files are dangerous (MLG306); anything else is a custom object (MLG302).
/// </summary>
internal static class KerasConfigPolicy
{
    /// <summary>Module roots of Keras, TensorFlow and the Keras libraries Keras itself imports from configurations.</summary>
    private static readonly HashSet<string> KerasRoots = new(StringComparer.Ordinal)
    {
        "keras", "tf_keras", "tensorflow", "tf", "keras_nlp", "keras_cv", "keras_hub", "numpy", "math",
    };

    /// <summary>Modules that run commands, load code or touch files and the network (compared case-insensitively).</summary>
    public static readonly HashSet<string> DangerousRoots = new(StringComparer.OrdinalIgnoreCase)
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

    public static KerasVerdict Classify(string qualified)
    {
        var dot = qualified.IndexOf('.', StringComparison.Ordinal);
        var root = dot < 0 ? qualified : qualified[..dot];
        if (DangerousRoots.Contains(root))
        {
            return KerasVerdict.Dangerous;
        }

        if (BuiltinModules.Contains(root))
        {
            var rest = dot < 0 ? "" : qualified[(dot + 1)..];
            var next = rest.IndexOf('.', StringComparison.Ordinal);
            var name = next < 0 ? rest : rest[..next];
            return DangerousBuiltins.Contains(name) ? KerasVerdict.Dangerous : KerasVerdict.Allowed;
        }

        foreach (var prefix in DangerousPrefixes)
        {
            if (qualified.StartsWith(prefix, StringComparison.Ordinal) &&
                (qualified.Length == prefix.Length || qualified[prefix.Length] == '.'))
            {
                return KerasVerdict.Dangerous;
            }
        }

        if (!KerasRoots.Contains(root))
        {
            return KerasVerdict.NotAllowed;
        }

        foreach (var part in qualified.Split('.'))
        {
            if (DangerousComponents.Contains(part))
            {
                return KerasVerdict.Dangerous;
            }
        }

        return KerasVerdict.Allowed;
    }

    /// <summary>A dotted Python name (letters, digits and '_'; NFKC-normalised as Python normalises identifiers).</summary>
    public static string? AsDottedName(string? value)
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

    public static bool IsClass(string? className, string name) =>
        className is not null &&
        (className == name || className.EndsWith("." + name, StringComparison.Ordinal) || className.EndsWith(">" + name, StringComparison.Ordinal));
}
