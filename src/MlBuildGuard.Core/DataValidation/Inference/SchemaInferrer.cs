using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Infers a Table Schema from data: each column gets the most specific type every non-missing value fits (integer,
/// number, boolean, date, datetime, time, else string), read in one streaming pass (two for JSON Lines, whose keys are
/// gathered first). A column with no value at all is a string. The result is a plain, valid Table Schema to edit:
/// constraints and expectations are the user's to add.
/// </summary>
public static class SchemaInferrer
{
    /// <summary>Candidate types, most specific first.</summary>
    private static readonly (FieldType Type, FieldParser Parser)[] Candidates =
    [
        (FieldType.Integer, new FieldParser(FieldType.Integer)),
        (FieldType.Number, new FieldParser(FieldType.Number)),
        (FieldType.Boolean, new FieldParser(FieldType.Boolean, trueValues: ["true", "True", "TRUE"], falseValues: ["false", "False", "FALSE"])),
        (FieldType.Date, new FieldParser(FieldType.Date)),
        (FieldType.DateTime, new FieldParser(FieldType.DateTime)),
        (FieldType.Time, new FieldParser(FieldType.Time)),
    ];

    /// <summary>The inferred fields, in column order.</summary>
    /// <exception cref="DataFormatException">The data cannot be read as <paramref name="format"/>.</exception>
    public static IReadOnlyList<(string Name, FieldType Type)> Infer(string path, TableFormat format, CancellationToken cancellationToken = default)
    {
        var sink = new InferenceSink();
        switch (format)
        {
            case TableFormat.Parquet:
                using (var file = File.OpenRead(path))
                {
                    ParquetTableReader.Read(file, sink, cancellationToken);
                }

                break;
            case TableFormat.JsonLines:
                var keys = new KeyCollector();
                using (var file = Hashing.Sha256File.OpenSequential(path))
                {
                    JsonLinesReader.Read(file, [], keys, cancellationToken);
                }

                using (var file = Hashing.Sha256File.OpenSequential(path))
                {
                    JsonLinesReader.Read(file, keys.Names, sink, cancellationToken);
                }

                break;
            default:
                using (var file = Hashing.Sha256File.OpenSequential(path))
                {
                    SeparatedValuesReader.Read(file, format == TableFormat.Tsv ? '\t' : ',', sink, cancellationToken);
                }

                break;
        }

        return sink.Result();
    }

    /// <summary>The schema as JSON (2-space indentation, final newline).</summary>
    public static byte[] ToJson(IReadOnlyList<(string Name, FieldType Type)> fields) => CanonicalJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("fields");
        foreach (var (name, type) in fields)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("type", type.Name());
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("missingValues");
        w.WriteStringValue("");
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private sealed class InferenceSink : ITableSink
    {
        private string[] _names = [];
        private int[] _possible = []; // bit i: Candidates[i] still fits every value
        private bool[] _any = [];

        public void Columns(IReadOnlyList<string> names, long line)
        {
            _names = names.ToArray();
            _possible = Enumerable.Repeat((1 << Candidates.Length) - 1, names.Count).ToArray();
            _any = new bool[names.Count];
        }

        public void BeginRow(long line)
        {
        }

        public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0)
        {
            if ((uint)column >= (uint)_names.Length || text.IsEmpty)
            {
                return;
            }

            _any[column] = true;
            var possible = _possible[column];
            for (var i = 0; i < Candidates.Length; i++)
            {
                if ((possible & (1 << i)) != 0 && !Candidates[i].Parser.TryParse(text, out _))
                {
                    possible &= ~(1 << i);
                }
            }

            _possible[column] = possible;
        }

        public void NullCell(int column)
        {
        }

        public void UnknownColumn(string name, long line)
        {
        }

        public void EndRow(int cellCount)
        {
        }

        public IReadOnlyList<(string, FieldType)> Result() => _names.Select((name, i) =>
        {
            var type = FieldType.String;
            if (_any[i])
            {
                for (var c = 0; c < Candidates.Length; c++)
                {
                    if ((_possible[i] & (1 << c)) != 0)
                    {
                        type = Candidates[c].Type;
                        break;
                    }
                }
            }

            return (name, type);
        }).ToArray();
    }

    private sealed class KeyCollector : ITableSink
    {
        public List<string> Names { get; } = new();

        public void Columns(IReadOnlyList<string> names, long line)
        {
        }

        public void BeginRow(long line)
        {
        }

        public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0)
        {
        }

        public void NullCell(int column)
        {
        }

        public void UnknownColumn(string name, long line) => Names.Add(name);

        public void EndRow(int cellCount)
        {
        }
    }
}
