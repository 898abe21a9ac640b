using System.Text.Encodings.Web;
using System.Text.Json;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// The one JSON layout of every file MlBuildGuard writes for people and diffs (the lock, provenance, the ML-BOM): UTF-8
/// without BOM, 2-space indentation, '\n' line ends on every OS, a final newline, and '+' or non-ASCII written as
/// themselves (no <c>\u002B</c>). The same content always gives the same bytes.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        IndentSize = 2,
        IndentCharacter = ' ',
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The bytes <paramref name="write"/> produces, in this layout, with the final newline.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
