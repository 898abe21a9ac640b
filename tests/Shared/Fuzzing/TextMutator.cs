using System.Text;

namespace MlBuildGuard.Testing;

/// <summary>
/// Line-aware mutations of a text sample (requirements files, PEM keys, XML configuration, git refs): lines dropped,
/// repeated, swapped or cut, tokens of the format put where they do not belong, invalid UTF-8, NUL, a byte-order mark,
/// CRLF endings, very long lines. <paramref name="tokens"/> are the format's own words (operators, markers, tags).
/// </summary>
internal static class TextMutator
{
    private static readonly byte[][] Bytes = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x00], [0xE2, 0x82], [0xEF, 0xBB, 0xBF]];

    public static byte[] Mutate(Random random, byte[] sample, IReadOnlyList<string> tokens)
    {
        var lines = SplitLines(sample);
        var mutations = 1 + random.Next(3);
        for (var m = 0; m < mutations; m++)
        {
            var at = lines.Count == 0 ? 0 : random.Next(lines.Count);
            switch (random.Next(9))
            {
                case 0 when lines.Count > 0:
                    lines.RemoveAt(at);
                    break;
                case 1 when lines.Count > 0:
                    lines.Insert(at, lines[at]);
                    break;
                case 2 when lines.Count > 1:
                    (lines[at], lines[^1]) = (lines[^1], lines[at]);
                    break;
                case 3:
                    lines.Insert(at, Encoding.UTF8.GetBytes(tokens[random.Next(tokens.Count)]));
                    break;
                case 4 when lines.Count > 0 && lines[at].Length > 0:
                    // A token of the format spliced into the middle of a line.
                    var cut = random.Next(lines[at].Length + 1);
                    lines[at] = [.. lines[at][..cut], .. Encoding.UTF8.GetBytes(tokens[random.Next(tokens.Count)]), .. lines[at][cut..]];
                    break;
                case 5 when lines.Count > 0:
                    var where = random.Next(lines[at].Length + 1);
                    lines[at] = [.. lines[at][..where], .. Bytes[random.Next(Bytes.Length)], .. lines[at][where..]];
                    break;
                case 6 when lines.Count > 0:
                    lines[at] = [.. lines[at], .. Enumerable.Repeat((byte)'a', new[] { 300, 10_000, 100_000 }[random.Next(3)])];
                    break;
                case 7 when lines.Count > 0:
                    lines[at] = lines[at][..random.Next(lines[at].Length + 1)];
                    break;
                default:
                    lines.Insert(at, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(tokens[random.Next(tokens.Count)], new[] { 2, 50, 500 }[random.Next(3)]))));
                    break;
            }
        }

        var newline = random.Next(4) == 0 ? "\r\n"u8.ToArray() : "\n"u8.ToArray();
        var result = new List<byte>(sample.Length + 64);
        if (random.Next(8) == 0)
        {
            result.AddRange("\uFEFF"u8.ToArray());
        }

        foreach (var line in lines)
        {
            result.AddRange(line);
            result.AddRange(newline);
        }

        return random.Next(8) == 0 ? result.ToArray()[..random.Next(result.Count + 1)] : result.ToArray();
    }

    private static List<byte[]> SplitLines(byte[] sample)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < sample.Length; i++)
        {
            if (sample[i] == (byte)'\n')
            {
                lines.Add(sample[start..i]);
                start = i + 1;
            }
        }

        if (start < sample.Length)
        {
            lines.Add(sample[start..]);
        }

        return lines;
    }
}
