namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>How one imported name is judged.</summary>
public enum GlobalVerdict
{
    /// <summary>On the allowlist: safe to load.</summary>
    Allowed,

    /// <summary>Not known dangerous, not known safe: MLG302.</summary>
    NotAllowed,

    /// <summary>Runs code, processes, touches files or the network, or imports arbitrary code: MLG301.</summary>
    Dangerous,
}

/// <summary>
/// Which globals a model may import (SPEC MLG301/MLG302). Allowlist first: the built-in allowlist (what PyTorch's
/// <c>weights_only</c> loader accepts and what numpy, scikit-learn, pandas, scipy, joblib, XGBoost and LightGBM write;
/// <c>Catalogue/allowed-globals.tsv</c>, a source per row), plus the user's own entries; everything else is not allowed. A separate catalogue of dangerous names (each with what it would do) turns
/// "not allowed" into "dangerous", and always wins over the allowlist.
/// </summary>
public sealed class GlobalPolicy
{
    /// <summary>Modules (and their submodules) whose every name is dangerous, with what importing from them can do.</summary>
    private static readonly Dictionary<string, string> DangerousModules = new(StringComparer.Ordinal)
    {
        ["os"] = "run shell commands and access files", ["posix"] = "run shell commands and access files", ["nt"] = "run shell commands and access files",
        ["subprocess"] = "run processes", ["_posixsubprocess"] = "run processes", ["pty"] = "run processes", ["popen2"] = "run processes",
        ["platform"] = "run processes", ["multiprocessing"] = "run code in new processes", ["_winapi"] = "run processes",
        ["runpy"] = "execute code", ["importlib"] = "import arbitrary code", ["imp"] = "import arbitrary code", ["pkgutil"] = "import arbitrary code",
        ["zipimport"] = "import arbitrary code", ["code"] = "execute code", ["codeop"] = "compile and execute code", ["compileall"] = "compile code",
        ["py_compile"] = "compile code", ["marshal"] = "load code objects", ["types"] = "build functions from code objects",
        ["ctypes"] = "call native code", ["_ctypes"] = "call native code", ["cffi"] = "call native code", ["sys"] = "alter the interpreter",
        ["gc"] = "reach any object in the interpreter", ["inspect"] = "reach any object in the interpreter",
        ["pickle"] = "load another pickle", ["_pickle"] = "load another pickle", ["dill"] = "load pickled code", ["cloudpickle"] = "load pickled code",
        ["shelve"] = "load another pickle",
        ["socket"] = "open network connections", ["_socket"] = "open network connections", ["ssl"] = "open network connections",
        ["http"] = "open network connections", ["urllib"] = "open network connections", ["urllib3"] = "open network connections",
        ["requests"] = "open network connections", ["httpx"] = "open network connections", ["aiohttp"] = "open network connections",
        ["ftplib"] = "open network connections", ["smtplib"] = "open network connections", ["poplib"] = "open network connections",
        ["imaplib"] = "open network connections", ["nntplib"] = "open network connections", ["telnetlib"] = "open network connections",
        ["xmlrpc"] = "open network connections", ["socketserver"] = "open network connections", ["webbrowser"] = "open URLs and run a browser",
        ["asyncio"] = "run processes and open network connections", ["selectors"] = "open network connections",
        ["shutil"] = "copy, move and delete files", ["tempfile"] = "create files", ["glob"] = "list files", ["fileinput"] = "read files",
        ["pathlib"] = "read, write and delete files", ["zipfile"] = "read and write files",
        ["tarfile"] = "read and write files", ["linecache"] = "read files", ["logging"] = "write files and reach handlers",
        ["signal"] = "alter the interpreter", ["resource"] = "alter the interpreter", ["atexit"] = "run code at exit",
        ["threading"] = "run code in new threads", ["_thread"] = "run code in new threads",
        ["pydoc"] = "run a pager process and import code", ["profile"] = "execute code", ["cProfile"] = "execute code", ["pdb"] = "execute code",
        ["bdb"] = "execute code", ["trace"] = "execute code", ["timeit"] = "execute code", ["doctest"] = "execute code", ["site"] = "alter the interpreter",
        ["distutils"] = "run processes", ["setuptools"] = "run processes", ["pip"] = "install packages", ["venv"] = "run processes",
        ["ensurepip"] = "install packages", ["idlelib"] = "execute code", ["lib2to3"] = "execute code", ["_interpreters"] = "execute code",
        ["_xxsubinterpreters"] = "execute code", ["cgi"] = "run processes", ["cgitb"] = "execute code", ["mailcap"] = "run processes",
        ["pipes"] = "run processes", ["_aix_support"] = "run processes", ["_osx_support"] = "run processes",
        ["operator"] = "reach attributes and call methods of any object", ["_operator"] = "reach attributes and call methods of any object",
        ["functools"] = "call functions with chosen arguments", ["copy"] = "call methods of any object",
        ["torch.hub"] = "download and run code", ["torch.jit"] = "compile and run code", ["torch._dynamo"] = "compile and run code",
        ["torch._inductor"] = "compile and run code", ["torch.package"] = "import packaged code", ["torch.utils.cpp_extension"] = "compile native code",
        ["torch.distributed"] = "open network connections", ["torch.testing"] = "execute code", ["torch.utils._config_module"] = "execute code",
        ["numpy.f2py"] = "compile and run code", ["numpy.distutils"] = "run processes", ["numpy.ctypeslib"] = "call native code",
        ["numpy.testing"] = "execute code", ["keras"] = "load layers that run code", ["tensorflow"] = "run TensorFlow ops that touch files",
        ["__main__"] = "run whatever the loading program defines",
    };

    /// <summary>Single names that are dangerous in modules that are otherwise fine.</summary>
    private static readonly Dictionary<string, string> DangerousNames = new(StringComparer.Ordinal)
    {
        ["builtins.eval"] = "execute code", ["builtins.exec"] = "execute code", ["builtins.compile"] = "compile code",
        ["builtins.__import__"] = "import arbitrary code", ["builtins.open"] = "open files", ["builtins.getattr"] = "reach any attribute",
        ["builtins.setattr"] = "change any attribute", ["builtins.delattr"] = "delete any attribute", ["builtins.globals"] = "reach the interpreter's globals",
        ["builtins.locals"] = "reach the interpreter's locals", ["builtins.vars"] = "reach any object's attributes", ["builtins.input"] = "read from the console",
        ["builtins.breakpoint"] = "start a debugger", ["builtins.__build_class__"] = "define classes", ["builtins.type"] = "define classes",
        ["builtins.exit"] = "end the process", ["builtins.quit"] = "end the process", ["builtins.help"] = "run a pager process",
        ["builtins.memoryview"] = "reach raw memory", ["builtins.print"] = "write output", ["builtins.super"] = "reach base-class methods",
        ["builtins.classmethod"] = "define methods", ["builtins.staticmethod"] = "define methods",
        ["builtins.property"] = "define methods", ["builtins.map"] = "call functions lazily", ["builtins.filter"] = "call functions lazily",
        ["builtins.apply"] = "call functions", ["builtins.execfile"] = "execute code", ["builtins.reload"] = "re-import code",
        ["torch.load"] = "load another pickle", ["torch.compile"] = "compile and run code", ["torch.storage._load_from_bytes"] = "load another pickle",
        ["torch.serialization.load"] = "load another pickle", ["torch.serialization._load"] = "load another pickle",
        ["numpy.load"] = "load a pickle from a file", ["numpy.loadtxt"] = "read files", ["numpy.fromfile"] = "read files",
        ["numpy.save"] = "write files", ["numpy.memmap"] = "map files", ["numpy.lib.npyio.load"] = "load a pickle from a file",
        ["collections.namedtuple"] = "compile code", ["codecs.open"] = "open files", ["_codecs.open"] = "open files",
        ["io.open"] = "open files", ["io.FileIO"] = "open files", ["io.open_code"] = "open files", ["_io.open"] = "open files",
        ["_io.FileIO"] = "open files", ["_io.open_code"] = "open files", ["uuid._get_command_stdout"] = "run processes",
        ["uuid._popen"] = "run processes", ["joblib.load"] = "load another pickle", ["joblib.numpy_pickle.load"] = "load another pickle",
        ["joblib.numpy_pickle._unpickle"] = "load another pickle", ["joblib.numpy_pickle_compat.load"] = "load another pickle",
        ["joblib.Parallel"] = "run code in other processes", ["joblib.delayed"] = "call functions", ["uuid._find_mac"] = "run processes", ["uuid._ifconfig_getnode"] = "run processes",
    };

    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<string> _modulePrefixes = new();
    private readonly List<string> _extraAllowed;
    private readonly HashSet<string> _loaderNames = new(StringComparer.Ordinal);

    public GlobalPolicy(IEnumerable<string> extraAllowed)
    {
        _extraAllowed = extraAllowed.Select(e => e.Trim()).Where(e => e.Length > 0).ToList();
        foreach (var entry in _extraAllowed)
        {
            if (entry.EndsWith(".*", StringComparison.Ordinal))
            {
                _modulePrefixes.Add(entry[..^2]);
            }
            else
            {
                _exact.Add(entry);
            }
        }
    }

    /// <summary>
    /// This policy for content a particular loader reads with its own resolver (TorchScript's C++ unpickler resolves
    /// <c>__torch__.*</c> and <c>torch.jit._pickle.build_intlist</c> without importing Python). <paramref name="loaderNames"/>
    /// are allowed there; an exact one (<c>module.name</c>) also stands against a whole-module entry of the dangerous
    /// catalogue, since the loader resolves that one name itself, but never against an entry naming it.
    /// </summary>
    public GlobalPolicy With(IEnumerable<string> loaderNames)
    {
        var names = loaderNames.ToList();
        var policy = new GlobalPolicy(_extraAllowed.Concat(names));
        policy._loaderNames.UnionWith(_loaderNames.Concat(names.Where(n => !n.EndsWith(".*", StringComparison.Ordinal))));
        return policy;
    }

    /// <summary>
    /// Judges an import of <paramref name="name"/> from <paramref name="module"/> (already mapped from Python 2 names).
    /// A dotted name reaches attributes: <c>pathlib</c> + <c>os.system</c> is <c>os.system</c>, so every reading of the
    /// chain is judged and the worst one counts.
    /// </summary>
    public (GlobalVerdict Verdict, string? Effect) Judge(string module, string name)
    {
        // A name vetted exactly (a row of the allowlist, or a name the loader resolves itself) stands against a catalogue
        // entry for its whole module, never against one that names it.
        if ((_loaderNames.Contains(module + "." + name) || Catalogue.AllowList.AllowsExactly(module, name)) && !NamedDangerous(module, name))
        {
            return (GlobalVerdict.Allowed, null);
        }

        string? effect = null;
        foreach (var (m, n) in Readings(module, name))
        {
            if (DangerousReason(m, n) is { } reason)
            {
                effect ??= reason;
            }
        }

        if (effect is not null)
        {
            return (GlobalVerdict.Dangerous, effect);
        }

        return IsAllowed(module, name) ? (GlobalVerdict.Allowed, null) : (GlobalVerdict.NotAllowed, null);
    }

    private bool IsAllowed(string module, string name)
    {
        if (Catalogue.AllowList.Allows(module, name))
        {
            return true;
        }

        // The user's own entries (MlGuardAllowedGlobal): module.name exactly, or module.* for a module and its submodules.
        var full = module + "." + name;
        if (_exact.Contains(full))
        {
            return true;
        }

        return !name.Contains('.') && _modulePrefixes.Any(p => module == p || module.StartsWith(p + ".", StringComparison.Ordinal));
    }

    /// <summary>Every (module, name) the import can stand for: the name as given, and each dotted step taken as a module.</summary>
    private static IEnumerable<(string Module, string Name)> Readings(string module, string name)
    {
        yield return (module, name);
        var parts = name.Split('.');
        for (var i = 0; i < parts.Length - 1; i++)
        {
            // pathlib + "os.system": attribute 'os' of pathlib is the os module.
            yield return (string.Join('.', parts[..(i + 1)]), string.Join('.', parts[(i + 1)..]));
            yield return (module + "." + string.Join('.', parts[..(i + 1)]), string.Join('.', parts[(i + 1)..]));
        }
    }

    /// <summary>Whether the catalogue names this very global (not only its module).</summary>
    private static bool NamedDangerous(string module, string name) =>
        DangerousNames.ContainsKey(module + "." + name) || DangerousNames.ContainsKey(module + "." + name.Split('.')[0]);

    private static string? DangerousReason(string module, string name)
    {
        var first = name.Split('.')[0];
        if (DangerousNames.TryGetValue(module + "." + first, out var byName) || DangerousNames.TryGetValue(module + "." + name, out byName))
        {
            return byName;
        }

        for (var m = module; m.Length > 0; m = m.Contains('.') ? m[..m.LastIndexOf('.')] : "")
        {
            if (DangerousModules.TryGetValue(m, out var byModule))
            {
                return byModule;
            }
        }

        // Dunder attributes reach interpreter internals whatever module they come from (__globals__, __builtins__, __subclasses__ …).
        return name.Split('.').Any(p => p.StartsWith("__", StringComparison.Ordinal) && p.EndsWith("__", StringComparison.Ordinal) && p.Length > 4
            && p is not ("__randomstate_ctor" or "__bit_generator_ctor" or "__generator_ctor" or "__newobj__" or "__newobj_ex__" or "__pyx_unpickle_SeedSequence"))
            ? "reach interpreter internals"
            : null;
    }
}
