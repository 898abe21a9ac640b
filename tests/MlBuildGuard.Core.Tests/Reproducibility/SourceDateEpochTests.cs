using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Core.Tests.Reproducibility;

public sealed class SourceDateEpochTests
{
    [Theory]
    [InlineData(null, "1980-01-01T00:00:00Z")]
    [InlineData("", "1980-01-01T00:00:00Z")]
    [InlineData("0", "1980-01-01T00:00:00Z")]
    [InlineData("-86400", "1980-01-01T00:00:00Z")]
    [InlineData("315532800", "1980-01-01T00:00:00Z")]
    [InlineData("1700000000", "2023-11-14T22:13:20Z")]
    [InlineData("1700000001", "2023-11-14T22:13:20Z")]
    [InlineData("+1700000003", "2023-11-14T22:13:22Z")]
    [InlineData("4354819198", "2107-12-31T23:59:58Z")]
    [InlineData("4354819199", "2107-12-31T23:59:58Z")]
    [InlineData("99999999999999999999999", "2107-12-31T23:59:58Z")]
    public void Resolves_clamps_and_rounds_down_to_even_seconds(string? value, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), SourceDateEpoch.Resolve(value));
        Assert.Equal(TimeSpan.Zero, SourceDateEpoch.Resolve(value).Offset);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData(" 1700000000")]
    [InlineData("1700000000\n")]
    [InlineData("-")]
    [InlineData("0x10")]
    [InlineData("２０２３")]
    public void Rejects_anything_but_a_decimal_integer_naming_the_value(string value)
    {
        var e = Assert.Throws<FormatException>(() => SourceDateEpoch.Resolve(value));
        Assert.Contains("SOURCE_DATE_EPOCH", e.Message);
        Assert.Contains(value, e.Message);
    }
}
