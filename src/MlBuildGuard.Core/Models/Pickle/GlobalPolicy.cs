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
/// Which globals a model may import (SPEC MLG301/MLG302). Allowlist first: what PyTorch's <c>weights_only</c> loader
/// accepts, plus common ML types (numpy, collections, scikit-learn estimators, joblib's array wrapper), plus the user's
/// own entries; everything else is not allowed. A separate catalogue of dangerous names (each with what it would do) turns
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

    /// <summary>Allowed names (<c>module.name</c>) and, with <c>.*</c>, every name of a module.</summary>
    private static readonly string[] BuiltInAllowed =
    [
        // PyTorch's weights_only loader
        "collections.OrderedDict", "collections.Counter", "collections.defaultdict", "collections.deque",
        "torch.nn.parameter.Parameter", "torch.serialization._get_layout", "torch.Size", "torch.Tensor", "torch.device",
        "_codecs.encode", "codecs.encode", "builtins.bytearray", "builtins.set", "builtins.frozenset", "builtins.complex",
        "builtins.slice", "builtins.range", "builtins.list", "builtins.dict", "builtins.tuple", "builtins.int", "builtins.float",
        "builtins.str", "builtins.bytes", "builtins.bool", "builtins.object",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_wrapper_subclass",
        "torch._utils._rebuild_device_tensor_from_numpy", "torch._utils._rebuild_device_tensor_from_cpu_tensor", "torch._utils._rebuild_nested_tensor",
        "torch._tensor._rebuild_from_type_v2", "torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.storage._TypedStorage",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage", "torch.IntStorage",
        "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage", "torch.ComplexFloatStorage",
        "torch.ComplexDoubleStorage", "torch.QUInt8Storage", "torch.QInt8Storage", "torch.QInt32Storage", "torch.QUInt4x2Storage",
        "torch.QUInt2x4Storage", "torch.UntypedStorage",
        "torch.float32", "torch.float", "torch.float64", "torch.double", "torch.float16", "torch.half", "torch.bfloat16", "torch.int8",
        "torch.int16", "torch.short", "torch.int32", "torch.int", "torch.int64", "torch.long", "torch.uint8", "torch.uint16", "torch.uint32",
        "torch.uint64", "torch.bool", "torch.complex32", "torch.complex64", "torch.complex128", "torch.cfloat", "torch.cdouble",
        "torch.qint8", "torch.quint8", "torch.qint32", "torch.quint4x2", "torch.quint2x4", "torch.float8_e4m3fn", "torch.float8_e5m2",
        "torch.float8_e4m3fnuz", "torch.float8_e5m2fnuz", "torch.strided", "torch.sparse_coo", "torch.sparse_csr", "torch.sparse_csc",
        "torch.sparse_bsr", "torch.sparse_bsc", "torch._mkldnn", "torch.per_tensor_affine", "torch.per_channel_affine",
        "torch.per_tensor_symmetric", "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams",
        // numpy arrays, scalars and random states
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar", "numpy.ndarray", "numpy.dtype", "numpy.ma.core._mareconstruct", "numpy.ma.core.MaskedArray",
        "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor", "numpy.random._pickle.__generator_ctor",
        "numpy.random.mtrand.RandomState", "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
        "numpy.float16", "numpy.float32", "numpy.float64", "numpy.int8", "numpy.int16", "numpy.int32", "numpy.int64", "numpy.uint8",
        "numpy.uint16", "numpy.uint32", "numpy.uint64", "numpy.bool_", "numpy.complex64", "numpy.complex128", "numpy.str_", "numpy.bytes_",
        "numpy.dtypes.*", "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
        // pandas frames as pickled by protocol 5 (data containers; the classes they rebuild are themselves checked)
        "pandas.core.frame.DataFrame", "pandas.core.series.Series", "pandas.core.internals.managers.BlockManager",
        "pandas.core.internals.managers.SingleBlockManager", "pandas._libs.internals._unpickle_block",
        "pandas.core.indexes.base._new_Index", "pandas.core.indexes.base.Index", "pandas.core.indexes.range.RangeIndex",
        // plain Python data
        "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "argparse.Namespace", "datetime.datetime",
        "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone", "decimal.Decimal", "fractions.Fraction", "uuid.UUID",
        "collections.abc.*", "enum.Enum",
        // joblib's array wrapper, scipy sparse matrices
        "joblib.numpy_pickle.NumpyArrayWrapper", "joblib.numpy_pickle_compat.NDArrayWrapper", "scipy.sparse._csr.csr_matrix",
        "scipy.sparse._csc.csc_matrix", "scipy.sparse._coo.coo_matrix", "scipy.sparse._csr.csr_array", "scipy.sparse._csc.csc_array",
        "scipy.sparse._coo.coo_array", "scipy.sparse.csr.csr_matrix", "scipy.sparse.csc.csc_matrix",
    ];

    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<string> _modulePrefixes = new();
    private readonly List<string> _extraAllowed;
    private readonly HashSet<string> _loaderNames = new(StringComparer.Ordinal);

    public GlobalPolicy(IEnumerable<string> extraAllowed)
    {
        _extraAllowed = extraAllowed.Select(e => e.Trim()).Where(e => e.Length > 0).ToList();
        foreach (var entry in BuiltInAllowed.Concat(_extraAllowed))
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
        if (_loaderNames.Contains(module + "." + name) && !NamedDangerous(module, name))
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
        var full = module + "." + name;
        if (_exact.Contains(full) || _modulePrefixes.Any(p => module == p || module.StartsWith(p + ".", StringComparison.Ordinal)))
        {
            return !name.Contains('.') || _exact.Contains(full);
        }

        // Classes of scikit-learn and PyTorch's nn modules (estimators and layers, restored from their state), never functions.
        return !name.Contains('.') && name.Length > 0 && char.IsUpper(name[0])
            && (module.StartsWith("sklearn.", StringComparison.Ordinal) || module.StartsWith("torch.nn.modules.", StringComparison.Ordinal));
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
