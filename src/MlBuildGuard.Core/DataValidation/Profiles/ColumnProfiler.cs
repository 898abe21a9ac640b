using System.Runtime.InteropServices;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Accumulates one column's profile in a single pass with bounded memory. Numbers: exact min, max, mean and deviation
/// (Welford), and a histogram: with a locked profile its bins are reused (exact counts, comparable by PSI); without one,
/// values are counted on a power-of-two grid of at most <see cref="MaxGridBins"/> cells (coarsened as the range grows),
/// cut at the end into up to ten bins of about equal share. Categories: exact counts of up to
/// <see cref="MaxDistinctCategories"/> distinct values; a column with more becomes <see cref="ColumnKinds.Other"/>.
/// </summary>
public sealed class ColumnProfiler
{
    public const int TopCategories = 20;

    public const int MaxDistinctCategories = 1000;

    /// <summary>
    /// A value seen fewer times is never recorded as a category name in the lock (it counts as "other"): a value that does
    /// not repeat is a row's free text (a review, a name), not a category, and the lock is committed where the data may not be.
    /// </summary>
    public const int MinCategoryCount = 2;

    /// <summary>Longer values are never recorded as category names in the lock (they count as "other").</summary>
    public const int MaxCategoryLength = 64;

    public const int MaxGridBins = 2048;

    public const int TargetBins = 10;

    private readonly bool _numeric;
    private readonly Histogram? _fixedBins;
    private readonly long[]? _fixedCounts;
    private CountGrid? _grid = new();
    private Dictionary<string, long>? _categories;
    private Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private long _nulls;
    private long _values;
    private double _mean;
    private double _m2;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;

    public ColumnProfiler(FieldType type, ColumnProfile? locked)
    {
        _numeric = type.IsNumeric();
        if (_numeric && locked?.Histogram is { Fractions.Length: > 0 } bins)
        {
            _fixedBins = bins;
            _fixedCounts = new long[bins.Fractions.Length];
            _grid = null;
        }

        if (type.IsCategorical())
        {
            _categories = new Dictionary<string, long>(); // the default comparer: ordinal, and faster than StringComparer.Ordinal
            _lookup = _categories.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public void AddNull() => _nulls++;

    public void Add(ReadOnlySpan<char> text, in CellValue value)
    {
        if (_numeric)
        {
            var x = value.AsDouble;
            if (!double.IsFinite(x))
            {
                return;
            }

            _values++;
            var delta = x - _mean;
            _mean += delta / _values;
            _m2 += delta * (x - _mean);
            if (x < _min)
            {
                _min = x;
            }

            if (x > _max)
            {
                _max = x;
            }

            if (_fixedCounts is not null)
            {
                _fixedCounts[_fixedBins!.BinOf(x)]++;
            }
            else
            {
                AddToGrid(x);
            }

            return;
        }

        _values++;
        if (_categories is null)
        {
            return;
        }

        if (_categories.Count < MaxDistinctCategories)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_lookup, text, out _)++;
        }
        else if (_lookup.TryGetValue(text, out var count))
        {
            _lookup[text] = count + 1;
        }
        else
        {
            _categories = null; // too many distinct values to be categories
        }
    }

    private void AddToGrid(double x) => _grid!.Add(x);

    public ColumnProfile Build(long rows)
    {
        var nullFraction = rows == 0 ? 0 : Round((double)_nulls / rows);
        if (_numeric)
        {
            if (_values == 0)
            {
                return new ColumnProfile { Kind = ColumnKinds.Numeric, NullFraction = nullFraction };
            }

            return new ColumnProfile
            {
                Kind = ColumnKinds.Numeric,
                NullFraction = nullFraction,
                Min = _min,
                Max = _max,
                Mean = Finite(Round(_mean)),
                StdDev = Finite(Round(_values > 1 ? Math.Sqrt(_m2 / (_values - 1)) : 0)), // overflow (values near ±1e308) leaves them out
                Histogram = _fixedBins is not null
                    ? new Histogram(_fixedBins.Edges, _fixedCounts!.Select(c => Round((double)c / _values)).ToArray())
                    : GridHistogram(),
            };
        }

        if (_categories is null || _values == 0)
        {
            return new ColumnProfile { Kind = _categories is null ? ColumnKinds.Other : ColumnKinds.Categorical, NullFraction = nullFraction };
        }

        var top = _categories
            .Where(c => c.Value >= MinCategoryCount && c.Key.Length <= MaxCategoryLength && !c.Key.Any(char.IsControl) && MayBeRecorded(c.Key))
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(TopCategories)
            .ToArray();
        var listed = top.Sum(c => c.Value);
        var categories = new SortedDictionary<string, double>(Locking.Utf8OrdinalComparer.Instance);
        foreach (var (value, count) in top)
        {
            categories[value] = Round((double)count / _values);
        }

        return new ColumnProfile
        {
            Kind = ColumnKinds.Categorical,
            NullFraction = nullFraction,
            Categories = categories,
            Other = Round((double)(_values - listed) / _values),
        };
    }

    /// <summary>
    /// Whether a value may be written into the lock as a category name: never a credential (a built-in secret rule
    /// matches it) or personal data (an e-mail address, a phone or card number...), whatever the input's <c>Pii</c>.
    /// </summary>
    private static bool MayBeRecorded(string value) =>
        Secrets.PersonalData.PiiValidators.ClassifyTrimmed(value.AsSpan().Trim()) is null
        && Secrets.SecretScanner.ScanText(Secrets.SecretRuleSet.BuiltIn, value, "category").Count == 0;

    /// <summary>Cuts the grid into up to <see cref="TargetBins"/> bins of about equal share, at grid boundaries.</summary>
    private Histogram GridHistogram()
    {
        var cells = _grid!.Cells().ToArray();
        var edges = new List<double> { _min };
        var counts = new List<long>();
        long inBin = 0, seen = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            inBin += cells[i].Count;
            seen += cells[i].Count;
            var target = (double)_values * (counts.Count + 1) / TargetBins;
            if (i < cells.Length - 1 && seen >= target && counts.Count < TargetBins - 1)
            {
                edges.Add(cells[i].UpperEdge);
                counts.Add(inBin);
                inBin = 0;
            }
        }

        counts.Add(inBin);
        edges.Add(_max);
        return new Histogram(edges.ToArray(), counts.Select(c => Round((double)c / _values)).ToArray());
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>Six significant digits: enough for drift, and short, stable numbers in the lock.</summary>
    public static double Round(double value) =>
        value == 0 || !double.IsFinite(value) ? value : Math.Round(value, Math.Clamp(5 - (int)Math.Floor(Math.Log10(Math.Abs(value))), 0, 15));
}

/// <summary>
/// Exact counts of numbers on a grid of bins of width 2^shift, aligned at zero, in one array of at most
/// <see cref="ColumnProfiler.MaxGridBins"/> consecutive bins. A value outside the window widens it; when the window would
/// exceed its size, the bin width doubles (neighbouring bins merge), so memory stays fixed whatever the range.
/// </summary>
internal sealed class CountGrid
{
    private readonly long[] _counts = new long[ColumnProfiler.MaxGridBins];
    private long _first; // grid index of _counts[0]
    private int _used;   // bins in use, from _counts[0]
    private int _shift = -40;

    public void Add(double x)
    {
        var scaled = Math.Floor(Math.ScaleB(x, -_shift));
        if (_used > 0 && Math.Abs(scaled) < Limit)
        {
            var at = (long)scaled - _first;
            if ((ulong)at < (ulong)_used)
            {
                _counts[at]++;
                return;
            }
        }

        AddOutside(x);
    }

    private const double Limit = 1L << 52;

    private void AddOutside(double x)
    {
        while (true)
        {
            var scaled = Math.Floor(Math.ScaleB(x, -_shift));
            if (!(Math.Abs(scaled) < Limit))
            {
                Coarsen();
                continue;
            }

            var index = (long)scaled;

            if (_used == 0)
            {
                _first = index;
                _used = 1;
                _counts[0] = 1;
                return;
            }

            var first = Math.Min(_first, index);
            var last = Math.Max(_first + _used - 1, index);
            if (last - first + 1 > _counts.Length)
            {
                Coarsen();
                continue;
            }

            if (index < _first)
            {
                var shiftBy = (int)(_first - index);
                Array.Copy(_counts, 0, _counts, shiftBy, _used);
                Array.Clear(_counts, 0, shiftBy);
                _first = index;
                _used += shiftBy;
            }
            else
            {
                _used = (int)(index - _first + 1);
            }

            _counts[index - _first]++;
            return;
        }
    }

    /// <summary>Doubles the bin width: bin i merges into i >> 1 (floor division, also below zero).</summary>
    private void Coarsen()
    {
        _shift++;
        if (_used == 0)
        {
            return;
        }

        var first = _first >> 1;
        var last = (_first + _used - 1) >> 1;
        var merged = new long[last - first + 1];
        for (var i = 0; i < _used; i++)
        {
            merged[((_first + i) >> 1) - first] += _counts[i];
        }

        Array.Clear(_counts);
        merged.CopyTo(_counts, 0);
        _first = first;
        _used = merged.Length;
    }

    /// <summary>Non-empty bins in order, with the upper edge of each.</summary>
    public IEnumerable<(long Count, double UpperEdge)> Cells()
    {
        for (var i = 0; i < _used; i++)
        {
            if (_counts[i] > 0)
            {
                yield return (_counts[i], Math.ScaleB(_first + i + 1, _shift));
            }
        }
    }
}
