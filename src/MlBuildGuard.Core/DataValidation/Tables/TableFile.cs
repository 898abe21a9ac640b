using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Secrets;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>What reading a table file gave: the digest of all its bytes, and why its rows could not be read, if they could not.</summary>
public readonly record struct TableFileRead(FileDigest Digest, DataFormatException? Problem);

/// <summary>
/// Reads a table file (CSV, TSV, JSON Lines, Parquet) row by row into a sink and hashes every byte of it, in one
/// sequential read for the text formats (through <see cref="DigestingStream"/>, which also shows the bytes to a secret
/// scanner when one is given); Parquet, which is read by seeking, is hashed (and scanned) in a second, sequential read.
/// The digest always covers the whole file, also when the rows cannot be read: the reader's error is returned, not thrown.
/// </summary>
public static class TableFile
{
    /// <param name="columns">For JSON Lines: the columns to read (a schema's fields), or null to take them from the keys as they appear.</param>
    /// <param name="secrets">A scanner for this file that sees every byte, or null to look only for private key blocks.</param>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static TableFileRead Read(string path, TableFormat format, IReadOnlyList<string>? columns, ITableSink sink, SecretScanner? secrets,
        CancellationToken cancellationToken = default, bool pipelined = false)
    {
        if (format == TableFormat.Parquet)
        {
            DataFormatException? problem = null;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.RandomAccess);
                ParquetTableReader.Read(file, sink, cancellationToken);
            }
            catch (DataFormatException e)
            {
                problem = e;
            }

            return new TableFileRead(Sha256File.Compute(path, secrets, cancellationToken), problem);
        }

        using var stream = Sha256File.OpenSequential(path);
        using var digesting = new DigestingStream(stream, secrets);
        // Optionally, reading (and hashing) and checking run side by side; the sink sees the same rows in order.
        using var pipeline = pipelined && Environment.ProcessorCount > 1 ? new PipelinedSink(sink) : null;
        try
        {
            var target = (ITableSink?)pipeline ?? sink;
            switch (format)
            {
                case TableFormat.Csv:
                    SeparatedValuesReader.Read(digesting, ',', target, cancellationToken);
                    break;
                case TableFormat.Tsv:
                    SeparatedValuesReader.Read(digesting, '\t', target, cancellationToken);
                    break;
                default:
                    JsonLinesReader.Read(digesting, columns, target, cancellationToken);
                    break;
            }

            pipeline?.Finish();
            return new TableFileRead(digesting.Finish(cancellationToken), null);
        }
        catch (DataFormatException e)
        {
            // Hash what the reader left (all of it after an early format error), so the digest is always whole.
            return new TableFileRead(digesting.Finish(cancellationToken), e);
        }
    }
}

/// <summary>Feeds every row to several sinks in turn (a schema validator and a personal-data counter, in one read).</summary>
public sealed class TeeSink(params ITableSink[] sinks) : ITableSink
{
    public void Columns(IReadOnlyList<string> names, long line)
    {
        foreach (var sink in sinks)
        {
            sink.Columns(names, line);
        }
    }

    public void BeginRow(long line)
    {
        foreach (var sink in sinks)
        {
            sink.BeginRow(line);
        }
    }

    public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0)
    {
        foreach (var sink in sinks)
        {
            sink.Cell(column, text, charColumn, lineOffset);
        }
    }

    public void NullCell(int column)
    {
        foreach (var sink in sinks)
        {
            sink.NullCell(column);
        }
    }

    public void UnknownColumn(string name, long line)
    {
        foreach (var sink in sinks)
        {
            sink.UnknownColumn(name, line);
        }
    }

    public void EndRow(int cellCount)
    {
        foreach (var sink in sinks)
        {
            sink.EndRow(cellCount);
        }
    }
}
