namespace MlBuildGuard.Core.Models.Formats;

/// <summary>
/// JSON as Python's <c>json</c> module reads it, which model files are written for: bare <c>NaN</c>, <c>Infinity</c> and
/// <c>-Infinity</c> are numbers there. System.Text.Json refuses them, so they are found first and replaced by a number of
/// the same length (positions in error messages stay right); nesting depth is checked without recursion.
/// </summary>
internal static class PythonJson
{
    /// <summary>Checks nesting depth without recursion; notes bare NaN / Infinity tokens (Python's json accepts them).</summary>
    public static bool Prescan(ReadOnlySpan<byte> json, int maxDepth, out bool nonFinite)
    {
        nonFinite = false;
        var depth = 0;
        var strings = new JsonStringState();
        foreach (var b in json)
        {
            if (strings.Inside(b))
            {
                continue;
            }

            switch (b)
            {
                case (byte)'{' or (byte)'[':
                    if (++depth > maxDepth)
                    {
                        return false;
                    }

                    break;
                case (byte)'}' or (byte)']':
                    depth--;
                    break;
                case (byte)'N' or (byte)'I':
                    nonFinite = true;
                    break;
            }
        }

        return true;
    }

    /// <summary>Replaces bare NaN / Infinity (outside strings) by a number of the same length, keeping the structure.</summary>
    public static void ReplaceNonFinite(byte[] json)
    {
        var strings = new JsonStringState();
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (strings.Inside(b))
            {
                continue;
            }

            if (b == (byte)'N' && json.AsSpan(i).StartsWith("NaN"u8))
            {
                json[i] = (byte)'0';
                json[i + 1] = json[i + 2] = (byte)' ';
                i += 2;
            }
            else if (b == (byte)'I' && json.AsSpan(i).StartsWith("Infinity"u8))
            {
                json[i] = (byte)'0';
                json.AsSpan(i + 1, 7).Fill((byte)' ');
                i += 7;
            }
        }
    }

    /// <summary>Follows JSON text byte by byte and tells which bytes belong to a string literal (its quotes included).</summary>
    internal struct JsonStringState
    {
        private bool _inString;
        private bool _escaped;

        public bool Inside(byte b)
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
                }

                return true;
            }

            _inString = b == (byte)'"';
            return _inString;
        }
    }
}
