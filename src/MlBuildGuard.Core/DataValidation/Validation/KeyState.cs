using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// A primary key or unique key over one or several fields: each row's key is the combination of its fields' value keys,
/// and a key seen before is a duplicate. Rows with a null in the key are left to <c>required</c> (primary keys) or
/// exempt (unique keys), as in SQL.
/// </summary>
internal sealed class KeyState
{
    private readonly int[] _fields;
    private readonly ulong[] _parts;
    private readonly bool[] _set;
    private readonly ViolationTally _duplicates = new();
    private readonly KeyBatch _batch;
    private bool _null;
    private long _line;
    private int _column;

    public KeyState(ViolationRule rule, int[] fields, long limit)
    {
        Rule = rule;
        _fields = fields;
        _parts = new ulong[fields.Length];
        _set = new bool[fields.Length];
        _batch = new KeyBatch(new HashedKeySet(limit), (line, column) => _duplicates.Add(line, column));
    }

    public ViolationRule Rule { get; }

    public HashedKeySet Seen => _batch.Set;

    public void Flush() => _batch.Flush();

    public bool Covers(int field) => Array.IndexOf(_fields, field) >= 0;

    public void BeginRow()
    {
        Array.Clear(_set);
        _null = false;
        _line = 0;
    }

    public void Part(int field, ulong hash, long line, int column)
    {
        var at = Array.IndexOf(_fields, field);
        if (at < 0)
        {
            return;
        }

        _parts[at] = hash;
        _set[at] = true;
        if (_line == 0)
        {
            (_line, _column) = (line, column);
        }
    }

    public void NullPart(int field)
    {
        if (Array.IndexOf(_fields, field) >= 0)
        {
            _null = true;
        }
    }

    public void EndRow(TableValidator.FieldState[] states)
    {
        if (_null || Array.IndexOf(_set, false) >= 0)
        {
            return;
        }

        var key = _parts[0];
        for (var i = 1; i < _parts.Length; i++)
        {
            key = ValueKey.Combine(key, _parts[i]);
        }

        _batch.Add(key, _line, _column);
    }

    public IEnumerable<Finding> Findings(string file, string subject, bool hasLines, IReadOnlyList<SchemaField> schemaFields)
    {
        if (_duplicates.Count == 0)
        {
            yield break;
        }

        var names = string.Join(", ", _fields.Select(f => schemaFields[f].Name));
        var first = _duplicates.Places[0];
        yield return Finding.Create(RuleCatalog.DataSchemaViolation,
            hasLines ? new SourceLocation(file, (int)first.Line, first.Column) : new SourceLocation(file), subject,
            subject, names, _duplicates.Count, TableValidator.RuleName(Rule), "each key at most once; a repeat of an earlier row's key", _duplicates.DescribePlaces(hasLines), "");
    }
}

/// <summary>Exact counts of a label field's values (up to <see cref="MaxLabels"/> distinct ones) for <c>mlguard.labels</c>.</summary>
internal sealed class LabelCounter
{
    public const int MaxLabels = 10_000;

    private readonly Dictionary<string, long> _counts = new(); // ordinal (the default comparer is the fastest)

    public bool Overflowed { get; private set; }

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Add(ReadOnlySpan<char> value)
    {
        var lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
        if (_counts.Count < MaxLabels)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, value, out _)++;
        }
        else if (lookup.TryGetValue(value, out var n))
        {
            lookup[value] = n + 1;
        }
        else
        {
            Overflowed = true;
        }
    }
}

/// <summary>Compares a file's columns with the schema's fields: missing, extra, renamed, duplicated, reordered.</summary>
internal static class ColumnSet
{
    /// <summary>A description of every difference, or null when the columns are exactly the fields in order.</summary>
    public static string? Compare(IReadOnlyList<string> fields, IReadOnlyList<string> columns)
    {
        if (fields.SequenceEqual(columns))
        {
            return null;
        }

        var problems = new List<string>();
        var fieldSet = new HashSet<string>(fields, StringComparer.Ordinal);
        var columnSet = new HashSet<string>(columns, StringComparer.Ordinal);
        var missing = fields.Where(f => !columnSet.Contains(f)).ToList();
        var extra = columns.Where(c => !fieldSet.Contains(c)).ToList();
        foreach (var name in missing.ToArray())
        {
            var at = fields.ToList().IndexOf(name);
            if (at < columns.Count && extra.Contains(columns[at]))
            {
                problems.Add($"column {at + 1} is '{Short(columns[at])}' where the schema has '{name}' (renamed?)");
                missing.Remove(name);
                extra.Remove(columns[at]);
            }
        }

        if (missing.Count > 0)
        {
            problems.Add($"missing {string.Join(", ", missing.Select(m => $"'{m}'"))}");
        }

        if (extra.Count > 0)
        {
            problems.Add($"not in the schema {string.Join(", ", extra.Take(10).Select(e => $"'{Short(e)}'"))}{(extra.Count > 10 ? ", …" : "")}");
        }

        var duplicates = columns.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            problems.Add($"repeated {string.Join(", ", duplicates.Take(10).Select(d => $"'{Short(d)}'"))}");
        }

        if (problems.Count == 0)
        {
            problems.Add($"the columns are in another order than the schema's fields ({string.Join(", ", columns.Take(10).Select(c => Short(c)))})");
        }

        return string.Join("; ", problems);
    }

    /// <summary>Header names are data too: keep them short and escaped in messages.</summary>
    private static string Short(string name) => name.Length <= 64 && !name.Any(char.IsControl) ? name : CellExcerpt.Of(name);
}
