using System.Globalization;
using System.Text;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models.Formats.Gbdt;

/// <summary>
/// LightGBM text models (<c>Booster.save_model("model.txt")</c>): a header of <c>key=value</c> lines after <c>tree</c>,
/// one block per tree (<c>Tree=N</c>), <c>end of trees</c>, then feature importances and parameters. LightGBM's C++
/// parser reads numbers from it and cannot run code. It is validated as that parser splits it: a header with
/// <c>version</c> and <c>num_class</c>, as many trees as <c>tree_sizes</c> lists, each with <c>num_leaves</c>, and the
/// <c>end of trees</c> line; a truncated or malformed model is MLG303. Lines are read with a bounded buffer.
/// </summary>
internal sealed class LightGbmTextFormat : IModelFormat
{
    private const int MaxLine = 64 << 20;

    public string Name => "lightgbm-text";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) => head.StartsWith("tree\n"u8) || head.StartsWith("tree\r\n"u8);

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        if (Problem(scan) is { } problem)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"the LightGBM model is malformed: {problem}");
        }
    }

    private static string? Problem(FormatScan scan)
    {
        scan.Stream.Position = 0;
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        var trees = 0;
        var inHeader = true;
        var treeHasLeaves = true;
        var lineNumber = 0;
        using var lines = Lines(scan.Stream, scan.Context.CancellationToken).GetEnumerator();
        while (lines.MoveNext())
        {
            var line = lines.Current;
            lineNumber++;
            if (line is null)
            {
                return $"line {lineNumber} is longer than {MaxLine} bytes or not UTF-8";
            }

            if (lineNumber == 1)
            {
                continue; // "tree"
            }

            if (line.StartsWith("Tree=", StringComparison.Ordinal))
            {
                if (!treeHasLeaves)
                {
                    return $"tree {trees - 1} has no num_leaves";
                }

                if (!int.TryParse(line.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index != trees)
                {
                    return $"line {lineNumber} starts tree '{FormatText.Printable(line[5..])}' where tree {trees} was expected";
                }

                inHeader = false;
                trees++;
                treeHasLeaves = false;
                continue;
            }

            if (line == "end of trees")
            {
                if (!treeHasLeaves)
                {
                    return $"tree {trees - 1} has no num_leaves";
                }

                return CheckHeader(header, trees) ?? CheckTrailer(lines);
            }

            if (line.Length == 0)
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return $"line {lineNumber} is not a key=value pair";
            }

            if (inHeader)
            {
                header[line[..equals]] = line[(equals + 1)..];
            }
            else if (line.StartsWith("num_leaves=", StringComparison.Ordinal))
            {
                treeHasLeaves = true;
            }
        }

        return "it ends before 'end of trees' (a truncated file)";
    }

    private static string? CheckHeader(Dictionary<string, string> header, int trees)
    {
        foreach (var key in new[] { "version", "num_class", "max_feature_idx" })
        {
            if (!header.ContainsKey(key))
            {
                return $"its header has no '{key}'";
            }
        }

        if (header.TryGetValue("tree_sizes", out var sizes))
        {
            var listed = sizes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            if (listed != trees)
            {
                return $"tree_sizes lists {listed} trees but the file holds {trees}";
            }
        }

        return null;
    }

    /// <summary>
    /// After the trees: a <c>parameters:</c> section must reach <c>end of parameters</c>, and the Python package's last
    /// line, <c>pandas_categorical:</c>, must hold JSON (a file cut inside them is truncated).
    /// </summary>
    private static string? CheckTrailer(IEnumerator<string?> lines)
    {
        var inParameters = false;
        while (lines.MoveNext())
        {
            var line = lines.Current;
            if (line is null)
            {
                return "a line after the trees is too long or not UTF-8";
            }

            if (line == "parameters:")
            {
                inParameters = true;
            }
            else if (line == "end of parameters")
            {
                inParameters = false;
            }
            else if (line.StartsWith("pandas_categorical:", StringComparison.Ordinal) && !IsJson(line["pandas_categorical:".Length..]))
            {
                return "its pandas_categorical line is cut off";
            }
        }

        return inParameters ? "its parameters end before 'end of parameters' (a truncated file)" : null;
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>The lines of the stream (without their ends); null for a line too long or not UTF-8, which ends the reading.</summary>
    private static IEnumerable<string?> Lines(Stream stream, CancellationToken cancellationToken)
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var line = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                line.Write(buffer, start, i - start);
                start = i + 1;
                yield return Decode(line, strict);
                line.SetLength(0);
            }

            line.Write(buffer, start, n - start);
            if (line.Length > MaxLine)
            {
                yield return null;
                yield break;
            }
        }

        if (line.Length > 0)
        {
            yield return Decode(line, strict);
        }
    }

    private static string? Decode(MemoryStream line, UTF8Encoding strict)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (bytes.EndsWith("\r"u8))
        {
            bytes = bytes[..^1];
        }

        try
        {
            return strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
