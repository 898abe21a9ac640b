namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// Entry names as normalization compares and orders them: <c>\</c> becomes <c>/</c> (ML.NET writes
/// <c>TrainingInfo\Version.txt</c> on Windows and <c>TrainingInfo/Version.txt</c> elsewhere, and loads both), and order is
/// UTF-8 byte order, which does not depend on culture, platform or how UTF-16 orders surrogates.
/// </summary>
internal static class ZipNames
{
    /// <summary>Orders by Unicode scalar value, which is exactly the order of the names' UTF-8 bytes.</summary>
    public static IComparer<string> Utf8Order { get; } = Comparer<string>.Create(CompareUtf8);

    /// <summary>The name with <c>/</c> separators only.</summary>
    public static string Normalize(string name) => name.Replace('\\', '/');

    private static int CompareUtf8(string? left, string? right)
    {
        var a = (left ?? "").EnumerateRunes();
        var b = (right ?? "").EnumerateRunes();
        while (true)
        {
            var moreA = a.MoveNext();
            var moreB = b.MoveNext();
            if (!moreA || !moreB)
            {
                return moreA.CompareTo(moreB);
            }

            var order = a.Current.Value.CompareTo(b.Current.Value);
            if (order != 0)
            {
                return order;
            }
        }
    }
}
