using System.Collections.Concurrent;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>
/// Runs a sink on a second thread: the reading thread (file, SHA-256, UTF-8 check, CSV parsing) copies each row's cells
/// into batches, and a consumer replays them, in order, into the real sink (the checks and profiles). With two cores
/// the two halves overlap. Memory stays bounded: at most <see cref="MaxBatchesInFlight"/> batches exist, each about
/// <see cref="BatchChars"/> characters (more only for one row larger than that, itself bounded by the reader).
/// </summary>
internal sealed class PipelinedSink : ITableSink, IDisposable
{
    public const int MaxBatchesInFlight = 4;

    public const int BatchChars = 1 << 19;

    private const int BatchEvents = 1 << 14;

    private readonly ITableSink _target;
    private readonly BlockingCollection<Batch> _full = new(MaxBatchesInFlight);
    private readonly BlockingCollection<Batch> _free = new(MaxBatchesInFlight);
    private readonly Task _consumer;
    private Batch _current;
    private bool _finished;

    public PipelinedSink(ITableSink target)
    {
        _target = target;
        for (var i = 0; i < MaxBatchesInFlight; i++)
        {
            _free.Add(new Batch());
        }

        _current = _free.Take();
        _consumer = Task.Factory.StartNew(Consume, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public void Columns(IReadOnlyList<string> names, long line)
    {
        _current.Names = names;
        Add(new Event(EventKind.Columns, 0, 0, 0, 0, 0, line));
    }

    public void BeginRow(long line) => Add(new Event(EventKind.BeginRow, 0, 0, 0, 0, 0, line));

    public void Cell(int column, ReadOnlySpan<char> text, int charColumn, int lineOffset = 0)
    {
        var start = _current.Append(text);
        Add(new Event(EventKind.Cell, column, start, text.Length, charColumn, lineOffset, 0));
    }

    public void NullCell(int column) => Add(new Event(EventKind.Null, column, 0, 0, 0, 0, 0));

    public void UnknownColumn(string name, long line)
    {
        _current.Unknown.Add(name);
        Add(new Event(EventKind.Unknown, _current.Unknown.Count - 1, 0, 0, 0, 0, line));
    }

    public void EndRow(int cellCount)
    {
        Add(new Event(EventKind.EndRow, cellCount, 0, 0, 0, 0, 0));
        if (_current.Count >= BatchEvents - 1024 || _current.TextLength >= BatchChars)
        {
            Send();
        }
    }

    private void Add(in Event e)
    {
        if (_current.Count == _current.Events.Length)
        {
            Array.Resize(ref _current.Events, _current.Events.Length * 2);
        }

        _current.Events[_current.Count++] = e;
    }

    private void Send()
    {
        if (_current.Count == 0)
        {
            return;
        }

        try
        {
            _full.Add(_current);
        }
        catch (InvalidOperationException)
        {
            _consumer.GetAwaiter().GetResult(); // the consumer failed and stopped taking batches: surface its exception
            throw;
        }

        _current = TakeFree();
    }

    private Batch TakeFree()
    {
        while (true)
        {
            if (_free.TryTake(out var batch, 100))
            {
                return batch;
            }

            if (_consumer.IsCompleted)
            {
                _consumer.GetAwaiter().GetResult();
                throw new InvalidOperationException("the validation consumer stopped early");
            }
        }
    }

    /// <summary>Hands over what is left and waits until the target has seen every row.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        Send();
        _full.CompleteAdding();
        _consumer.GetAwaiter().GetResult();
    }

    private void Consume()
    {
        try
        {
            foreach (var batch in _full.GetConsumingEnumerable())
            {
                Replay(batch);
                batch.Clear();
                _free.Add(batch);
            }
        }
        catch
        {
            _full.CompleteAdding();
            throw;
        }
    }

    private void Replay(Batch batch)
    {
        var text = batch.Text.AsSpan();
        for (var i = 0; i < batch.Count; i++)
        {
            ref readonly var e = ref batch.Events[i];
            switch (e.Kind)
            {
                case EventKind.Columns:
                    _target.Columns(batch.Names!, e.Line);
                    break;
                case EventKind.BeginRow:
                    _target.BeginRow(e.Line);
                    break;
                case EventKind.Cell:
                    _target.Cell(e.Column, text.Slice(e.Start, e.Length), e.CharColumn, e.LineOffset);
                    break;
                case EventKind.Null:
                    _target.NullCell(e.Column);
                    break;
                case EventKind.Unknown:
                    _target.UnknownColumn(batch.Unknown[e.Column], e.Line);
                    break;
                default:
                    _target.EndRow(e.Column);
                    break;
            }
        }
    }

    public void Dispose()
    {
        if (!_finished)
        {
            // The reader failed: stop the consumer without waiting for rows that will never come.
            _finished = true;
            _full.CompleteAdding();
            try
            {
                _consumer.Wait();
            }
            catch (AggregateException)
            {
                // The reader's own exception is the one that matters.
            }
        }

        _full.Dispose();
        _free.Dispose();
    }

    private enum EventKind : byte
    {
        Columns,
        BeginRow,
        Cell,
        Null,
        Unknown,
        EndRow,
    }

    private readonly record struct Event(EventKind Kind, int Column, int Start, int Length, int CharColumn, int LineOffset, long Line);

    private sealed class Batch
    {
        public Event[] Events = new Event[BatchEvents];

        public char[] Text = new char[BatchChars];

        public int Count;

        public int TextLength;

        public IReadOnlyList<string>? Names;

        public List<string> Unknown { get; } = new();

        public int Append(ReadOnlySpan<char> text)
        {
            if (TextLength + text.Length > Text.Length)
            {
                Array.Resize(ref Text, Math.Max(Text.Length * 2, TextLength + text.Length));
            }

            text.CopyTo(Text.AsSpan(TextLength));
            var start = TextLength;
            TextLength += text.Length;
            return start;
        }

        public void Clear()
        {
            Count = 0;
            TextLength = 0;
            Names = null;
            Unknown.Clear();
            if (Text.Length > BatchChars * 2)
            {
                Text = new char[BatchChars]; // a giant row's buffer is not kept
            }
        }
    }
}
