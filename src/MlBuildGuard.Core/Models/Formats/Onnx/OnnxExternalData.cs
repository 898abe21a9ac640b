using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats.Protobuf;

namespace MlBuildGuard.Core.Models.Formats.Onnx;

/// <summary>
/// Checks the external-data entries of EXTERNAL tensors (ONNX's <c>location</c>, <c>offset</c>, <c>length</c>,
/// <c>checksum</c>, <c>basepath</c>); each distinct location is resolved once. The location must name a plain, singly
/// linked file inside the model's folder, reached through no link at all (as ONNX's own loader requires since 1.21), so
/// CVE-2022-25882, CVE-2024-27318 and the 2026 symlink and hard-link bypasses are refused (MLG304); offsets and lengths
/// must fit the file (MLG305).
/// </summary>
internal sealed class OnnxExternalData(string modelFolder, string view, ModelScanContext context)
{
    private static readonly HashSet<string> AllowedKeys = new(StringComparer.Ordinal) { "location", "offset", "length", "checksum", "basepath" };

    private readonly Dictionary<string, (string? Reason, long Size)> _locations = new(StringComparer.Ordinal);
    private readonly IO.PathSafety _folder = new(modelFolder);
    private int _findings;

    public void Check(string tensor, List<(ProtoString Key, ProtoString Value)> entries)
    {
        ProtoString? location = null, offset = null, length = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var (key, value) in entries)
        {
            var k = key.Text ?? string.Empty;
            if (!key.ValidUtf8 || key.Truncated || !AllowedKeys.Contains(k))
            {
                unknown.Add(FormatText.Printable(k));
                continue;
            }

            if (!seen.Add(k))
            {
                // The Python loader keeps the last value, other readers the first: the tensor is ambiguous.
                Header($"tensor '{tensor}' repeats the external-data key '{k}'");
                continue;
            }

            switch (k)
            {
                case "location":
                    location = value;
                    break;
                case "offset":
                    offset = value;
                    break;
                case "length":
                    length = value;
                    break;
            }
        }

        var shownLocation = location is { } l ? FormatText.Printable(l.Text ?? string.Empty) : string.Empty;
        foreach (var key in unknown)
        {
            Escape(tensor, shownLocation, $"has an unknown external-data key '{key}'");
        }

        var offsetValue = Integer(tensor, "offset", offset);
        var lengthValue = Integer(tensor, "length", length);
        if (location is not { } loc)
        {
            Header($"tensor '{tensor}' keeps its data in an external file but names no location");
            return;
        }

        var text = loc.Text ?? string.Empty;
        if (!_locations.TryGetValue(text, out var result))
        {
            long size = 0;
            var reason = !loc.ValidUtf8 ? "is not valid UTF-8"
                : loc.Truncated ? $"is longer than {OnnxFormat.MaxLocationLength} characters"
                : CheckLocation(text, out size);
            result = (reason, reason is null ? size : 0);
            _locations[text] = result;
            if (reason is not null)
            {
                Escape(tensor, shownLocation, reason); // once per location, naming the first tensor that uses it
            }
        }

        if (result.Reason is not null || (offset is not null && offsetValue is null) || (length is not null && lengthValue is null))
        {
            return;
        }

        var start = offsetValue ?? 0;
        if (lengthValue is { } len)
        {
            if (start > (ulong)result.Size || len > (ulong)result.Size - start)
            {
                Header($"tensor '{tensor}' reads bytes {start} to {start + (decimal)len} of '{shownLocation}', which has only {result.Size} bytes");
            }
        }
        else if (start > (ulong)result.Size)
        {
            Header($"tensor '{tensor}' starts at byte {start} of '{shownLocation}', which has only {result.Size} bytes");
        }
    }

    private ulong? Integer(string tensor, string key, ProtoString? value)
    {
        if (value is not { } v)
        {
            return null;
        }

        // ONNX's loader runs int() on these: '+5', ' 5', '5_000' and '-1' all mean something there. Only plain digits pass.
        var bytes = Encoding.UTF8.GetBytes(v.Text ?? string.Empty);
        if (!v.ValidUtf8 || v.Truncated || !FormatText.TryParsePlainUInt64(bytes, out var n) || n > long.MaxValue)
        {
            Header($"tensor '{tensor}' has the external-data {key} '{FormatText.Printable(v.Text ?? string.Empty)}', which is not a non-negative integer");
            return null;
        }

        return n;
    }

    private void Escape(string tensor, string location, string reason)
    {
        if (_findings++ < OnnxFormat.MaxFindings)
        {
            context.Report(RuleCatalog.OnnxExternalDataEscapes, view, tensor, location, reason);
        }
    }

    private void Header(string reason)
    {
        if (_findings++ < OnnxFormat.MaxFindings)
        {
            context.Report(RuleCatalog.InvalidTensorHeader, view, OnnxFormat.FormatName, reason);
        }
    }

    /// <summary>The reason the location is unsafe (worded to follow "which"), or null with the file's size.</summary>
    private string? CheckLocation(string location, out long size)
    {
        size = 0;
        if (location.Length == 0)
        {
            return "is empty";
        }

        if (location.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL character";
        }

        if (location.Length > OnnxFormat.MaxLocationLength)
        {
            return $"is longer than {OnnxFormat.MaxLocationLength} characters";
        }

        // '/x', '\x', '\\server\share', '\\?\C:\x', 'C:\x' and the drive-relative 'C:x' are all absolute here, whatever
        // the OS: the model may be loaded on another one.
        if (location[0] is '/' or '\\'
            || (location.Length >= 2 && char.IsAsciiLetter(location[0]) && location[1] == ':')
            || Path.IsPathRooted(location))
        {
            return "is an absolute path";
        }

        var segments = location.Split('/', '\\');
        foreach (var segment in segments)
        {
            // '..' and, for Windows (which drops trailing dots and spaces), '...' or '.. ' as well.
            if (segment.Length >= 2 && segment.Count(c => c == '.') >= 2 && segment.All(c => c is '.' or ' '))
            {
                return "leaves the model folder through '..'";
            }
        }

        foreach (var segment in segments)
        {
            if (segment.Contains(':', StringComparison.Ordinal))
            {
                return $"has ':' in '{FormatText.Printable(segment)}' (a drive, device or alternate data stream)";
            }
        }

        // Walk the path one component at a time: any link on the way (even one that stays inside) is refused, as
        // ONNX's loader does; a missing component means the file does not exist.
        var current = modelFolder;
        var relative = string.Empty;
        var parts = segments.Where(s => s.Length > 0 && s != ".").ToArray();
        if (parts.Length == 0)
        {
            return "names the model folder itself, not a file";
        }

        for (var i = 0; i < parts.Length; i++)
        {
            current = Path.Join(current, parts[i]);
            relative = relative.Length == 0 ? parts[i] : relative + "/" + parts[i];
            FileSystemInfo info = new FileInfo(current);
            string? target;
            FileAttributes attributes;
            try
            {
                info.Refresh();
                attributes = info.Attributes;
                target = info.LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"cannot be examined ({e.Message})";
            }

            var exists = (int)attributes != -1;
            // LinkTarget covers symbolic links and, on Windows, junctions and mount points; other reparse points
            // (OneDrive placeholders, deduplicated files) are ordinary files, and the canonical check below still applies.
            if (target is not null)
            {
                var real = _folder.RealPath(current);
                var outside = real is null || !IO.PathSafety.IsUnder(real, _folder.RealRoot);
                return outside
                    ? $"is reached through a symbolic link ('{FormatText.Printable(relative)}') that leads outside the model folder"
                    : $"is reached through a symbolic link ('{FormatText.Printable(relative)}')";
            }

            if (!exists)
            {
                return "does not exist";
            }

            var isDirectory = attributes.HasFlag(FileAttributes.Directory);
            if (i < parts.Length - 1 && !isDirectory)
            {
                return $"does not exist ('{FormatText.Printable(relative)}' is a file, not a folder)";
            }

            if (i == parts.Length - 1 && isDirectory)
            {
                return "is a folder, not a file";
            }
        }

        // Canonical containment: with every link resolved, the file must still be inside the (resolved) model folder.
        var realFile = _folder.RealPath(current);
        if (realFile is null || !IO.PathSafety.IsUnder(realFile, _folder.RealRoot))
        {
            return $"resolves to '{FormatText.Printable(realFile ?? current)}', outside the model folder";
        }

        var stat = IO.FileLinks.Get(current);
        if (stat is { } s)
        {
            if (!s.Regular)
            {
                return "is not a regular file (a device, FIFO or socket)";
            }

            if (s.Links > 1)
            {
                return $"has {s.Links} hard links";
            }

            size = s.Size;
            return null;
        }

        try
        {
            size = new FileInfo(current).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be examined ({e.Message})";
        }

        return null;
    }
}
