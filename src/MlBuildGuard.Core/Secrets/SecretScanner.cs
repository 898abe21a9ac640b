using System.Text;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.Secrets.Engine;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// Scans bytes that arrive in chunks for secrets, so a file is checked in the same pass that hashes it. Per chunk, a
/// vectorised keyword search (<see cref="KeywordSearch"/>) finds where any rule's keyword occurs; only windows around
/// those hits are decoded and given to the rules' regexes. Secrets that straddle chunk boundaries are found: the last
/// bytes of the stream are kept (bounded by the rules' reach), keywords split by a boundary are searched across it, and
/// a window that needs bytes not yet seen waits for them. Memory stays bounded whatever the input (huge lines, binary
/// data): the kept tail, one window, and at most <see cref="MaxMatches"/> matches.
/// </summary>
/// <remarks>
/// Positions are byte positions: a match's line counts '\n' bytes before it (plus one) and its column counts bytes from
/// the start of its line (1-based). Bytes are decoded one to one (Latin-1), so invalid UTF-8 cannot fail a scan, and
/// rules see ASCII exactly as written.
/// </remarks>
public sealed class SecretScanner
{
    /// <summary>Matches kept per scan; further ones are only counted (<see cref="Omitted"/>).</summary>
    public const int MaxMatches = 1000;

    /// <summary>How many token characters next to a match make it part of a longer token.</summary>
    private const int TokenRun = 4;

    /// <summary>Synthetic hits for rules without keywords are placed this far apart.</summary>
    private const int UnanchoredStep = 512;

    private readonly SecretRuleSet _set;
    private readonly bool[] _active;
    private readonly string? _path;
    private readonly string? _view;
    private readonly int _maxWindow;
    private readonly int _reachBack; // how far before the end of the stream a window of the next chunk can start
    private readonly int _maxTail; // the most the tail can need to hold
    private byte[] _tail; // grown to _maxTail only when a waiting window needs more than a rule's reach
    private byte[]? _scratch; // a window's bytes; allocated by the first window (most files have none)
    private readonly List<KeywordHit> _hits = new();
    private readonly List<KeywordHit> _across = new();
    private readonly byte[] _stitch;
    // Per rule, made by the first window (most files have none, and a scanner is made per file: the hashing pass of
    // 10,000 small files should not pay for arrays it never uses).
    private List<(long Start, long End)>?[]? _pending;
    private long[]? _lastMatchEnd;
    private bool[]? _capturesSlow;
    private readonly List<Located> _found = new();
    private readonly List<Located> _unplaced = new();
    private int _tailLength;
    private long _tailStart;
    private long _end;
    private long _lineFeeds; // '\n' bytes in [0, _end), counted by the keyword search as it reads each chunk
    private long _lastNewlineBeforeTail = -1;
    private long _nextUnanchored;
    private bool _completed;
    private SecretMatch[]? _matches;

    public SecretScanner(SecretRuleSet rules, string? path = null, string? view = null)
    {
        _set = rules ?? throw new ArgumentNullException(nameof(rules));
        _path = path;
        _view = view;
        _active = rules.ActiveFor(path);
        _maxWindow = Math.Max(16 * 1024, rules.MaxReach + 2);
        _maxTail = _maxWindow + rules.Search.MaxLength;
        _reachBack = rules.MaxBefore + TokenRun + rules.Search.MaxLength;
        _tail = new byte[Math.Min(_maxTail, _reachBack)]; // what the tail holds while no window waits (Slide)
        _stitch = new byte[2 * Math.Max(0, rules.Search.MaxLength - 1)];
    }

    /// <summary>Whether a secret has been found in the bytes so far (more may be found once later bytes arrive).</summary>
    public bool HasMatches => _found.Count > 0;

    /// <summary>Matches found beyond <see cref="MaxMatches"/>, not kept.</summary>
    public int Omitted { get; private set; }

    /// <summary>Bytes given so far.</summary>
    public long Length => _end;

    /// <summary>Scans <paramref name="data"/> in one piece.</summary>
    public static IReadOnlyList<SecretMatch> Scan(SecretRuleSet rules, ReadOnlySpan<byte> data, string? path = null, string? view = null)
    {
        var scanner = new SecretScanner(rules, path, view);
        scanner.Append(data);
        return scanner.Complete();
    }

    /// <summary>
    /// Scans a string that a reader took out of a file (a model's metadata value, a pickle string constant, a config), as
    /// UTF-8; lines and columns are within that text. <paramref name="view"/> names where it came from, e.g.
    /// <c>model.onnx!metadata_props[author]</c>.
    /// </summary>
    public static IReadOnlyList<SecretMatch> ScanText(SecretRuleSet rules, string text, string view, string? path = null) =>
        Scan(rules, Encoding.UTF8.GetBytes(text ?? string.Empty), path, view);

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the scan is complete");
        }

        if (chunk.IsEmpty)
        {
            return;
        }

        var chunkStart = _end;
        _end += chunk.Length;
        var lineFeedsBefore = _lineFeeds;
        FindHits(chunk);
        foreach (var hit in _hits)
        {
            var rules = _set.RulesOfKeyword[hit.Keyword];
            var leads = _set.LeadsMatch[hit.Keyword];
            for (var j = 0; j < rules.Length; j++)
            {
                var r = rules[j];
                if (_active[r])
                {
                    // A match cannot start at a leading keyword in the middle of a token (a keyword by chance in a base64
                    // blob: the match would be rejected) or without the bytes the pattern needs after it: such a hit only
                    // widens a window that is already waiting, as it always did.
                    AddWindow(r, chunkStart + hit.Position, mergeOnly: leads[j] && hit.Position >= 0 && !MayStart(_set.Rules[r], chunk, hit.Position));
                }
            }
        }

        // Rules without keywords (user rules) run on windows every UnanchoredStep bytes; most sets have none.
        for (; _set.Unanchored.Length > 0 && _nextUnanchored < _end; _nextUnanchored += UnanchoredStep)
        {
            foreach (var r in _set.Unanchored)
            {
                if (_active[r])
                {
                    AddWindow(r, _nextUnanchored);
                }
            }
        }

        ProcessWindows(chunk, chunkStart, final: false);
        PlaceFound(chunk, chunkStart);
        Slide(chunk, chunkStart, chunkHasLineFeed: _lineFeeds != lineFeedsBefore);
    }

    /// <summary>Ends the scan: windows still waiting are scanned with what there is, and every match is returned in file order.</summary>
    public IReadOnlyList<SecretMatch> Complete()
    {
        if (!_completed)
        {
            ProcessWindows([], _end, final: true);
            PlaceFound([], _end);
            _completed = true;
            foreach (var r in _set.PathOnly)
            {
                if (_path is not null && _active[r])
                {
                    Record(r, 0, SecretMath.Fingerprint(_set.Rules[r].Id, _path), line: 0, column: 0);
                }
            }
        }

        // Built once: the hashing pass asks again (for its private-key verdict), and most files have no match at all.
        return _matches ??= _found.Count == 0 ? [] : _found.OrderBy(f => f.Offset).ThenBy(f => f.Rule)
            .Select(f => new SecretMatch(_set.Rules[f.Rule].Id, _set.Rules[f.Rule].Kind, _set.Rules[f.Rule].Description, f.Line, f.Column, f.Offset, f.Fingerprint, _view))
            .ToArray();
    }

    private void FindHits(ReadOnlySpan<byte> chunk)
    {
        _hits.Clear();
        var search = _set.Search;

        // Keywords that start in the kept tail and end in this chunk: searched in a few stitched bytes (buffers kept
        // from chunk to chunk, so a slice of the hashing pass allocates nothing).
        var fromTail = search.Keywords.Count == 0 ? 0 : Math.Min(_tailLength, search.MaxLength - 1);
        if (fromTail > 0)
        {
            var fromChunk = Math.Min(chunk.Length, search.MaxLength - 1);
            var stitch = _stitch.AsSpan(0, fromTail + fromChunk);
            _tail.AsSpan(_tailLength - fromTail, fromTail).CopyTo(stitch);
            chunk[..fromChunk].CopyTo(stitch[fromTail..]);
            _across.Clear();
            search.FindAll(stitch, 0, _across);
            foreach (var hit in _across)
            {
                if (hit.Position < fromTail && hit.Position + search.Keywords[hit.Keyword].Text.Length > fromTail)
                {
                    _hits.Add(new KeywordHit(hit.Position - fromTail, hit.Keyword)); // before the chunk: negative
                }
            }
        }

        _lineFeeds += search.FindAllCountingLineFeeds(chunk, _hits);
    }

    /// <summary>Whether a match of <paramref name="rule"/> may start at its leading keyword at <paramref name="position"/> of the chunk.</summary>
    private static bool MayStart(SecretRule rule, ReadOnlySpan<byte> chunk, int position)
    {
        if (rule.TokenCharacters is { } token && position >= TokenRun)
        {
            var before = chunk.Slice(position - TokenRun, TokenRun);
            var inToken = true;
            foreach (var b in before)
            {
                inToken &= token.Contains((char)b);
            }

            if (inToken)
            {
                return false;
            }
        }

        return rule.MayStartAt?.Invoke(chunk[position..]) ?? true;
    }

    /// <summary>
    /// Asks for rule <paramref name="r"/> to run around a keyword at <paramref name="position"/>; overlapping requests
    /// merge. With <paramref name="mergeOnly"/>, the request only widens a waiting window it overlaps, and is dropped otherwise.
    /// </summary>
    private void AddWindow(int r, long position, bool mergeOnly = false)
    {
        var rule = _set.Rules[r];
        // A few more bytes on each side show whether the match is part of a longer token (SecretRule.TokenCharacters).
        var start = Math.Max(0, position - rule.Before - TokenRun);
        var end = position + rule.After + TokenRun;
        var windows = (_pending ??= new List<(long, long)>?[_set.Rules.Count])[r] ??= [];
        if (windows.Count > 0)
        {
            var last = windows[^1];
            if (start <= last.End && Math.Max(end, last.End) - last.Start <= _maxWindow)
            {
                windows[^1] = (last.Start, Math.Max(end, last.End));
                return;
            }
        }

        if (!mergeOnly)
        {
            windows.Add((start, end));
        }
    }

    private void ProcessWindows(ReadOnlySpan<byte> chunk, long chunkStart, bool final)
    {
        if (_pending is null)
        {
            return;
        }

        for (var r = 0; r < _pending.Length; r++)
        {
            if (_pending[r] is not { Count: > 0 } windows)
            {
                continue;
            }

            var done = 0;
            while (done < windows.Count && (final || windows[done].End <= _end))
            {
                var (start, end) = windows[done];
                ScanWindow(r, Math.Max(start, _tailStart), Math.Min(end, _end), chunk, chunkStart);
                done++;
            }

            windows.RemoveRange(0, done);
        }
    }

    /// <summary>Copies bytes [start, end) of the stream (all within the kept tail and the current chunk) to the scratch buffer.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_scratch))]
    private int Gather(long start, long end, ReadOnlySpan<byte> chunk, long chunkStart)
    {
        _scratch ??= new byte[_maxWindow + 2];
        var length = checked((int)(end - start));
        var at = 0;
        if (start < chunkStart)
        {
            var fromTail = (int)(Math.Min(end, chunkStart) - start);
            _tail.AsSpan((int)(start - _tailStart), fromTail).CopyTo(_scratch);
            at = fromTail;
        }

        if (end > chunkStart)
        {
            var from = (int)Math.Max(0, start - chunkStart);
            chunk.Slice(from, (int)(end - chunkStart) - from).CopyTo(_scratch.AsSpan(at));
        }

        return length;
    }

    private void ScanWindow(int r, long start, long end, ReadOnlySpan<byte> chunk, long chunkStart)
    {
        if (end <= start)
        {
            return;
        }

        var rule = _set.Rules[r];
        var length = Gather(start, end, chunk, chunkStart);
        _lastMatchEnd ??= new long[_set.Rules.Count];
        var text = Encoding.Latin1.GetString(_scratch, 0, length);
        foreach (var found in rule.Pattern!.EnumerateMatches(text))
        {
            var matchStart = start + found.Index;
            if (matchStart < _lastMatchEnd[r])
            {
                continue; // found already, from an overlapping window
            }

            var m = Captures(r, rule, text, found.Index, found.Length);
            var secretGroup = SecretGroupOf(rule, m);
            if (secretGroup is null || !Accept(rule, text, m, secretGroup))
            {
                continue;
            }

            _lastMatchEnd[r] = matchStart + m.Length;
            var value = rule.Normalize?.Invoke(secretGroup.Value) is { Length: > 0 } normal ? normal : secretGroup.Value;
            _unplaced.Add(new Located(r, start + (rule.ReportAtMatch ? m.Index : secretGroup.Index), SecretMath.Fingerprint(rule.Id, value), 0, 0));
        }
    }

    /// <summary>
    /// The match at [<paramref name="index"/>, + <paramref name="length"/>) of the window with its groups. The
    /// non-backtracking pattern found where it is (linear time, whatever the window holds); its groups are read by
    /// <see cref="SecretRule.CapturePattern"/> on those characters alone. If that does not give the same match (an anchor
    /// or word boundary at the edge of the match) or runs out of time, the pattern reads them itself, and does so for the
    /// rest of this scan after a time-out, so hostile data cannot cost one time limit per window.
    /// </summary>
    private Match Captures(int r, SecretRule rule, string text, int index, int length)
    {
        _capturesSlow ??= new bool[_set.Rules.Count];
        if (!_capturesSlow[r])
        {
            try
            {
                var m = rule.CapturePattern.Match(text, index, length);
                if (m.Success && m.Index == index && m.Length == length)
                {
                    return m;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                _capturesSlow[r] = true;
            }
        }

        return rule.Pattern!.Match(text, index);
    }

    /// <summary>The group that holds the secret (gitleaks: the given group, else the first non-empty one, else the match).</summary>
    private static Group? SecretGroupOf(SecretRule rule, Match m)
    {
        if (rule.SecretGroup > 0)
        {
            return rule.SecretGroup < m.Groups.Count && m.Groups[rule.SecretGroup].Success ? m.Groups[rule.SecretGroup] : null;
        }

        for (var g = 1; g < m.Groups.Count; g++)
        {
            if (m.Groups[g].Success && m.Groups[g].Length > 0)
            {
                return m.Groups[g];
            }
        }

        return m;
    }

    private bool Accept(SecretRule rule, string text, Match m, Group secret)
    {
        if (rule.TokenCharacters is { } token
            && (RunsOn(token, text, m.Index - TokenRun, m.Index) || RunsOn(token, text, m.Index + m.Length, m.Index + m.Length + TokenRun)))
        {
            // The middle of a longer token (a digest, a base64 blob). A run of several characters, not one: in binary
            // formats a string is often preceded by a length byte and followed by an opcode or field tag and an index or
            // length that happen to be letters or digits (pickle "q7X", protobuf "rJ").
            return false;
        }

        var value = secret.Value;
        if (rule.Entropy > 0 && SecretMath.ShannonEntropy(value) <= rule.Entropy)
        {
            return false;
        }

        if (rule.Validate is not null && !rule.Validate(value))
        {
            return false;
        }

        if (rule.Context is not null)
        {
            var from = Math.Max(0, m.Index - rule.ContextReach);
            var to = Math.Min(text.Length, m.Index + m.Length + rule.ContextReach);
            if (!rule.Context.IsMatch(text.AsSpan(from, to - from)))
            {
                return false;
            }
        }

        var allowlists = rule.Allowlists.Concat(_set.GlobalAllowlists.Where(a => a.Targets(rule.Id)));
        foreach (var allowlist in allowlists)
        {
            if (allowlist.Allows(_path, value, m.Value, LineAround(text, m.Index, m.Length)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether text[from..to) lies inside the text and is made only of token characters.</summary>
    private static bool RunsOn(System.Buffers.SearchValues<char> token, string text, int from, int to) =>
        from >= 0 && to <= text.Length && !text.AsSpan(from, to - from).ContainsAnyExcept(token);

    private static string LineAround(string text, int index, int length)
    {
        var from = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var to = text.IndexOf('\n', index + length);
        return text[from..(to < 0 ? text.Length : to)];
    }

    /// <summary>Gives the matches found in this chunk their line and column, counting '\n' from the start of the kept tail.</summary>
    private void PlaceFound(ReadOnlySpan<byte> chunk, long chunkStart)
    {
        if (_unplaced.Count == 0)
        {
            return;
        }

        _unplaced.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var cursor = _tailStart;
        var lastNewline = _lastNewlineBeforeTail;

        // Lines are only counted where a match needs them: those before the kept tail are all the stream's line feeds
        // less the tail's and the chunk's.
        var lines = _lineFeeds;
        var ignored = -1L;
        CountNewlines(_tailStart, _end, chunk, chunkStart, ref lines, ref ignored, subtract: true);
        foreach (var found in _unplaced)
        {
            var target = Math.Max(found.Offset, _tailStart);
            CountNewlines(cursor, target, chunk, chunkStart, ref lines, ref lastNewline);
            cursor = target;
            Record(found.Rule, found.Offset, found.Fingerprint, checked((int)Math.Min(int.MaxValue, lines + 1)),
                checked((int)Math.Min(int.MaxValue, found.Offset - lastNewline)));
        }

        _unplaced.Clear();
    }

    private void CountNewlines(long from, long to, ReadOnlySpan<byte> chunk, long chunkStart, ref long lines, ref long lastNewline, bool subtract = false)
    {
        if (to <= from)
        {
            return;
        }

        if (from < chunkStart)
        {
            var part = _tail.AsSpan((int)(from - _tailStart), (int)(Math.Min(to, chunkStart) - from));
            Count(part, from, ref lines, ref lastNewline, subtract);
        }

        if (to > chunkStart)
        {
            var begin = (int)Math.Max(0, from - chunkStart);
            Count(chunk[begin..(int)(to - chunkStart)], chunkStart + begin, ref lines, ref lastNewline, subtract);
        }

        static void Count(ReadOnlySpan<byte> part, long offset, ref long lines, ref long lastNewline, bool subtract)
        {
            var n = part.Count((byte)'\n');
            if (n > 0)
            {
                lines += subtract ? -n : n;
                lastNewline = offset + part.LastIndexOf((byte)'\n');
            }
        }
    }

    /// <summary>
    /// The last '\n' in bytes [from, to) of the kept tail and the current chunk, or -1. A chunk known to hold none (binary
    /// data) is not searched.
    /// </summary>
    private long LastNewline(long from, long to, ReadOnlySpan<byte> chunk, long chunkStart, bool chunkHasLineFeed)
    {
        if (to > chunkStart && chunkHasLineFeed)
        {
            var begin = (int)Math.Max(0, from - chunkStart);
            var at = chunk[begin..(int)(to - chunkStart)].LastIndexOf((byte)'\n');
            if (at >= 0)
            {
                return chunkStart + begin + at;
            }
        }

        if (from < chunkStart)
        {
            var at = _tail.AsSpan((int)(from - _tailStart), (int)(Math.Min(to, chunkStart) - from)).LastIndexOf((byte)'\n');
            if (at >= 0)
            {
                return from + at;
            }
        }

        return -1;
    }

    private void Record(int rule, long offset, string fingerprint, int line, int column)
    {
        if (_found.Count >= MaxMatches)
        {
            Omitted++;
            return;
        }

        _found.Add(new Located(rule, offset, fingerprint, line, column));
    }

    /// <summary>
    /// Keeps the last bytes of the stream as the new tail, and remembers the last line feed of what is let go (searched
    /// backwards from the new tail, so in text it is a few bytes away; line feeds are counted by the keyword search).
    /// The tail holds only what a later window can need: the bytes from the start of the earliest window still waiting
    /// for more, and at least the longest reach of a rule before a keyword that starts in the kept bytes or the next
    /// chunk. Copying the whole tail buffer (16 KiB or more) for every 128 KiB slice of the hashing pass was a
    /// measurable part of the scanner's cost.
    /// </summary>
    private void Slide(ReadOnlySpan<byte> chunk, long chunkStart, bool chunkHasLineFeed)
    {
        var earliest = _end - _reachBack;
        foreach (var windows in _pending ?? [])
        {
            foreach (var (start, _) in windows ?? [])
            {
                earliest = Math.Min(earliest, start);
            }
        }

        var keep = (int)Math.Min(_maxTail, _end - Math.Max(_tailStart, earliest));
        if (keep > _tail.Length)
        {
            var grown = new byte[_maxTail];
            _tail.AsSpan(0, _tailLength).CopyTo(grown);
            _tail = grown;
        }

        var newStart = _end - keep;
        if (newStart > _tailStart && LastNewline(_tailStart, newStart, chunk, chunkStart, chunkHasLineFeed) is var lastNewline and >= 0)
        {
            _lastNewlineBeforeTail = lastNewline;
        }

        if (chunk.Length >= keep)
        {
            chunk[^keep..].CopyTo(_tail);
        }
        else
        {
            var fromOldTail = keep - chunk.Length;
            _tail.AsSpan(_tailLength - fromOldTail, fromOldTail).CopyTo(_tail);
            chunk.CopyTo(_tail.AsSpan(fromOldTail));
        }

        _tailLength = keep;
        _tailStart = newStart;
    }

    private readonly record struct Located(int Rule, long Offset, string Fingerprint, int Line, int Column);
}
