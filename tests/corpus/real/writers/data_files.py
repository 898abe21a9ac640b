"""numpy (arrays, object arrays, random states and Generators), scipy.sparse (every matrix and array format) and
pandas (frames and series with every index class of pandas 1.5 and every extension dtype), saved with the
libraries' own calls (np.save/savez, scipy.sparse.save_npz, DataFrame.to_pickle) and with pickle."""

import datetime
import pickle

from .common import out, pickle_all_protocols, pickle_one, record, version_label


# --------------------------------------------------------------------------------------------------------------------
# numpy

def gen_numpy(np):
    v = np.__version__
    rng = np.random.RandomState(0)
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    i64 = np.arange(12, dtype=np.int64).reshape(4, 3)

    # Files that existed before.
    np.save(out("numpy_float32.npy"), f32)
    record("numpy_float32.npy", "numpy", v, "np.save of a float32 (3, 4) array")
    np.save(out("numpy_int64.npy"), i64)
    record("numpy_int64.npy", "numpy", v, "np.save of an int64 (4, 3) array")
    np.save(out("numpy_float64_fortran.npy"), np.asfortranarray(rng.standard_normal((2, 5))))
    record("numpy_float64_fortran.npy", "numpy", v, "np.save of a Fortran-ordered float64 (2, 5) array")
    np.savez(out("numpy_savez.npz"), weights=f32, index=i64)
    record("numpy_savez.npz", "numpy", v, "np.savez (stored zip) of float32 and int64 arrays")
    np.savez_compressed(out("numpy_savez_compressed.npz"), weights=f32, index=i64)
    record("numpy_savez_compressed.npz", "numpy", v, "np.savez_compressed (deflated zip) of float32 and int64 arrays")

    # Object arrays: np.save pickles them after the .npy header (allow_pickle=True is the default for saving).
    objects = np.array([{"label": "cat", "id": 1}, "text", 3, None, [1.5, 2.5], (1, 2)], dtype=object)
    np.save(out("numpy_object_array.npy"), objects)
    record("numpy_object_array.npy", "numpy", v,
           "np.save of an object array holding a dict, str, int, None, list and tuple (a pickle after the header)")
    np.savez(out("numpy_savez_object.npz"), labels=np.array(["a", None, 3], dtype=object), weights=f32)
    record("numpy_savez_object.npz", "numpy", v, "np.savez with an object-array member (pickled) and a float32 one")
    structured = np.array([(1, 2.0, b"ab"), (3, 4.0, b"cd")], dtype=[("id", "<i4"), ("score", "<f8"), ("tag", "S2")])
    np.save(out("numpy_structured.npy"), structured)
    record("numpy_structured.npy", "numpy", v, "np.save of a structured array (int32, float64, bytes fields)")
    np.save(out("numpy_datetime64.npy"), np.array(["2024-01-01", "2024-06-30"], dtype="datetime64[D]"))
    record("numpy_datetime64.npy", "numpy", v, "np.save of a datetime64[D] array")
    np.save(out("numpy_unicode.npy"), np.array(["héllo", "wörld"]))
    record("numpy_unicode.npy", "numpy", v, "np.save of a <U5 unicode array")

    # Pickled numpy objects.
    generator = np.random.default_rng(0)
    things = {
        "float32": f32, "int64": i64, "bool": np.array([True, False]), "complex": np.array([1 + 2j]),
        "fortran": np.asfortranarray(np.ones((2, 2))), "structured": structured,
        "datetime64": np.array(["2024-01-01T12:00"], dtype="datetime64[m]"),
        "timedelta64": np.array([3], dtype="timedelta64[s]"), "unicode": np.array(["a", "bc"]),
        "object": objects, "masked": np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False]),
        "matrix": np.matrix([[1, 2], [3, 4]]), "scalar_f64": np.float64(1.5), "scalar_i32": np.int32(7),
        "scalar_bool": np.bool_(True), "scalar_str": np.str_("x"), "dtype": np.dtype("float16"),
        "record": structured[0],
    }
    pickle_all_protocols("numpy_arrays", things, "numpy", v,
                         "a dict of numpy arrays (float32, int64, bool, complex, Fortran order, structured, "
                         "datetime64, timedelta64, unicode, object), a masked array, np.matrix, numpy scalars "
                         "(float64, int32, bool_, str_), a dtype and a structured record")
    random_states = {
        "RandomState": np.random.RandomState(0), "Generator_PCG64": generator,
        "Generator_MT19937": np.random.Generator(np.random.MT19937(1)),
        "Generator_Philox": np.random.Generator(np.random.Philox(2)),
        "Generator_SFC64": np.random.Generator(np.random.SFC64(3)),
        "PCG64DXSM": np.random.PCG64DXSM(4), "SeedSequence": np.random.SeedSequence(5),
        "legacy_get_state": np.random.get_state(),
    }
    pickle_all_protocols("numpy_random_states", random_states, "numpy", v,
                         "numpy random states: RandomState, Generator over PCG64/MT19937/Philox/SFC64, a PCG64DXSM "
                         "bit generator, a SeedSequence and np.random.get_state()")


# --------------------------------------------------------------------------------------------------------------------
# scipy.sparse

def gen_scipy(scipy):
    import numpy as np
    from scipy import sparse
    v = version_label(scipy.__version__, "python3-scipy")
    dense = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 0.0, 3.0, 0.0], [0.0, 4.0, 0.0, 0.0], [5.0, 0.0, 0.0, 6.0]])
    formats = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]
    matrices = {fmt: getattr(sparse, fmt + "_matrix")(dense) for fmt in formats}
    arrays = {fmt: getattr(sparse, fmt + "_array")(dense) for fmt in formats if hasattr(sparse, fmt + "_array")}
    pickle_all_protocols("scipy_sparse_matrices", matrices, "scipy", v,
                         "a dict of scipy.sparse csr/csc/coo/lil/dok/bsr/dia _matrix objects")
    pickle_all_protocols("scipy_sparse_arrays", arrays, "scipy", v,
                         "a dict of scipy.sparse %s _array objects" % "/".join(sorted(arrays)))
    for fmt in ("csr", "csc", "coo", "bsr", "dia"):
        name = "scipy_save_npz_%s.npz" % fmt
        sparse.save_npz(out(name), matrices[fmt], compressed=(fmt != "coo"))
        record(name, "scipy", v, "scipy.sparse.save_npz of a %s_matrix (%s)"
               % (fmt, "compressed" if fmt != "coo" else "compressed=False"))


# --------------------------------------------------------------------------------------------------------------------
# pandas

def _pandas_indexes(pd, np):
    """Every index class of pandas 1.5 (and the dtypes an Index can hold)."""
    n = 4
    utc = datetime.timezone.utc
    idx = {
        "RangeIndex": pd.RangeIndex(n),
        "Int64Index": pd.Index([10, 20, 30, 40], dtype="int64"),
        "UInt64Index": pd.Index([1, 2, 3, 2 ** 63], dtype="uint64"),
        "Float64Index": pd.Index([0.5, 1.5, 2.5, 3.5]),
        "Index_object_str": pd.Index(["a", "b", "c", "d"]),
        "Index_object_mixed": pd.Index(["a", 1, 2.5, None]),
        "Index_bool": pd.Index([True, False, True, False]),
        "Index_string_dtype": pd.Index(["w", "x", "y", "z"], dtype="string"),
        "Index_Int64_nullable": pd.Index(pd.array([1, 2, None, 4], dtype="Int64")),
        "CategoricalIndex": pd.CategoricalIndex(["lo", "hi", "lo", "mid"], categories=["lo", "mid", "hi"],
                                                ordered=True),
        "DatetimeIndex": pd.date_range("2024-01-01", periods=n, freq="D"),
        "DatetimeIndex_tz_pytz": pd.date_range("2024-01-01", periods=n, freq="H", tz="Europe/Berlin"),
        "DatetimeIndex_tz_utc": pd.date_range("2024-01-01", periods=n, freq="H", tz=utc),
        "DatetimeIndex_tz_dateutil": pd.date_range("2024-01-01", periods=n, freq="H", tz="dateutil/Europe/Paris"),
        "TimedeltaIndex": pd.timedelta_range("1 day", periods=n),
        "PeriodIndex": pd.period_range("2024-01", periods=n, freq="M"),
        "IntervalIndex": pd.interval_range(0, n),
        "MultiIndex": pd.MultiIndex.from_product([["x", "y"], [1, 2]], names=["letter", "number"]),
    }
    try:
        import zoneinfo
        idx["DatetimeIndex_tz_zoneinfo"] = pd.date_range("2024-01-01", periods=n, freq="H",
                                                         tz=zoneinfo.ZoneInfo("America/New_York"))
    except Exception:  # pandas 1.5 accepts zoneinfo objects; skip if this build does not
        pass
    return idx


def gen_pandas(pd):
    import numpy as np
    v = version_label(pd.__version__, "python3-pandas")
    df = pd.DataFrame({"feature": np.arange(5, dtype=np.float64) / 2,
                       "label": np.array([0, 1, 0, 1, 1], dtype=np.int64),
                       "name": ["a", "b", "c", "d", "e"]})
    df.to_pickle(out("pandas_dataframe.pkl"))
    record("pandas_dataframe.pkl", "pandas", pd.__version__,
           "DataFrame.to_pickle (default protocol %d) of a 5-row frame with float64, int64 and object (str) "
           "columns and a RangeIndex" % pickle.HIGHEST_PROTOCOL)

    indexes = _pandas_indexes(pd, np)
    for name, index in indexes.items():
        frame = pd.DataFrame({"value": np.arange(len(index), dtype=np.float64)}, index=index)
        stem = "pandas_index_%s" % name
        frame.to_pickle(out(stem + "_frame.pkl"))
        record(stem + "_frame.pkl", "pandas", v, "DataFrame.to_pickle of a float64 frame indexed by a %s (%s)"
               % (type(index).__name__, index.dtype))
        series = pd.Series(list("abcd"), index=index, name="s")
        pickle_one(stem + "_series.pkl", series, "pandas", v, "a str Series indexed by a %s (%s)"
                   % (type(index).__name__, index.dtype))

    n = 4
    columns = pd.DataFrame({
        "float64": [0.5, 1.5, np.nan, 3.5], "int64": [1, 2, 3, 4], "bool": [True, False, True, False],
        "object": ["a", None, "c", "d"], "category": pd.Categorical(["lo", "hi", "lo", "mid"]),
        "category_ordered": pd.Categorical(["s", "m", "l", "m"], categories=["s", "m", "l"], ordered=True),
        "datetime64": pd.date_range("2024-01-01", periods=n),
        "datetime64_tz": pd.date_range("2024-01-01", periods=n, tz="UTC"),
        "timedelta64": pd.to_timedelta([1, 2, 3, 4], unit="h"),
        "period": pd.period_range("2024Q1", periods=n, freq="Q"),
        "interval": pd.interval_range(0.0, 4.0),
        "Int64": pd.array([1, None, 3, 4], dtype="Int64"), "UInt8": pd.array([1, 2, None, 4], dtype="UInt8"),
        "Float64": pd.array([0.1, None, 0.3, 0.4], dtype="Float64"),
        "boolean": pd.array([True, None, False, True], dtype="boolean"),
        "string": pd.array(["x", None, "z", "w"], dtype="string"),
        "sparse": pd.arrays.SparseArray([0.0, 0.0, 1.0, 0.0]),
        "sparse_int": pd.arrays.SparseArray([0, 3, 0, 0], fill_value=0),
        "timestamp_object": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02", tz="UTC"), pd.NaT, None],
        "python_datetime": [datetime.date(2024, 1, 1), datetime.datetime(2024, 1, 2, 3), datetime.time(4, 5),
                            datetime.timedelta(days=1)],
        "decimal_free_mixed": [1, "two", 3.0, (4,)],
    })
    columns.to_pickle(out("pandas_dtypes_frame.pkl"))
    record("pandas_dtypes_frame.pkl", "pandas", v,
           "DataFrame.to_pickle of a frame with float64/int64/bool/object, categorical (plain and ordered), "
           "datetime64 (naive and UTC), timedelta64, period, interval, nullable Int64/UInt8/Float64/boolean/string, "
           "sparse float and int, Timestamp/NaT objects and Python date/datetime/time/timedelta columns")
    pickle_all_protocols("pandas_dtypes_frame", columns, "pandas", v, "the same many-dtype DataFrame")
    for col in ("category", "datetime64_tz", "period", "interval", "Int64", "boolean", "string", "sparse"):
        series = columns[col]
        series.to_pickle(out("pandas_series_%s.pkl" % col))
        record("pandas_series_%s.pkl" % col, "pandas", v, "Series.to_pickle of a %s column" % series.dtype)
    columns.to_pickle(out("pandas_dtypes_frame.pkl.gz"), compression={"method": "gzip", "mtime": 0})
    record("pandas_dtypes_frame.pkl.gz", "pandas", v,
           "DataFrame.to_pickle('....pkl.gz', compression={'method': 'gzip', 'mtime': 0}) of the many-dtype frame")
    scalars = {"Timestamp": pd.Timestamp("2024-01-01 12:00", tz="UTC"), "Timedelta": pd.Timedelta("1h"),
               "Period": pd.Period("2024-01", freq="M"), "Interval": pd.Interval(0, 1), "NaT": pd.NaT,
               "NA": pd.NA, "DateOffset": pd.DateOffset(days=2), "offsets_MonthEnd": pd.offsets.MonthEnd(),
               "CategoricalDtype": pd.CategoricalDtype(["a", "b"]), "Int64Dtype": pd.Int64Dtype()}
    pickle_all_protocols("pandas_scalars", scalars, "pandas", v,
                         "pandas scalars and dtypes: Timestamp (UTC), Timedelta, Period, Interval, NaT, NA, "
                         "DateOffset, MonthEnd, CategoricalDtype, Int64Dtype")
