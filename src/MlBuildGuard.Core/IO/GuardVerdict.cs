using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using MlBuildGuard.Core.Dependencies;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// A guard's whole answer for one set of inputs, kept under <c>obj/</c> so that a rebuild in which nothing it rests on
/// moved replays the answer instead of working it out again: one look per file (the build's <see cref="BuildFileLedger"/>)
/// and one comparison. The answer rests on the guard's settings (every parameter and item as the build gave them, and
/// MlBuildGuard's build) and on the stamps (size, times, identity) of every file it read. It is recorded only when
/// every such file is a regular file (a folder's stamp does not cover what is in it) and none changed in the last
/// <see cref="RacyWindow"/> (a file can change again within the same timestamp). Like every cache under <c>obj/</c> it
/// is neither read nor written in CI or <c>Locked</c> builds: the caller passes no path then.
/// </summary>
public sealed class GuardVerdict
{
    internal static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);
    private const string Magic = "MLGVERDICT1";
    private const long MaxAnswerBytes = 64L * 1024 * 1024;
    private static readonly string ToolBuild = typeof(GuardVerdict).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private readonly string _path;
    private readonly DigestInput _settings = new();
    private readonly DigestInput _stamps = new();
    private long _newestTicks;
    private bool _unstampable;

    private GuardVerdict(string path, string guard)
    {
        _path = path;
        Add(Magic);
        Add(ToolBuild);
        Add(guard);
    }

    /// <summary>A verdict kept at <paramref name="path"/>; null when there is none to keep (no cache: CI, <c>Locked</c>, tools).</summary>
    public static GuardVerdict? At(string? path, string guard) => string.IsNullOrWhiteSpace(path) ? null : new GuardVerdict(path, guard);

    /// <summary>The path of a guard's verdict beside its stamp cache; null without a cache.</summary>
    public static string? BesideCache(string? cacheFile) => string.IsNullOrWhiteSpace(cacheFile) ? null : cacheFile + ".answer";

    /// <summary>One setting the answer depends on (a parameter, an item with its metadata); order matters.</summary>
    public GuardVerdict Add(string? setting)
    {
        _settings.Add(setting);
        return this;
    }

    /// <summary>The answer rests on these files' contents (full paths, looked at once per build through <paramref name="files"/>).</summary>
    public GuardVerdict Rests(BuildFileLedger files, IReadOnlyList<string> fullPaths) => Rests(fullPaths, files.LookAll(fullPaths));

    /// <summary>The answer rests on these files' contents, as <paramref name="looks"/> found them (<see cref="BuildFileLedger.LookAll"/>).</summary>
    public GuardVerdict Rests(IReadOnlyList<string> fullPaths, FileLook[] looks)
    {
        for (var i = 0; i < looks.Length; i++)
        {
            Rests(fullPaths[i], looks[i]);
        }

        return this;
    }

    /// <summary>
    /// The answer rests on the files of these looks, whose paths the settings already name, in this order (each item's path,
    /// with the folder it is relative to): only their stamps are added, which keeps the digest's input small.
    /// </summary>
    public GuardVerdict RestsInOrder(FileLook[] looks)
    {
        foreach (var look in looks)
        {
            Rests(null, look);
        }

        return this;
    }

    /// <summary>
    /// The answer rests on this path: its content when it is a regular file; that it is missing, when it is (a file that
    /// may appear later, such as a baseline). Anything else (a folder, a device) keeps the answer from being recorded.
    /// </summary>
    public GuardVerdict Rests(BuildFileLedger files, string fullPath) => Rests(fullPath, files.Look(fullPath));

    private GuardVerdict Rests(string? fullPath, FileLook look)
    {
        Span<byte> entry = stackalloc byte[48];
        entry.Clear();
        entry[0] = (byte)look.Kind;
        entry[1] = look.IsLink ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(entry[8..], look.Stamp.Size);
        BinaryPrimitives.WriteInt64LittleEndian(entry[16..], look.Stamp.ModifiedTicks);
        BinaryPrimitives.WriteInt64LittleEndian(entry[24..], look.Stamp.ChangedTicks);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[32..], look.Stamp.Device);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[40..], look.Stamp.FileId);
        if (fullPath is not null)
        {
            _stamps.Add(fullPath);
        }

        _stamps.Add(entry);
        switch (look.Kind)
        {
            case FileKind.Regular when look.Stamp.ChangedTicks != 0:
                _newestTicks = Math.Max(_newestTicks, look.Stamp.LatestTicks);
                break;
            case FileKind.Missing:
                break;
            default:
                _unstampable = true; // a folder, a device, a file without a change time, or a platform that cannot tell
                break;
        }

        return this;
    }

    /// <summary>The recorded answer when nothing it rests on changed; null otherwise (or when it is missing or damaged).</summary>
    public Replay? TryReplay()
    {
        if (_unstampable)
        {
            return null;
        }

        string[] lines;
        try
        {
            if (new FileInfo(_path) is not { Exists: true, Length: <= MaxAnswerBytes })
            {
                return null; // none, or far larger than any answer this build writes: not read into memory
            }

            lines = File.ReadAllLines(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length != 5 || lines[0] != Magic || lines[1] != SettingsDigest() || lines[2] != StampsDigest()
            || RecordedFindings.FromJson(lines[4]) is not { } findings)
        {
            return null;
        }

        return new Replay(findings, lines[3]);
    }

    /// <summary>
    /// Keeps the answer (its findings, before suppressions, and <paramref name="payload"/>: one line of the guard's own)
    /// for the next build, unless something it rests on cannot be stamped or changed too recently; a failure to write only
    /// costs the next build the work.
    /// </summary>
    public void Record(IReadOnlyList<Finding> findings, string payload, TimeProvider? clock = null)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow().UtcTicks;
        if (_unstampable || now - _newestTicks < RacyWindow.Ticks || payload.AsSpan().IndexOfAny('\r', '\n') >= 0
            || RecordedFindings.ToJson(findings) is not { } json)
        {
            Forget();
            return;
        }

        try
        {
            AtomicFile.WriteIfChanged(_path, Encoding.UTF8.GetBytes($"{Magic}\n{SettingsDigest()}\n{StampsDigest()}\n{payload}\n{json}\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Forget();
        }
    }

    /// <summary>Removes a recorded answer that no longer holds, so that it is never replayed by mistake later.</summary>
    public void Forget()
    {
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // It cannot match: its digests are those of other inputs.
        }
    }

    private string SettingsDigest() => _settings.Digest();

    private string StampsDigest() => _stamps.Digest();

    /// <summary>
    /// What a digest is taken of, gathered in one buffer and hashed once: thousands of small appends to a hash cost more.
    /// SHA-256 (the platform's, native): a managed hash would run unoptimised code over a megabyte in a short-lived build.
    /// </summary>
    private sealed class DigestInput
    {
        private byte[] _buffer = new byte[16 * 1024];
        private int _length;
        private string? _digest;

        public void Add(string? text)
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, text?.Length ?? -1);
            Add(length);
            Add(MemoryMarshal.AsBytes((text ?? "").AsSpan()));
        }

        public void Add(ReadOnlySpan<byte> bytes)
        {
            if (_length + bytes.Length > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes.Length));
            }

            bytes.CopyTo(_buffer.AsSpan(_length));
            _length += bytes.Length;
            _digest = null;
        }

        public string Digest() => _digest ??= Convert.ToHexStringLower(SHA256.HashData(_buffer.AsSpan(0, _length)));
    }

    /// <summary>A recorded answer: the findings as the guard found them, and its own line.</summary>
    public sealed record Replay(List<Finding> Findings, string Payload);
}
