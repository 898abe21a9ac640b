using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Models.Formats.Gbdt;

/// <summary>
/// XGBoost models saved as UBJSON (<c>save_model("m.ubj")</c>, the default format since XGBoost 2.0). XGBoost's C++
/// reader builds trees from numbers and strings, so a model cannot carry code; it is validated as UBJSON to its last
/// byte and must be an object with XGBoost's <c>learner</c> and <c>version</c>. A malformed or truncated one is MLG303.
/// </summary>
internal sealed class XgboostUbjsonFormat : IModelFormat
{
    public string Name => "xgboost-ubjson";

    /// <summary>An object whose first key is <c>learner</c> or <c>version</c>, its length written with any integer marker.</summary>
    public bool Matches(ReadOnlySpan<byte> head, long length, string view)
    {
        if (head.Length < 4 || head[0] != (byte)'{')
        {
            return false;
        }

        var skip = head[1] switch
        {
            (byte)'i' or (byte)'U' => 1,
            (byte)'I' => 2,
            (byte)'l' => 4,
            (byte)'L' => 8,
            _ => -1,
        };
        if (skip < 0 || head.Length < 2 + skip + 7)
        {
            return false;
        }

        var key = head[(2 + skip)..];
        return key.StartsWith("learner"u8) || key.StartsWith("version"u8);
    }

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        try
        {
            var keys = new UbjsonValidator(new FormatReader(scan.Stream, scan.Stream.Length), scan.Context.CancellationToken).ReadTopLevelObject();
            if (!keys.Contains("learner") || !keys.Contains("version"))
            {
                scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, "the XGBoost UBJSON model has no 'learner' or no 'version'");
            }
        }
        catch (MalformedFormatException e)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"the XGBoost UBJSON model is malformed at byte {e.Offset} ({e.Message})");
        }
        catch (FormatLimitException e)
        {
            scan.Context.Report(RuleCatalog.ScanLimitExceeded, scan.View, e.Message, e.Limit);
        }
    }
}
