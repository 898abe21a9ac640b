using System.Text;
using MlBuildGuard.Core.Diagnostics;

using MlBuildGuard.Core.Models.Formats;

namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>
/// Emulates CPython's unpickler (<c>_pickle</c> / <c>pickle.py</c>) on a stream without running anything, and reports
/// what loading it would import or call (MLG301, MLG302), what cannot be followed (MLG303) and limits (MLG307).
/// Exact stack semantics: MARK starts a fresh stack (the metastack), POP on an empty stack drops the mark, PUT/BINPUT/
/// LONG_BINPUT/MEMOIZE store the top of the stack (MEMOIZE at the memo's current size), GET copies from the memo; all
/// string opcodes push text; STACK_GLOBAL takes its operands from the stack, so a name assembled through the memo is
/// resolved as the loader resolves it. Several pickles in one stream are all scanned, and findings stand up to a parse
/// error (a payload placed before deliberately broken bytes still runs in CPython).
/// </summary>
public static class PickleScanner
{
    private const int KeepText = 1 << 16;

    /// <summary>How many pickles a legacy <c>torch.save</c> file holds before its raw storages.</summary>
    private const int LegacyTorchPickles = 5;

    /// <summary>The magic number legacy <c>torch.save</c> pickles first, as LONG1's little-endian bytes.</summary>
    private static readonly byte[] TorchLegacyMagic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>Scans every pickle in <paramref name="stream"/> from its current position.</summary>
    public static void Scan(Stream stream, string view, ModelScanContext context, GlobalPolicy policy)
    {
        // A frame violation is reported, then reading goes on as CPython's C unpickler would, so what the frame hid is seen too.
        var reader = new PickleReader(stream, onFrameViolation: (reason, at) =>
            context.Report(RuleCatalog.ModelUnparsable, view, $"the pickle stream is malformed at byte {at}: {reason}"));
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var legacyTorch = false;
        for (var index = 0; ; index++)
        {
            if (reader.AtEnd)
            {
                if (index == 0)
                {
                    context.Report(RuleCatalog.ModelUnparsable, view, "it is empty");
                }

                return;
            }

            if (index >= context.Limits.MaxPickleStreams)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, view, "it holds more pickle streams than allowed", context.Limits.MaxPickleStreams);
                return;
            }

            var vm = new Machine(reader, view, context, policy, reported, index);
            if (!vm.Run())
            {
                return;
            }

            // A legacy torch.save file: five pickles (the magic number, the protocol version, system information, the
            // object, its storage keys), then raw storage bytes that torch.load reads as data and never unpickles.
            legacyTorch |= index == 0 && vm.ReadTorchLegacyMagic;
            if (legacyTorch && index == LegacyTorchPickles - 1)
            {
                return;
            }
        }
    }

    /// <summary>One pickle stream, from its first opcode to STOP.</summary>
    private sealed class Machine(PickleReader reader, string view, ModelScanContext context, GlobalPolicy policy, HashSet<string> reported, int index)
    {
        private readonly List<List<PValue>> _metastack = new();
        private readonly Dictionary<long, PValue> _memo = new();
        private List<PValue> _stack = new();
        private int _protocol;
        private long _opcodes;
        private bool _sawImportOrProto;

        /// <summary>Whether the stream begins with legacy torch.save's magic number (a literal, not a computed value).</summary>
        public bool ReadTorchLegacyMagic { get; private set; }
        private long _getattrCopies;
        private long _getattrCalls;

        private string Where => index == 0 ? view : $"{view} (pickle #{index + 1})";

        /// <summary>Runs to STOP. False when the scan of this stream cannot continue past it (error, or trailing non-pickle data).</summary>
        public bool Run()
        {
            try
            {
                while (true)
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    var op = reader.ReadOpcode();
                    if (op < 0)
                    {
                        throw new PickleFormatException("the stream ends before STOP", reader.Position);
                    }

                    if (++_opcodes > context.Limits.MaxPickleOpcodes)
                    {
                        context.Report(RuleCatalog.ScanLimitExceeded, Where, "the pickle runs more opcodes than allowed", context.Limits.MaxPickleOpcodes);
                        return false;
                    }

                    if (!Step((byte)op))
                    {
                        return true; // STOP
                    }

                    if (_stack.Count + _metastack.Count > context.Limits.MaxPickleStack)
                    {
                        context.Report(RuleCatalog.ScanLimitExceeded, Where, "the pickle's stack (with its marks) grows deeper than allowed", context.Limits.MaxPickleStack);
                        return false;
                    }

                    if (_memo.Count > context.Limits.MaxPickleMemo)
                    {
                        context.Report(RuleCatalog.ScanLimitExceeded, Where, "the pickle's memo grows larger than allowed", context.Limits.MaxPickleMemo);
                        return false;
                    }
                }
            }
            catch (PickleFormatException e)
            {
                // After a complete first pickle, bytes that do not read as another one are trailing data (raw tensors in a
                // legacy PyTorch file), unless they began like a pickle.
                if (index == 0 || _sawImportOrProto)
                {
                    context.FirstPickleFailureAt ??= e.Position;
                    context.Report(RuleCatalog.ModelUnparsable, Where, $"the pickle stream is malformed at byte {e.Position}: {e.Message}");
                }

                return false;
            }
            catch (Exception e) when (e is InvalidCastException or ArgumentException or OverflowException or InvalidOperationException)
            {
                context.FirstPickleFailureAt ??= reader.Position;
                context.Report(RuleCatalog.ModelUnparsable, Where, $"the pickle stream cannot be followed at byte {reader.Position} ({e.Message})");
                return false;
            }
        }

        private bool Step(byte op)
        {
            switch (op)
            {
                case (byte)'(': // MARK
                    _metastack.Add(_stack);
                    _stack = new List<PValue>();
                    break;
                case (byte)'.': // STOP
                    Pop();
                    if (_getattrCopies > _getattrCalls)
                    {
                        Report(RuleCatalog.DangerousModelCode, "reach any attribute",
                            "it imports builtins.getattr and uses it other than to read a named attribute of an imported or constructed object");
                    }

                    return false;
                case (byte)'0': // POP: an empty stack pops the mark instead
                    if (_stack.Count > 0)
                    {
                        _stack.RemoveAt(_stack.Count - 1);
                    }
                    else
                    {
                        PopMark();
                    }

                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Top());
                    break;
                case (byte)'F': // FLOAT
                    reader.ReadLine();
                    Push(new PScalar("float"));
                    break;
                case (byte)'I': // INT
                    {
                        var text = reader.ReadLine();
                        Push(text is "00" or "01" ? new PScalar("bool") : new PInt(long.TryParse(text.TrimEnd('L'), out var v) ? v : null));
                        break;
                    }

                case (byte)'J': Push(new PInt(reader.ReadInt32())); break; // BININT
                case (byte)'K': Push(new PInt(reader.ReadByte())); break; // BININT1
                case (byte)'M': Push(new PInt(reader.ReadUInt16())); break; // BININT2
                case (byte)'L': // LONG
                    {
                        var text = reader.ReadLine();
                        Push(new PInt(long.TryParse(text.TrimEnd('L'), out var v) ? v : null));
                        break;
                    }

                case 0x8a: // LONG1
                    {
                        var bytes = reader.ReadOrSkip(reader.ReadByte(), KeepText);
                        ReadTorchLegacyMagic |= _opcodes <= 3 && bytes is not null && bytes.AsSpan().SequenceEqual(TorchLegacyMagic);
                        Push(LongFromBytes(bytes));
                        break;
                    }
                case 0x8b: // LONG4
                    {
                        var n = reader.ReadInt32();
                        if (n < 0)
                        {
                            throw new PickleFormatException("LONG4 has a negative length", reader.Position);
                        }

                        Push(LongFromBytes(reader.ReadOrSkip(n, 8)));
                        break;
                    }

                case (byte)'N': Push(new PScalar("None")); break;
                case 0x88: case 0x89: Push(new PScalar("bool")); break; // NEWTRUE / NEWFALSE
                case (byte)'G': reader.ReadDoubleBigEndian(); Push(new PScalar("float")); break; // BINFLOAT
                case (byte)'S': Push(new PStr(PickleText.Unquote(reader.ReadLine()))); break; // STRING
                case (byte)'V': Push(new PStr(PickleText.RawUnicodeEscape(reader.ReadLine()))); break; // UNICODE
                case (byte)'T': PushText(reader.ReadInt32(), latin1: true); break; // BINSTRING
                case (byte)'U': PushText(reader.ReadByte(), latin1: true); break; // SHORT_BINSTRING
                case (byte)'X': PushText(reader.ReadUInt32(), latin1: false); break; // BINUNICODE
                case 0x8c: PushText(reader.ReadByte(), latin1: false); break; // SHORT_BINUNICODE
                case 0x8d: PushText(reader.ReadInt64(), latin1: false); break; // BINUNICODE8
                case (byte)'B': PushBytes(reader.ReadUInt32()); break; // BINBYTES
                case (byte)'C': PushBytes(reader.ReadByte()); break; // SHORT_BINBYTES
                case 0x8e: PushBytes(reader.ReadInt64()); break; // BINBYTES8
                case 0x96: PushBytes(reader.ReadInt64()); break; // BYTEARRAY8
                case 0x97: Push(new PBytes(0)); break; // NEXT_BUFFER (out-of-band)
                case 0x98: break; // READONLY_BUFFER
                case (byte)')': Push(new PSeq("tuple")); break; // EMPTY_TUPLE
                case (byte)']': Push(new PSeq("list")); break; // EMPTY_LIST
                case (byte)'}': Push(new PDict()); break; // EMPTY_DICT
                case 0x8f: Push(new PSeq("set")); break; // EMPTY_SET
                case (byte)'t': Push(Sequence("tuple", PopMark())); break; // TUPLE
                case (byte)'l': Push(Sequence("list", PopMark())); break; // LIST
                case 0x91: Push(Sequence("frozenset", PopMark())); break; // FROZENSET
                case 0x85: Push(Sequence("tuple", PopN(1))); break; // TUPLE1
                case 0x86: Push(Sequence("tuple", PopN(2))); break; // TUPLE2
                case 0x87: Push(Sequence("tuple", PopN(3))); break; // TUPLE3
                case (byte)'d': // DICT
                    {
                        var items = PopMark();
                        var dict = new PDict();
                        for (var i = 0; i + 1 < items.Count; i += 2)
                        {
                            dict.Set(items[i], items[i + 1]);
                        }

                        Push(dict);
                        break;
                    }

                case (byte)'a': // APPEND
                    {
                        var value = Pop();
                        Mutate(Top(), "APPEND", [value]);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        var items = PopMark();
                        Mutate(Top(), "APPENDS", items);
                        break;
                    }

                case 0x90: // ADDITEMS
                    {
                        var items = PopMark();
                        Mutate(Top(), "ADDITEMS", items);
                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        var value = Pop();
                        var key = Pop();
                        Mutate(Top(), "SETITEM", [key, value]);
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        Mutate(Top(), "SETITEMS", items);
                        break;
                    }

                case (byte)'b': // BUILD
                    {
                        var state = Pop();
                        var target = Top();
                        Build(target, state);
                        break;
                    }

                case (byte)'c': // GLOBAL
                    {
                        var module = reader.ReadLine();
                        var name = reader.ReadLine();
                        Push(Import(module, name, "GLOBAL"));
                        break;
                    }

                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is PStr m && name is PStr n)
                        {
                            Push(Import(m.Text, n.Text, "STACK_GLOBAL"));
                        }
                        else
                        {
                            Report(RuleCatalog.DangerousModelCode, "import anything", "it imports a name computed while loading (STACK_GLOBAL on values that are not plain strings), which cannot be checked");
                            Push(PUnknown.Instance);
                        }

                        break;
                    }

                case (byte)'i': // INST: import, then call with the marked arguments
                    {
                        var module = reader.ReadLine();
                        var name = reader.ReadLine();
                        var cls = Import(module, name, "INST");
                        var args = PopMark();
                        Push(Call(cls, Sequence("tuple", args), "INST"));
                        break;
                    }

                case (byte)'o': // OBJ
                    {
                        var items = PopMark();
                        if (items.Count == 0)
                        {
                            throw new PickleFormatException("OBJ without a class", reader.Position);
                        }

                        Push(Call(items[0], Sequence("tuple", items.Skip(1).ToList()), "OBJ"));
                        break;
                    }

                case (byte)'R': // REDUCE
                    {
                        var args = Pop();
                        var callee = Pop();
                        Push(Call(callee, args, "REDUCE"));
                        break;
                    }

                case 0x81: // NEWOBJ
                    {
                        var args = Pop();
                        var cls = Pop();
                        Push(Call(cls, args, "NEWOBJ"));
                        break;
                    }

                case 0x92: // NEWOBJ_EX
                    {
                        Pop(); // kwargs
                        var args = Pop();
                        var cls = Pop();
                        Push(Call(cls, args, "NEWOBJ_EX"));
                        break;
                    }

                case 0x82: Extension(reader.ReadByte()); break; // EXT1
                case 0x83: Extension(reader.ReadUInt16()); break; // EXT2
                case 0x84: Extension(reader.ReadInt32()); break; // EXT4
                case (byte)'P': Push(new PPersistent(new PStr(reader.ReadLine()))); break; // PERSID
                case (byte)'Q': Push(Persistent(Pop())); break; // BINPERSID
                case (byte)'p': MemoPut(ParseIndex(reader.ReadLine())); break; // PUT
                case (byte)'q': MemoPut(reader.ReadByte()); break; // BINPUT
                case (byte)'r': MemoPut(reader.ReadUInt32()); break; // LONG_BINPUT
                case 0x94: MemoPut(_memo.Count); break; // MEMOIZE
                case (byte)'g': MemoGet(ParseIndex(reader.ReadLine())); break; // GET
                case (byte)'h': MemoGet(reader.ReadByte()); break; // BINGET
                case (byte)'j': MemoGet(reader.ReadUInt32()); break; // LONG_BINGET
                case 0x80: // PROTO
                    _protocol = reader.ReadByte();
                    _sawImportOrProto = true;
                    if (_protocol > 5)
                    {
                        throw new PickleFormatException($"unsupported pickle protocol {_protocol}", reader.Position);
                    }

                    break;
                case 0x95: // FRAME
                    reader.OpenFrame(reader.ReadInt64());
                    break;
                default:
                    throw new PickleFormatException($"invalid opcode 0x{op:x2}", reader.Position - 1);
            }

            return true;
        }

        private PValue Import(string module, string name, string opcode)
        {
            _sawImportOrProto = true;
            if (!PickleText.IsDottedIdentifier(module) || !PickleText.IsDottedIdentifier(name))
            {
                throw new PickleFormatException($"{opcode} names '{FormatText.Printable(module)}.{FormatText.Printable(name)}', which Python cannot import", reader.Position);
            }

            if (_protocol < 3)
            {
                (module, name) = PythonCompat.Map(module, name);
            }

            if (module == "builtins" && name == "getattr")
            {
                return new PGetattr(); // judged by the call that uses it
            }

            return Judged(new PGlobal(module, name));
        }

        /// <summary>Judges a global as loading it would import it: dangerous is MLG301, not on the allowlist MLG302.</summary>
        private PGlobal Judged(PGlobal global)
        {
            var (verdict, effect) = policy.Judge(global.Module, global.Name);
            if (verdict == GlobalVerdict.Dangerous)
            {
                Report(RuleCatalog.DangerousModelCode, effect!, $"it imports {global.FullName}");
            }
            else if (verdict == GlobalVerdict.NotAllowed && reported.Add("302|" + global.FullName))
            {
                context.ReportNotAllowed(Where, global.FullName);
            }

            return global;
        }

        private PValue Call(PValue callee, PValue args, string opcode)
        {
            switch (callee)
            {
                case PGlobal:
                    break; // judged when imported
                case PGetattr:
                    _getattrCalls++;
                    return Getattr(args, opcode);
                case PCall { Callee: PGlobal g }:
                    Report(RuleCatalog.DangerousModelCode, "call an object made while loading",
                        $"it calls the result of calling {g.FullName} ({opcode}), a gadget chain");
                    break;
                default:
                    Report(RuleCatalog.DangerousModelCode, "call an object whose origin cannot be known",
                        $"it calls a value that is not an imported class or function ({opcode})");
                    break;
            }

            return new PCall(callee, args);
        }

        /// <summary>
        /// <c>getattr(target, "name")</c>: on an imported global, or on an object made by calling an imported class, it
        /// reads the attribute <c>Class.name</c>, which is judged as that dotted global; on anything else it is MLG301.
        /// </summary>
        private PValue Getattr(PValue args, string opcode)
        {
            if (args is PSeq { Kind: "tuple", Count: 2 } tuple && tuple.Items[1] is PStr { Text: var attribute } && PickleText.IsDottedIdentifier(attribute)
                && ClassOf(tuple.Items[0]) is { } owner)
            {
                return Judged(new PGlobal(owner.Module, owner.Name + "." + attribute));
            }

            Report(RuleCatalog.DangerousModelCode, "reach any attribute",
                $"it calls builtins.getattr ({opcode}) on a value or with a name that cannot be checked");
            return PUnknown.Instance;
        }

        /// <summary>The global a value is (an import) or was made from (an instance of an imported class).</summary>
        private static PGlobal? ClassOf(PValue value) => value switch
        {
            PGlobal g => g,
            PCall { Callee: PGlobal { FullName: "copyreg._reconstructor" or "copyreg.__newobj__" or "copyreg.__newobj_ex__" }, Arguments: PSeq { Items: [PGlobal cls, ..] } } => cls,
            PCall { Callee: PGlobal cls } => cls,
            _ => null,
        };

        /// <summary>
        /// A persistent id. torch.load resolves <c>('module', Class, source_file, source)</c> (how legacy torch.save writes
        /// a whole model's classes) to the class itself, which was judged when imported; other ids stay opaque.
        /// </summary>
        private static PValue Persistent(PValue id) =>
            id is PSeq { Kind: "tuple", Items: [PStr { Text: "module" }, PGlobal cls, ..] } ? cls : new PPersistent(id);

        private void Build(PValue target, PValue state)
        {
            switch (target)
            {
                case PGlobal g:
                    Report(RuleCatalog.DangerousModelCode, "rewrite code the program uses", $"it changes the attributes of the imported {g.FullName} (BUILD)");
                    return;
                case PCall call:
                    call.State = state;
                    if (call.Callee is PGlobal { FullName: "joblib.numpy_pickle.NumpyArrayWrapper" })
                    {
                        FollowJoblibArray(call);
                    }

                    return;
            }
        }

        /// <summary>Steps over (or, for an object array, scans) the array data joblib wrote after the wrapper.</summary>
        private void FollowJoblibArray(PCall wrapper)
        {
            var (layout, problem) = JoblibArrays.Describe(wrapper);
            if (layout is null)
            {
                throw new PickleFormatException($"the joblib array data that follows cannot be stepped over ({problem})", reader.Position);
            }

            if (layout.ObjectArray)
            {
                var nested = new Machine(reader, view + " (joblib object array)", context, policy, reported, 0);
                if (!nested.Run())
                {
                    throw new PickleFormatException("the nested pickle of a joblib object array cannot be followed", reader.Position);
                }

                return;
            }

            if (layout.Aligned)
            {
                reader.Skip(reader.ReadByte()); // padding length, then padding (only numeric arrays are aligned)
            }

            reader.Skip(layout.Bytes);
        }

        private void Mutate(PValue target, string opcode, List<PValue> items)
        {
            switch (target)
            {
                case PGlobal g:
                    Report(RuleCatalog.DangerousModelCode, "rewrite code the program uses", $"it changes the imported {g.FullName} ({opcode})");
                    break;
                case PSeq seq:
                    foreach (var item in items)
                    {
                        seq.Add(item);
                    }

                    break;
                case PDict dict:
                    for (var i = 0; i + 1 < items.Count; i += 2)
                    {
                        dict.Set(items[i], items[i + 1]);
                    }

                    break;
            }
        }

        private void Extension(int code)
        {
            _sawImportOrProto = true;
            Report(RuleCatalog.DangerousModelCode, "import whatever the loading program registered",
                $"it imports through the extension registry (code {code}), whose target cannot be known");
            Push(PUnknown.Instance);
        }

        private void MemoPut(long index)
        {
            if (_stack.Count == 0)
            {
                throw new PickleFormatException("a memo store with nothing on the stack", reader.Position);
            }

            _memo[index] = _stack[^1];
        }

        private void MemoGet(long index)
        {
            if (!_memo.TryGetValue(index, out var value))
            {
                throw new PickleFormatException($"a memo read of index {index}, which was never stored", reader.Position);
            }

            Push(value);
        }

        private void Report(Rule rule, string effect, string detail)
        {
            if (reported.Add(rule.Code + "|" + detail))
            {
                context.Report(rule, Where, effect, detail);
            }
        }

        private void Push(PValue value)
        {
            if (value is PGetattr)
            {
                _getattrCopies++; // every copy on the stack must be consumed by a call that can be checked
            }

            _stack.Add(value);
        }

        private PValue Top() => _stack.Count > 0 ? _stack[^1] : throw new PickleFormatException("an opcode needs a value but the stack is empty", reader.Position);

        private PValue Pop()
        {
            var value = Top();
            _stack.RemoveAt(_stack.Count - 1);
            return value;
        }

        private List<PValue> PopN(int n)
        {
            if (_stack.Count < n)
            {
                throw new PickleFormatException($"an opcode needs {n} values but the stack holds {_stack.Count}", reader.Position);
            }

            var items = _stack.GetRange(_stack.Count - n, n);
            _stack.RemoveRange(_stack.Count - n, n);
            return items;
        }

        private List<PValue> PopMark()
        {
            if (_metastack.Count == 0)
            {
                throw new PickleFormatException("an opcode needs a MARK but there is none", reader.Position);
            }

            var items = _stack;
            _stack = _metastack[^1];
            _metastack.RemoveAt(_metastack.Count - 1);
            return items;
        }

        private void PushText(long length, bool latin1)
        {
            var bytes = reader.ReadOrSkip(length, KeepText);
            Push(bytes is null ? new PBytes(length) : new PStr(latin1 ? Encoding.Latin1.GetString(bytes) : Encoding.UTF8.GetString(bytes)));
        }

        private void PushBytes(long length)
        {
            reader.Skip(length);
            Push(new PBytes(length));
        }

        private static PSeq Sequence(string kind, List<PValue> items)
        {
            var seq = new PSeq(kind);
            foreach (var item in items)
            {
                seq.Add(item);
            }

            return seq;
        }

        private static PInt LongFromBytes(byte[]? bytes)
        {
            if (bytes is null || bytes.Length > 8)
            {
                return new PInt(null);
            }

            long value = 0;
            for (var i = bytes.Length - 1; i >= 0; i--)
            {
                value = (value << 8) | bytes[i];
            }

            if (bytes.Length is > 0 and < 8 && (bytes[^1] & 0x80) != 0)
            {
                value -= 1L << (8 * bytes.Length);
            }

            return new PInt(value);
        }

        private long ParseIndex(string text) =>
            long.TryParse(text, out var v) ? v : throw new PickleFormatException($"'{FormatText.Printable(text)}' is not a memo index", reader.Position);
    }
}
