using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models.Formats;

/// <summary>
/// numpy's <c>.npy</c>: a magic, a version, a header dict literal (<c>descr</c>, <c>fortran_order</c>, <c>shape</c>),
/// then the data. An object array's data is a pickle (loaded by <c>numpy.load(allow_pickle=True)</c>), which is scanned;
/// any other data is plain numbers and is not read.
/// </summary>
public static partial class NumpyFormat
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static bool Looks(ReadOnlySpan<byte> head) => head.StartsWith(Magic);

    public static void Scan(Stream stream, string view, ModelScanContext context, GlobalPolicy policy)
    {
        context.Recognise(view, "npy");
        Span<byte> prefix = stackalloc byte[12];
        if (stream.ReadAtLeast(prefix[..10], 10, throwOnEndOfStream: false) < 10)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "the .npy header is truncated");
            return;
        }

        var major = prefix[6];
        int headerLength;
        var used = 10;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
        }
        else if (major is 2 or 3)
        {
            if (stream.ReadAtLeast(prefix[10..], 2, throwOnEndOfStream: false) < 2)
            {
                context.Report(RuleCatalog.ModelUnparsable, view, "the .npy header is truncated");
                return;
            }

            used = 12;
            var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
            if (length > context.Limits.MaxHeaderBytes)
            {
                context.Report(RuleCatalog.ScanLimitExceeded, view, "the .npy header is larger than allowed", context.Limits.MaxHeaderBytes);
                return;
            }

            headerLength = (int)length;
        }
        else
        {
            context.Report(RuleCatalog.ModelUnparsable, view, $"it is .npy version {major}, which is not known");
            return;
        }

        _ = used;
        var header = new byte[headerLength];
        if (stream.ReadAtLeast(header, headerLength, throwOnEndOfStream: false) < headerLength)
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "the .npy header is truncated");
            return;
        }

        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        var descr = Descr().Match(text);
        if (!descr.Success || !text.TrimStart().StartsWith('{'))
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "the .npy header has no readable 'descr'");
            return;
        }

        // A structured dtype lists fields; any 'O' among the type codes makes it an object array.
        if (ObjectCode().IsMatch(descr.Groups["value"].Value))
        {
            PickleScanner.Scan(stream, view + " (object array)", context, policy);
        }
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*(?<value>'[^']*'|""[^""]*""|\[.*?\])\s*,", RegexOptions.Singleline)]
    private static partial Regex Descr();

    [GeneratedRegex(@"['""][<>|=]?O\d*['""]")]
    private static partial Regex ObjectCode();
}
