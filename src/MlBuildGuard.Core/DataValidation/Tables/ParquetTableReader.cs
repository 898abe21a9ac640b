using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Reads a Parquet file with Parquet.Net, one row group at a time (a row group larger than <see cref="MaxRowGroupRows"/>
/// is refused, which bounds memory), and hands each value to the sink as the text a CSV would hold (numbers in invariant
/// round-trip form, dates ISO 8601, booleans true/false, binary as base64), so one schema checks every format alike.
/// Only flat schemas of primitive columns are read; corrupt files are <see cref="DataFormatException"/>s.
/// </summary>
public static class ParquetTableReader
{
    public const long MaxRowGroupRows = 4_000_000;

    /// <summary>Rows × columns of one row group held at once (about 16 bytes each, plus string data).</summary>
    public const long MaxRowGroupCells = 16_000_000;

    /// <summary>Refuse footers and files that claim more than this many columns (a corrupt or hostile footer).</summary>
    public const int MaxColumns = 10_000;

    /// <summary>How long parsing the footer may take: it is milliseconds for any genuine file.</summary>
    public static readonly TimeSpan DefaultFooterTimeout = TimeSpan.FromSeconds(10);

    public static void Read(Stream stream, ITableSink sink, CancellationToken cancellationToken = default, TimeSpan? footerTimeout = null)
    {
        try
        {
            var reader = OpenWithDeadline(stream, footerTimeout ?? DefaultFooterTimeout, cancellationToken);
            ReadAsync(reader, sink, cancellationToken).GetAwaiter().GetResult();
        }
        catch (DataFormatException)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Parquet.Net reports corrupt input with many exception types (IOException, InvalidDataException,
            // NotSupportedException, IndexOutOfRangeException, Thrift errors...): all mean "not a readable Parquet file".
            throw new DataFormatException($"it is not a readable Parquet file: {e.GetType().Name}: {FirstLine(e.Message)}");
        }
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim().TrimEnd('.');
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    /// <summary>
    /// Parses the footer on a thread of its own and gives up after <paramref name="timeout"/>: Parquet.Net 6.1.0 loops
    /// forever, without reading or allocating, on some corrupt footers (found by the fuzz tests). The abandoned thread is a
    /// background thread, so it never keeps the process alive; the file is reported as unreadable (MLG704).
    /// </summary>
    private static ParquetReader OpenWithDeadline(Stream stream, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ParquetReader? opened = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                opened = ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "MlBuildGuard Parquet footer",
        };
        thread.Start();
        if (!thread.Join(timeout))
        {
            throw new DataFormatException($"its footer could not be parsed within {timeout.TotalSeconds:0} s (a corrupt footer makes the Parquet reader loop)");
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return opened!;
    }

    private static async Task ReadAsync(ParquetReader opened, ITableSink sink, CancellationToken cancellationToken)
    {
        await using var reader = opened;
        var fields = reader.Schema.GetDataFields();
        if (fields.Length > MaxColumns)
        {
            throw new DataFormatException($"it declares {fields.Length} columns, more than the {MaxColumns} MlBuildGuard reads");
        }

        foreach (var field in fields)
        {
            if (field.IsArray || field.Path.ToList().Count > 1)
            {
                throw new DataFormatException($"column '{field.Path}' is nested or repeated; MlBuildGuard validates flat tables of primitive columns");
            }
        }

        sink.Columns(fields.Select(f => f.Name).ToArray(), 0);
        long rowNumber = 0;
        var buffer = new char[64];
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            if (group.RowCount > MaxRowGroupRows || group.RowCount < 0 || group.RowCount * fields.Length > MaxRowGroupCells)
            {
                throw new DataFormatException($"row group {g} has {group.RowCount} rows of {fields.Length} columns, more than MlBuildGuard holds in memory at once ({MaxRowGroupRows} rows, {MaxRowGroupCells} values); write smaller row groups");
            }

            var rows = (int)group.RowCount;
            var columns = new Array[fields.Length];
            for (var c = 0; c < fields.Length; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                columns[c] = await ReadColumnAsync(group, fields[c], rows, cancellationToken).ConfigureAwait(false);
            }

            for (var r = 0; r < rows; r++)
            {
                sink.BeginRow(++rowNumber);
                for (var c = 0; c < columns.Length; c++)
                {
                    var value = columns[c].GetValue(r);
                    if (value is null)
                    {
                        sink.NullCell(c);
                    }
                    else
                    {
                        sink.Cell(c, Format(value, ref buffer), 0);
                    }
                }

                sink.EndRow(columns.Length);
            }
        }
    }

    private static async Task<Array> ReadColumnAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellationToken)
    {
        var type = field.ClrType;
        if (type == typeof(ReadOnlyMemory<char>) || type == typeof(string))
        {
            var strings = new string?[rows];
            await group.ReadAsync(field, strings.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return strings;
        }

        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>))
        {
            var bytes = new byte[]?[rows];
            await group.ReadAsync(field, bytes.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return bytes;
        }

        return type switch
        {
            _ when type == typeof(bool) => await Values<bool>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await Values<sbyte>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(byte) => await Values<byte>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(short) => await Values<short>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ushort) => await Values<ushort>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(int) => await Values<int>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(uint) => await Values<uint>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(long) => await Values<long>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ulong) => await Values<ulong>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(float) => await Values<float>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(double) => await Values<double>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(decimal) => await Values<decimal>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(DateTime) => await Values<DateTime>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(DateOnly) => await Values<DateOnly>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(TimeOnly) => await Values<TimeOnly>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(TimeSpan) => await Values<TimeSpan>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(Guid) => await Values<Guid>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ => throw new DataFormatException($"column '{field.Name}' has the type {type.Name}, which MlBuildGuard does not read"),
        };
    }

    private static async Task<Array> Values<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T?[rows];
        await group.ReadAsync<T>(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        return values;
    }

    private static ReadOnlySpan<char> Format(object value, ref char[] buffer)
    {
        switch (value)
        {
            case string s:
                return s;
            case bool b:
                return b ? "true" : "false";
            case byte[] bytes:
                return Convert.ToBase64String(bytes);
            case DateTime dt:
                return dt.ToUniversalTime().ToString(dt.TimeOfDay.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
            case DateOnly d:
                return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case TimeOnly t:
                return t.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "HH:mm:ss" : "HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            case ISpanFormattable f:
                int written;
                while (!f.TryFormat(buffer, out written, default, CultureInfo.InvariantCulture))
                {
                    buffer = new char[buffer.Length * 2];
                }

                return buffer.AsSpan(0, written);
            default:
                return Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        }
    }
}
