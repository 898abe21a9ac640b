using System.Text;

namespace MlBuildGuard.Core.Models.Formats.Keras;

/// <summary>
/// Captures JSON objects from a byte stream fed in chunks. A capture starts at every '{' and follows the JSON grammar
/// (structure, strings and escapes; the spelling of literals and numbers is left to the parser); it ends when the
/// object closes, or fails at the first byte the grammar does not allow there. A failed capture that has another '{'
/// after its first byte is read again from its second byte (a configuration may start inside it), within
/// <see cref="KerasFormat.ReplayBudget"/>.
/// <para>
/// <b>Limitations of the HDF5 scan.</b> It does not parse HDF5 (no object headers, B-trees or heaps). It streams the
/// file (one 1 MiB buffer, plus the text being captured, itself capped at <see cref="ScanLimits.MaxHeaderBytes"/>) and
/// captures every JSON object that starts anywhere in it, following the JSON grammar; each complete one that contains
/// <c>"class_name"</c> is scanned as a Keras configuration. That finds the <c>model_config</c> and
/// <c>training_config</c> attributes as Keras and h5py write them, because their text is stored in one piece: a
/// fixed-length string attribute inside its object header message, a variable-length string as one object of a global
/// heap collection, and a large attribute in dense storage as one fractal-heap object. It does not find text stored any
/// other way: an attribute in a fractal heap with I/O filters (compressed), a string dataset that is chunked or
/// filtered, or text in another encoding than UTF-8 is missed, and the file is then reported clean. It cannot tell
/// which attribute (or dataset) the text came from, so any Keras-like JSON object in the file is checked. An HDF5 file
/// with no such text at all (weights only) reports nothing. A capture that contains <c>"class_name"</c> but is cut off
/// (the end of the file, or a byte JSON does not allow there, such as the NUL padding of a truncated attribute) or that
/// the JSON parser rejects is MLG303. A capture that fails is read again from its second byte, so text in front of a
/// configuration cannot hide it; that re-reading is limited to <see cref="ReplayBudget"/> bytes per file (MLG307 beyond).
/// </para>
/// </summary>
internal sealed class Hdf5ConfigFinder
{
    private static readonly byte[] ClassNameKey = "\"class_name\""u8.ToArray();
    private readonly KerasConfigSession _session;
    private readonly long _cap;
    private readonly Stack<(byte[] Buffer, int Offset, int Count)> _segments = new();
    private byte[] _capture = new byte[256];
    private int _captureLength;
    private bool _capturing;
    private long _replayed;

    // The grammar: the open containers (true = object), what may come next, and string state.
    private bool[] _containers = new bool[64];
    private int _depth;
    private Expect _expect;
    private bool _inString;
    private bool _stringIsKey;
    private bool _escaped;

    public Hdf5ConfigFinder(KerasConfigSession session)
    {
        _session = session;
        _cap = Math.Min(session.Context.Limits.MaxHeaderBytes, Array.MaxLength - 64);
    }

    public bool Stopped { get; private set; }

    private enum Expect
    {
        Value,
        ValueOrEnd,
        Key,
        KeyOrEnd,
        Colon,
        CommaOrEnd,
        Literal,
    }

    public void Feed(byte[] buffer, int offset, int count)
    {
        _segments.Push((buffer, offset, count));
        Drain();
    }

    public void Finish()
    {
        while (_capturing && !Stopped)
        {
            Fail("it is cut off at the end of the file");
            Drain();
        }
    }

    private void Drain()
    {
        while (_segments.Count > 0 && !Stopped)
        {
            var (buffer, offset, count) = _segments.Pop();
            var consumed = Process(buffer.AsSpan(offset, count), out var failure);
            if (failure is not null)
            {
                // The rest of the input is read after the capture's own bytes have been read again.
                if (consumed < count)
                {
                    _segments.Push((buffer, offset + consumed, count - consumed));
                }

                Fail(failure);
            }
        }
    }

    /// <summary>Whether the failed capture has a '{' after its first byte, where another capture could start.</summary>
    private bool NeedsReplay => _captureLength > 1 && _capture.AsSpan(1, _captureLength - 1).IndexOf((byte)'{') >= 0;

    /// <summary>
    /// Ends the current capture as failed and reports it if it was a Keras configuration. If it must be read again,
    /// its bytes after the first are queued (or, with <paramref name="queue"/> false, the caller re-reads them from its
    /// own input); false when that would exceed the replay budget (the scan then stops).
    /// </summary>
    private bool Fail(string reason, bool queue = true)
    {
        var captured = _capture.AsSpan(0, _captureLength);
        _capturing = false;
        if (captured.IndexOf(ClassNameKey) >= 0)
        {
            _session.Report303($"the Keras model configuration cannot be read ({reason})");
        }

        if (NeedsReplay)
        {
            _replayed += _captureLength - 1;
            if (_replayed > KerasFormat.ReplayBudget)
            {
                _session.Report307("the file holds more broken JSON text than can be re-read", KerasFormat.ReplayBudget);
                Stopped = true;
                _captureLength = 0;
                return false;
            }

            if (queue)
            {
                _segments.Push((captured[1..].ToArray(), 0, _captureLength - 1));
            }
        }

        _captureLength = 0;
        return true;
    }

    /// <summary>
    /// Reads bytes until the input ends or a capture fails and must be re-read: then returns the bytes consumed (not
    /// the byte that ended it) and the reason; the capture is still open for <see cref="Fail"/>.
    /// </summary>
    private int Process(ReadOnlySpan<byte> input, out string? failure)
    {
        failure = null;
        var i = 0;
        var captureStart = -1; // where the open capture started, when that is in this input
        while (i < input.Length)
        {
            if (!_capturing)
            {
                var next = input[i..].IndexOf((byte)'{');
                if (next < 0)
                {
                    return input.Length;
                }

                i += next;
                if (i + 1 < input.Length && input[i + 1] is not ((byte)'"' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    i++; // the capture would fail at its second byte
                    continue;
                }

                captureStart = i;
                _capturing = true;
                _captureLength = 0;
                _depth = 0;
                _expect = Expect.Value;
                _inString = false;
                _escaped = false;
            }

            var start = i;
            var result = StepResult.Continue;
            for (; i < input.Length; i++)
            {
                result = Step(input[i]);
                if (result != StepResult.Continue)
                {
                    break;
                }
            }

            if (result == StepResult.Complete)
            {
                i++;
            }

            if (!Append(input[start..i]))
            {
                return input.Length;
            }

            string? reason = null;
            if (result == StepResult.Fail)
            {
                reason = "it is cut off";
            }
            else if (result == StepResult.Complete && !Complete())
            {
                reason = "it is not valid JSON";
            }

            if (reason is null)
            {
                continue;
            }

            if (!NeedsReplay)
            {
                Fail(reason); // nothing to re-read: go on from the byte that ended it
            }
            else if (captureStart >= 0)
            {
                // The capture's bytes are still in this input: re-read them from there.
                if (!Fail(reason, queue: false))
                {
                    return input.Length;
                }

                i = captureStart + 1;
            }
            else
            {
                failure = reason;
                return i;
            }

            captureStart = -1;
        }

        return input.Length;
    }

    private bool Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return true;
        }

        if (_captureLength + (long)bytes.Length > _cap)
        {
            // Too large to read into memory: the rest of the file cannot be shown safe.
            _session.Report307("a JSON text in the file is larger than the configurations that may be read into memory", _session.Context.Limits.MaxHeaderBytes);
            Stopped = true;
            _capturing = false;
            return false;
        }

        if (_captureLength + bytes.Length > _capture.Length)
        {
            var size = (int)Math.Min(_cap, Math.Max((long)_capture.Length * 2, _captureLength + (long)bytes.Length));
            Array.Resize(ref _capture, size);
        }

        bytes.CopyTo(_capture.AsSpan(_captureLength));
        _captureLength += bytes.Length;
        return true;
    }

    /// <summary>Scans a complete capture; false when the parser rejects it (it stays open for <see cref="Fail"/>).</summary>
    private bool Complete()
    {
        var text = _capture.AsSpan(0, _captureLength);
        if (text.IndexOf(ClassNameKey) >= 0 && _session.ScanJson(text, KerasJsonSource.Hdf5Capture) == KerasJsonOutcome.Malformed)
        {
            return false;
        }

        // Scanned, rejected (and reported), or a JSON object that is not a Keras configuration.
        _capturing = false;
        _captureLength = 0;
        return true;
    }

    private enum StepResult
    {
        Continue,
        Complete,
        Fail,
    }

    private static bool IsLiteralByte(byte b) =>
        (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b is (byte)'-' or (byte)'+' or (byte)'.';

    private StepResult Step(byte b)
    {
        if (_inString)
        {
            if (_escaped)
            {
                _escaped = false;
            }
            else if (b == (byte)'\\')
            {
                _escaped = true;
            }
            else if (b == (byte)'"')
            {
                _inString = false;
                _expect = _stringIsKey ? Expect.Colon : Expect.CommaOrEnd;
            }
            else if (b < 0x20)
            {
                return StepResult.Fail;
            }

            return StepResult.Continue;
        }

        if (_expect == Expect.Literal)
        {
            if (IsLiteralByte(b))
            {
                return StepResult.Continue;
            }

            _expect = Expect.CommaOrEnd;
        }

        if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            return StepResult.Continue;
        }

        switch (_expect)
        {
            case Expect.KeyOrEnd when b == (byte)'}':
                return Close(isObject: true);
            case Expect.Key or Expect.KeyOrEnd:
                if (b != (byte)'"')
                {
                    return StepResult.Fail;
                }

                _inString = true;
                _stringIsKey = true;
                return StepResult.Continue;
            case Expect.Colon:
                if (b != (byte)':')
                {
                    return StepResult.Fail;
                }

                _expect = Expect.Value;
                return StepResult.Continue;
            case Expect.CommaOrEnd:
                if (_depth == 0)
                {
                    return StepResult.Fail;
                }

                if (b == (byte)',')
                {
                    _expect = _containers[_depth - 1] ? Expect.Key : Expect.Value;
                    return StepResult.Continue;
                }

                return b switch
                {
                    (byte)'}' => Close(isObject: true),
                    (byte)']' => Close(isObject: false),
                    _ => StepResult.Fail,
                };
            case Expect.ValueOrEnd when b == (byte)']':
                return Close(isObject: false);
            default: // a value
                if (b is (byte)'{' or (byte)'[')
                {
                    if (_depth == _containers.Length)
                    {
                        Array.Resize(ref _containers, _containers.Length * 2);
                    }

                    var isObject = b == (byte)'{';
                    _containers[_depth++] = isObject;
                    _expect = isObject ? Expect.KeyOrEnd : Expect.ValueOrEnd;
                    return StepResult.Continue;
                }

                if (_depth == 0)
                {
                    return StepResult.Fail; // a capture is an object
                }

                if (b == (byte)'"')
                {
                    _inString = true;
                    _stringIsKey = false;
                    return StepResult.Continue;
                }

                if (IsLiteralByte(b))
                {
                    _expect = Expect.Literal;
                    return StepResult.Continue;
                }

                return StepResult.Fail;
        }
    }

    private StepResult Close(bool isObject)
    {
        if (_depth == 0 || _containers[_depth - 1] != isObject)
        {
            return StepResult.Fail;
        }

        _depth--;
        _expect = Expect.CommaOrEnd;
        return _depth == 0 ? StepResult.Complete : StepResult.Continue;
    }
}

