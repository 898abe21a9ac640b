using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>
/// joblib writes each numpy array's bytes into the pickle stream itself, right after the BUILD of its
/// <c>NumpyArrayWrapper</c>: an optional padding-length byte and padding (when the wrapper's state has
/// <c>numpy_array_alignment_bytes</c>), then <c>prod(shape) × itemsize</c> raw bytes; an object array is instead a
/// nested pickle. A scanner that does not know this stops at the raw bytes; this one reads the wrapper's state and steps
/// over them exactly, or scans the nested pickle.
/// </summary>
internal static partial class JoblibArrays
{
    internal sealed record Layout(bool ObjectArray, bool Aligned, long Bytes);

    /// <summary>The layout of the data that follows a wrapper, or the reason it cannot be known.</summary>
    public static (Layout? Layout, string? Problem) Describe(PCall wrapper)
    {
        if (wrapper.State is not PDict state)
        {
            return (null, "the array wrapper has no readable state");
        }

        var aligned = state.Entries.TryGetValue("numpy_array_alignment_bytes", out var alignment) && alignment is PInt { Value: > 0 };
        if (!state.Entries.TryGetValue("dtype", out var dtype) || Descr(dtype) is not { } descr)
        {
            return (null, "the array wrapper's dtype cannot be read");
        }

        if (descr.Contains('O', StringComparison.Ordinal))
        {
            return (new Layout(true, aligned, 0), null);
        }

        if (!state.Entries.TryGetValue("shape", out var shapeValue) || shapeValue is not PSeq shape || shape.Count != shape.Items.Count)
        {
            return (null, "the array wrapper's shape cannot be read");
        }

        var itemSize = ItemSize(descr);
        if (itemSize is null)
        {
            return (null, $"the array wrapper's dtype '{descr}' is not one whose size is known");
        }

        long count = 1;
        foreach (var dim in shape.Items)
        {
            if (dim is not PInt { Value: >= 0 } d)
            {
                return (null, "the array wrapper's shape is not a tuple of sizes");
            }

            try
            {
                count = checked(count * d.Value!.Value);
            }
            catch (OverflowException)
            {
                return (null, "the array wrapper's shape overflows");
            }
        }

        try
        {
            return (new Layout(false, aligned, checked(count * itemSize.Value)), null);
        }
        catch (OverflowException)
        {
            return (null, "the array wrapper's size overflows");
        }
    }

    /// <summary>The dtype string of <c>numpy.dtype('f8', …)</c> as pickled (a REDUCE of numpy.dtype with the string first).</summary>
    private static string? Descr(PValue dtype) =>
        dtype is PCall { Callee: PGlobal { FullName: "numpy.dtype" }, Arguments: PSeq { Items: [PStr descr, ..] } } ? descr.Text : null;

    private static long? ItemSize(string descr)
    {
        var m = DtypeText().Match(descr);
        if (!m.Success)
        {
            return null;
        }

        var kind = m.Groups["kind"].Value;
        var digits = m.Groups["size"].Success ? long.Parse(m.Groups["size"].Value, System.Globalization.CultureInfo.InvariantCulture) : (long?)null;
        return kind switch
        {
            "b" or "i" or "u" or "f" or "c" or "S" or "a" or "V" => digits,
            "U" => digits * 4,
            "M" or "m" => digits ?? 8,
            "?" => 1,
            _ => null,
        };
    }

    [GeneratedRegex(@"^[<>|=]?(?<kind>[biufcSaVUMm?])(?<size>\d{1,9})?(\[[A-Za-z0-9]+\])?$")]
    private static partial Regex DtypeText();
}
