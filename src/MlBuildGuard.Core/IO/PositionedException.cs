using System.Text.Json;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// A document MlBuildGuard reads (the lock, a schema, a metrics file) that is not what it must be, with the reason and the
/// 1-based line and column of the problem (0 when unknown), so a finding can point at it.
/// </summary>
public abstract class PositionedException(string reason, int line, int column)
    : Exception(line > 0 ? $"{reason} (line {line}, column {column})" : reason)
{
    public string Reason { get; } = reason;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>System.Text.Json's message without its own position text (the finding gives the position).</summary>
    public static string DescribeJsonError(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return "invalid JSON: " + message.TrimEnd('.', ' ');
    }
}
