using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Checks rows against a <see cref="TableSchema"/> as a reader feeds them (<see cref="ITableSink"/>): the column set,
/// each cell's type, format and constraints, unique and primary keys, ragged rows; then, at the end, the table
/// expectations (MLG702) and the profile. Violations are tallied per field and rule (<see cref="ViolationTally"/>), so
/// memory does not grow with the number of bad rows; only <c>unique</c> and key checks keep 8 bytes per distinct value,
/// up to the schema's <c>mlguard.maxUniqueKeys</c>.
/// </summary>
public sealed class TableValidator : ITableSink
{
    private readonly TableSchema _schema;
    private readonly string _file;
    private readonly string _subject;
    private readonly bool _hasLines;
    private readonly DataProfile? _lockedProfile;
    private readonly List<Finding> _findings = new();
    private readonly FieldState[] _fields;
    private readonly KeyState[] _keys;
    private FieldState?[] _byColumn = [];
    private int _columnCount;
    private long _line;
    private long _rows;
    private readonly ViolationTally _ragged = new();
    private readonly List<string> _unknownColumns = new();
    private long _firstUnknownLine;

    /// <param name="file">Where findings point (the data file as the caller names it).</param>
    /// <param name="subject">The input's project-relative path: what suppressions name and messages show.</param>
    /// <param name="hasLines">False for Parquet, whose places are row numbers.</param>
    public TableValidator(TableSchema schema, string file, string subject, bool hasLines = true, DataProfile? lockedProfile = null)
    {
        _schema = schema;
        _file = file;
        _subject = subject;
        _hasLines = hasLines;
        _lockedProfile = lockedProfile;
        var primary = new HashSet<string>(schema.PrimaryKey, StringComparer.Ordinal);
        _fields = schema.Fields.Select(f => new FieldState(f, schema, primary.Contains(f.Name), lockedProfile?.Columns.GetValueOrDefault(f.Name))).ToArray();
        var keys = new List<KeyState>();
        if (schema.PrimaryKey.Count > 0)
        {
            keys.Add(new KeyState(ViolationRule.PrimaryKey, schema.PrimaryKey.Select(IndexOf).ToArray(), schema.Expectations.MaxUniqueKeys));
        }

        keys.AddRange(schema.UniqueKeys.Select(k => new KeyState(ViolationRule.UniqueKey, k.Select(IndexOf).ToArray(), schema.Expectations.MaxUniqueKeys)));
        _keys = keys.ToArray();
        foreach (var state in _fields)
        {
            state.InKey = _keys.Any(k => k.Covers(state.Index));
        }
    }

    public long Rows => _rows;

    private int IndexOf(string field) => Array.FindIndex(_fields, f => f.Field.Name == field);

    public void Columns(IReadOnlyList<string> names, long line)
    {
        _columnCount = names.Count;
        _byColumn = new FieldState?[names.Count];
        for (var c = 0; c < names.Count; c++)
        {
            _byColumn[c] = _fields.FirstOrDefault(f => f.Field.Name == names[c] && f.Column < 0);
            if (_byColumn[c] is { } state)
            {
                state.Column = c;
            }
        }

        var problems = ColumnSet.Compare(_schema.Fields.Select(f => f.Name).ToArray(), names);
        if (problems is not null)
        {
            _findings.Add(Finding.Create(RuleCatalog.DataColumnSetMismatch, new SourceLocation(_file, line > 0 ? (int)line : 0, line > 0 ? 1 : 0), _subject,
                _subject, _schema.Path, problems));
        }
    }

    public void BeginRow(long line)
    {
        _line = line;
        foreach (var key in _keys)
        {
            key.BeginRow();
        }
    }

    public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0)
    {
        if ((uint)column >= (uint)_byColumn.Length || _byColumn[column] is not { } state)
        {
            return;
        }

        var line = _line + lineOffset;
        if (state.IsMissing(text))
        {
            Null(state, line, charColumn);
            return;
        }

        var field = state.Field;
        if (!field.Parser.TryParse(text, out var value))
        {
            state.Violation(ViolationRule.Type, line, charColumn, text);
            state.NonNull++;
            if (state.InKey)
            {
                foreach (var key in _keys)
                {
                    key.Part(state.Index, ValueKey.Of(text, CellValue.Text), line, charColumn);
                }
            }

            return;
        }

        state.NonNull++;
        var constraints = field.Constraints;
        if (constraints.Minimum is { } min && value.CompareTo(min) < 0)
        {
            state.Violation(ViolationRule.Minimum, line, charColumn, text);
        }

        if (constraints.Maximum is { } max && value.CompareTo(max) > 0)
        {
            state.Violation(ViolationRule.Maximum, line, charColumn, text);
        }

        if (constraints.MinLength is not null || constraints.MaxLength is not null)
        {
            var length = FieldParser.LengthOf(field.Type, text);
            if (length < constraints.MinLength)
            {
                state.Violation(ViolationRule.MinLength, line, charColumn, text);
            }

            if (length > constraints.MaxLength)
            {
                state.Violation(ViolationRule.MaxLength, line, charColumn, text);
            }
        }

        if (constraints.Pattern is { } pattern && !pattern.IsMatch(text))
        {
            state.Violation(ViolationRule.Pattern, line, charColumn, text);
        }

        ulong hash = 0;
        if (constraints.Enum is not null || state.Unique is not null || state.InKey)
        {
            hash = ValueKey.Of(text, value);
        }

        if (constraints.Enum is { } allowed && !allowed.Contains(hash))
        {
            state.Violation(ViolationRule.Enum, line, charColumn, text);
        }

        state.Unique?.Add(hash, line, charColumn);

        if (state.InKey)
        {
            foreach (var key in _keys)
            {
                key.Part(state.Index, hash, line, charColumn);
            }
        }

        state.Profiler.Add(text, value);
        state.Labels?.Add(text);
    }

    public void NullCell(int column)
    {
        if ((uint)column < (uint)_byColumn.Length && _byColumn[column] is { } state)
        {
            Null(state, _line, 0);
        }
    }

    private void Null(FieldState state, long line, int charColumn)
    {
        state.Nulls++;
        state.Profiler.AddNull();
        if (state.Required)
        {
            state.Violation(ViolationRule.Required, line, charColumn, ReadOnlySpan<char>.Empty);
        }

        if (state.InKey)
        {
            foreach (var key in _keys)
            {
                key.NullPart(state.Index);
            }
        }
    }

    public void UnknownColumn(string name, long line)
    {
        if (_unknownColumns.Count == 0)
        {
            _firstUnknownLine = line;
        }

        _unknownColumns.Add(name);
    }

    public void EndRow(int cellCount)
    {
        _rows++;
        if (cellCount != _columnCount)
        {
            _ragged.Add(_line, 1);
            // Cells the row lacks are neither values nor nulls: counting them would blur the other checks.
        }

        foreach (var key in _keys)
        {
            key.EndRow(_fields);
        }
    }

    /// <summary>The findings (MLG701, MLG702, MLG703, MLG704 for exceeded limits) and the profile of what was read.</summary>
    public (IReadOnlyList<Finding> Findings, DataProfile Profile) Complete(DriftThresholds? maxDrift = null)
    {
        var findings = new List<Finding>(_findings);
        if (_unknownColumns.Count > 0)
        {
            findings.Add(Finding.Create(RuleCatalog.DataColumnSetMismatch, new SourceLocation(_file, (int)_firstUnknownLine, 1), _subject,
                _subject, _schema.Path, $"key(s) not in the schema: {string.Join(", ", _unknownColumns.Take(10).Select(n => $"'{n}'"))}{(_unknownColumns.Count > 10 ? ", …" : "")}"));
        }

        if (_ragged.Count > 0)
        {
            var first = _ragged.Places[0];
            findings.Add(Finding.Create(RuleCatalog.DataColumnSetMismatch, new SourceLocation(_file, (int)first.Line, 1), _subject,
                _subject, _schema.Path, $"{_ragged.Count} row(s) have another number of cells than the header's {_columnCount} (at {_ragged.DescribePlaces(_hasLines)})"));
        }

        foreach (var state in _fields)
        {
            state.Unique?.Flush();
        }

        foreach (var key in _keys)
        {
            key.Flush();
        }

        foreach (var state in _fields)
        {
            findings.AddRange(state.Findings(_file, _subject, _hasLines));
            if (state.Unique?.Set is { Overflowed: true } set)
            {
                findings.Add(LimitFinding($"field '{state.Field.Name}' has more than {set.Limit} distinct values, so 'unique' was not checked beyond them"));
            }
        }

        foreach (var key in _keys)
        {
            findings.AddRange(key.Findings(_file, _subject, _hasLines, _schema.Fields));
            if (key.Seen.Overflowed)
            {
                findings.Add(LimitFinding($"the {(key.Rule == ViolationRule.PrimaryKey ? "primary key" : "unique key")} has more than {key.Seen.Limit} distinct values, so it was not checked beyond them"));
            }
        }

        var profile = new DataProfile(_rows, new SortedDictionary<string, ColumnProfile>(
            _fields.ToDictionary(f => f.Field.Name, f => f.Profiler.Build(_rows)), Locking.Utf8OrdinalComparer.Instance));
        findings.AddRange(ExpectationChecker.Check(_schema, _rows, _fields.Select(f => (f.Field.Name, f.Nulls, f.Labels)).ToArray(), _file, _subject));
        if (_lockedProfile is not null)
        {
            var thresholds = maxDrift ?? _schema.Expectations.Drift;
            foreach (var drift in DriftDetector.Compare(_lockedProfile, profile, thresholds).Where(d => d.Exceeds))
            {
                var then = _lockedProfile.Columns[drift.Column];
                var now = profile.Columns[drift.Column];
                var finding = Finding.Create(RuleCatalog.DataDrift, new SourceLocation(_file), _subject,
                    _subject, drift.Column, drift.Statistic, drift.Value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
                    drift.Threshold.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), DescribeShift(then, now, _lockedProfile.Rows, _rows));
                findings.Add(maxDrift is not null ? finding.WithSeverity(Severity.Error) : finding);
            }
        }

        return (findings, profile);
    }

    private Finding LimitFinding(string what) =>
        Finding.Create(RuleCatalog.DataCheckLimit, new SourceLocation(_schema.Path), _subject, _subject, what);

    private static string DescribeShift(ColumnProfile then, ColumnProfile now, long rowsThen, long rowsNow)
    {
        var f = System.Globalization.CultureInfo.InvariantCulture;
        return then.Kind == ColumnKinds.Numeric
            ? $"mean {then.Mean?.ToString("G4", f)} -> {now.Mean?.ToString("G4", f)}, sd {then.StdDev?.ToString("G4", f)} -> {now.StdDev?.ToString("G4", f)}, {rowsThen} -> {rowsNow} rows"
            : $"{rowsThen} -> {rowsNow} rows; the shares of its values changed";
    }

    /// <summary>What one schema field has seen.</summary>
    internal sealed class FieldState
    {
        private readonly string[] _missing;
        private readonly bool _emptyIsMissingOnly;
        private readonly ViolationTally?[] _tallies = new ViolationTally?[Enum.GetValues<ViolationRule>().Length];

        public FieldState(SchemaField field, TableSchema schema, bool inPrimaryKey, ColumnProfile? locked)
        {
            Field = field;
            Index = schema.Fields.ToList().IndexOf(field);
            _missing = (field.MissingValues ?? schema.MissingValues).ToArray();
            _emptyIsMissingOnly = _missing is [""];
            Required = field.Constraints.Required || inPrimaryKey;
            // A primary key of this one field already finds its repeats (reported as primaryKey): one set, not two.
            var singlePrimaryKey = schema.PrimaryKey is [var only] && only == field.Name;
            Unique = field.Constraints.Unique && !singlePrimaryKey
                ? new KeyBatch(new HashedKeySet(schema.Expectations.MaxUniqueKeys), (line, column) => Violation(ViolationRule.Unique, line, column, ReadOnlySpan<char>.Empty))
                : null;
            Profiler = new ColumnProfiler(field.Type, locked);
            if (schema.Expectations.Labels is { } labels && labels.Field == field.Name)
            {
                Labels = new LabelCounter();
            }
        }

        public SchemaField Field { get; }

        public int Index { get; }

        /// <summary>The file column this field was found in; -1 when the file lacks it.</summary>
        public int Column { get; set; } = -1;

        public bool Required { get; }

        /// <summary>Whether a primary or unique key includes this field (its values' keys are then computed).</summary>
        public bool InKey { get; set; }

        /// <summary>The <c>unique</c> check (batched; duplicates are reported with their place, without an excerpt).</summary>
        public KeyBatch? Unique { get; }

        public ColumnProfiler Profiler { get; }

        public LabelCounter? Labels { get; }

        public long Nulls { get; set; }

        public long NonNull { get; set; }

        public bool IsMissing(ReadOnlySpan<char> text)
        {
            if (_emptyIsMissingOnly)
            {
                return text.IsEmpty;
            }

            foreach (var m in _missing)
            {
                if (text.SequenceEqual(m))
                {
                    return true;
                }
            }

            return false;
        }

        public void Violation(ViolationRule rule, long line, int column, ReadOnlySpan<char> text)
        {
            var tally = _tallies[(int)rule] ??= new ViolationTally();
            if (tally.Add(line, column) && rule != ViolationRule.Required)
            {
                tally.SetExcerpt(text);
            }
        }

        public IEnumerable<Finding> Findings(string file, string subject, bool hasLines)
        {
            for (var r = 0; r < _tallies.Length; r++)
            {
                if (_tallies[r] is not { } tally)
                {
                    continue;
                }

                var rule = (ViolationRule)r;
                var first = tally.Places[0];
                yield return Finding.Create(RuleCatalog.DataSchemaViolation,
                    hasLines ? new SourceLocation(file, (int)first.Line, first.Column) : new SourceLocation(file), subject,
                    subject, Field.Name, tally.Count, RuleName(rule), Describe(rule), tally.DescribePlaces(hasLines),
                    tally.FirstExcerpt is { } excerpt ? $"; first value {excerpt}" : "");
            }
        }

        private string Describe(ViolationRule rule)
        {
            var c = Field.Constraints;
            return rule switch
            {
                ViolationRule.Type => $"type {Field.Type.Name()}{(Field.Format == "default" ? "" : $", format {Field.Format}")}",
                ViolationRule.Required => Required && !c.Required ? "primary key fields must have a value" : "a value is required",
                ViolationRule.Minimum => $"minimum {c.MinimumText}",
                ViolationRule.Maximum => $"maximum {c.MaximumText}",
                ViolationRule.MinLength => $"minLength {c.MinLength}",
                ViolationRule.MaxLength => $"maxLength {c.MaxLength}",
                ViolationRule.Pattern => $"pattern {CellExcerpt.Of(c.PatternText ?? "")}",
                ViolationRule.Enum => $"enum of {c.EnumText!.Count} value(s)",
                _ => "each value at most once",
            };
        }
    }

    internal static string RuleName(ViolationRule rule) => rule switch
    {
        ViolationRule.MinLength => "minLength",
        ViolationRule.MaxLength => "maxLength",
        ViolationRule.PrimaryKey => "primaryKey",
        ViolationRule.UniqueKey => "uniqueKeys",
        _ => rule.ToString().ToLowerInvariant(),
    };
}
