using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace MlBuildGuard.Core.IO;

/// <summary>A JSON file MlBuildGuard reads but does not write is not valid JSON text; with its 1-based position when known (else 0).</summary>
public sealed class JsonInputException(string reason, int line = 0, int column = 0) : Exception(reason)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>
/// Reading JSON that comes from outside MlBuildGuard (lock files, advisories, signatures, restore results, SDK
/// settings). System.Text.Json checks the grammar but not that string contents are valid UTF-8: it decodes a string only
/// when asked, and then throws <see cref="InvalidOperationException"/>, as <see cref="JsonElement"/> does for a value of
/// another type than the one asked for. <see cref="Parse"/> refuses invalid UTF-8 up front with its position, skips a
/// byte-order mark, bounds the depth and refuses repeated keys; each reader turns what remains
/// (<see cref="IsShapeError"/>) into its own coded error.
/// </summary>
public static class JsonInput
{
    /// <summary>Deeper than any document these readers expect; deeper nesting is refused, not recursed into.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>The text after a leading UTF-8 byte-order mark (editors on Windows write one).</summary>
    public static ReadOnlyMemory<byte> WithoutByteOrderMark(ReadOnlyMemory<byte> utf8) => utf8.Span.StartsWith("\uFEFF"u8) ? utf8[3..] : utf8;

    /// <summary>1-based line and (UTF-16) column of the first byte that is not UTF-8; null when the text is valid UTF-8.</summary>
    public static (int Line, int Column)? FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var at = Utf8LineTable.FirstInvalidUtf8(utf8);
        return at < 0 ? null : new Utf8LineTable(utf8.ToArray()).Position(at);
    }

    /// <summary>Parses a document strictly; anything that is not valid JSON text is a <see cref="JsonInputException"/>.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, int maxDepth = DefaultMaxDepth, bool allowComments = false, bool allowByteOrderMark = true)
    {
        var text = allowByteOrderMark ? WithoutByteOrderMark(utf8) : utf8;
        if (FirstInvalidUtf8(text.Span) is { } at)
        {
            throw new JsonInputException("it is not valid UTF-8", at.Line, at.Column);
        }

        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions
            {
                MaxDepth = maxDepth,
                AllowDuplicateProperties = false,
                CommentHandling = allowComments ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
                AllowTrailingCommas = allowComments,
            });
        }
        catch (JsonException e)
        {
            throw new JsonInputException("invalid JSON: " + FirstSentence(e.Message), (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
        }
        catch (InvalidOperationException e)
        {
            throw new JsonInputException("invalid JSON: " + FirstSentence(e.Message)); // a key that is not valid Unicode, met while checking for repeats
        }
    }

    /// <summary>
    /// Whether an exception from walking a parsed document means the document has another shape than expected (a value
    /// of another type, a string that is not valid Unicode), which readers report as the input's fault.
    /// </summary>
    public static bool IsShapeError(Exception e) => e is InvalidOperationException or FormatException or KeyNotFoundException;

    /// <summary>A shape error as a short reason for a coded error.</summary>
    public static string Describe(Exception e) => "a value has another type than expected or is not valid Unicode (" + FirstSentence(e.Message) + ")";

    /// <summary>System.Text.Json's message without the position it appends (callers give their own).</summary>
    public static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
