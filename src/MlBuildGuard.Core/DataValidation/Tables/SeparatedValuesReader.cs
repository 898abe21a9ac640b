using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using nietras.SeparatedValues;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Reads CSV or TSV (RFC 4180 quoting, a header row) with Sep, the fastest maintained .NET parser (docs/benchmarks.md has
/// the comparison with CsvHelper), through a <see cref="TextGuardStream"/> that bounds a row's size and refuses invalid
/// UTF-8. Ragged rows are passed on with their real cell count; the sink decides what they mean.
/// </summary>
public static class SeparatedValuesReader
{
    public static void Read(Stream stream, char separator, ITableSink sink, CancellationToken cancellationToken = default)
    {
        var guard = new TextGuardStream(stream, quoted: true);
        using var text = new StreamReader(guard, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        try
        {
            var options = new SepReaderOptions(Sep.New(separator))
            {
                HasHeader = true,
                DisableColCountCheck = true,
                Unescape = true,
            };
            using var reader = options.From(text);
            if (reader.Header.IsEmpty)
            {
                throw new DataFormatException("the file is empty; a table starts with a header row of column names", 1, 1);
            }

            sink.Columns(reader.Header.ColNames, 1);
            var rows = 0;
            foreach (var row in reader)
            {
                if ((++rows & 0x3FFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var rowSpan = row.Span;
                var multiLine = row.LineNumberToExcl - row.LineNumberFrom > 1;
                sink.BeginRow(row.LineNumberFrom);
                var count = row.ColCount;
                for (var c = 0; c < count; c++)
                {
                    var cell = row[c].Span;
                    var offset = OffsetIn(rowSpan, cell);
                    if (!multiLine || offset < 0)
                    {
                        sink.Cell(c, cell, offset + 1);
                    }
                    else
                    {
                        var before = rowSpan[..offset];
                        var lines = before.Count('\n');
                        sink.Cell(c, cell, offset - (before.LastIndexOf('\n') + 1) + 1, lines);
                    }
                }

                sink.EndRow(count);
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException or DecoderFallbackException)
        {
            throw new DataFormatException($"it is not valid {(separator == '\t' ? "TSV" : "CSV")}: {e.Message.TrimEnd('.')}", guard.Line);
        }
    }

    /// <summary>Where a cell starts in its row's text, in characters; -1 when the parser moved it (an unescaped value).</summary>
    private static int OffsetIn(ReadOnlySpan<char> row, ReadOnlySpan<char> cell)
    {
        var bytes = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(row), ref MemoryMarshal.GetReference(cell));
        var chars = (long)bytes / sizeof(char);
        return chars >= 0 && chars <= row.Length ? (int)chars : -1;
    }
}
