using MlBuildGuard.Core.Models.Pickle.Catalogue;

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

    public GlobalPolicy(IEnumerable<string> extraAllowed)
    {
        foreach (var entry in BuiltInAllowed.Concat(extraAllowed.Select(e => e.Trim())).Where(e => e.Length > 0))
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
    /// Judges an import of <paramref name="name"/> from <paramref name="module"/> (already mapped from Python 2 names).
    /// A dotted name reaches attributes: <c>pathlib</c> + <c>os.system</c> is <c>os.system</c>, so every reading of the
    /// chain is judged and the worst one counts.
    /// </summary>
    public (GlobalVerdict Verdict, string? Effect) Judge(string module, string name)
    {
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

    private static string? DangerousReason(string module, string name)
    {
        if ((DangerousCatalogue.FindName(module, name) ?? DangerousCatalogue.FindModule(module)) is { } entry)
        {
            return entry.Effect;
        }

        // Dunder attributes reach interpreter internals whatever module they come from (__globals__, __builtins__, __subclasses__ …).
        return name.Split('.').Any(p => p.StartsWith("__", StringComparison.Ordinal) && p.EndsWith("__", StringComparison.Ordinal) && p.Length > 4
            && p is not ("__randomstate_ctor" or "__bit_generator_ctor" or "__generator_ctor" or "__newobj__" or "__newobj_ex__" or "__pyx_unpickle_SeedSequence"))
            ? "reach interpreter internals"
            : null;
    }
}
