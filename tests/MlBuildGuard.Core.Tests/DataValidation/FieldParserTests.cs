using MlBuildGuard.Core.DataValidation;

namespace MlBuildGuard.Core.Tests.DataValidation;

public class FieldParserTests
{
    [Theory]
    [InlineData(FieldType.Integer, null, "42", true)]
    [InlineData(FieldType.Integer, null, "-7", true)]
    [InlineData(FieldType.Integer, null, "123456789012345678901234567890", true)]
    [InlineData(FieldType.Integer, null, "4.0", false)]
    [InlineData(FieldType.Integer, null, " 4", false)]
    [InlineData(FieldType.Integer, null, "1e3", false)]
    [InlineData(FieldType.Number, null, "3.14", true)]
    [InlineData(FieldType.Number, null, "-1.5e-3", true)]
    [InlineData(FieldType.Number, null, "NaN", true)]
    [InlineData(FieldType.Number, null, "-INF", true)]
    [InlineData(FieldType.Number, null, "Infinity", false)]
    [InlineData(FieldType.Number, null, "0x10", false)]
    [InlineData(FieldType.Number, null, "1,5", false)]
    [InlineData(FieldType.Boolean, null, "true", true)]
    [InlineData(FieldType.Boolean, null, "0", true)]
    [InlineData(FieldType.Boolean, null, "yes", false)]
    [InlineData(FieldType.Date, null, "2024-02-29", true)]
    [InlineData(FieldType.Date, null, "2023-02-29", false)]
    [InlineData(FieldType.Date, "%d/%m/%Y", "31/12/2024", true)]
    [InlineData(FieldType.Date, "%d/%m/%Y", "2024-12-31", false)]
    [InlineData(FieldType.Time, null, "23:59:59", true)]
    [InlineData(FieldType.Time, null, "24:00:00", false)]
    [InlineData(FieldType.DateTime, null, "2024-01-02T03:04:05Z", true)]
    [InlineData(FieldType.DateTime, null, "2024-01-02T03:04:05+02:00", true)]
    [InlineData(FieldType.DateTime, null, "2024-01-02 03:04:05", false)]
    [InlineData(FieldType.Year, null, "1999", true)]
    [InlineData(FieldType.Year, null, "99", false)]
    [InlineData(FieldType.YearMonth, null, "2024-13", false)]
    [InlineData(FieldType.YearMonth, null, "2024-12", true)]
    [InlineData(FieldType.Duration, null, "P1Y2M3DT4H5M6.5S", true)]
    [InlineData(FieldType.Duration, null, "P", false)]
    [InlineData(FieldType.Object, null, "{\"a\": 1}", true)]
    [InlineData(FieldType.Object, null, "[1]", false)]
    [InlineData(FieldType.Array, null, "[1, 2]", true)]
    [InlineData(FieldType.GeoPoint, null, "90, 45", true)]
    [InlineData(FieldType.GeoPoint, null, "190, 45", false)]
    [InlineData(FieldType.GeoPoint, "array", "[90, 45]", true)]
    [InlineData(FieldType.GeoJson, null, "{\"type\": \"Point\", \"coordinates\": [1, 2]}", true)]
    [InlineData(FieldType.String, "email", "a@b.org", true)]
    [InlineData(FieldType.String, "email", "a@b", false)]
    [InlineData(FieldType.String, "uuid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", true)]
    [InlineData(FieldType.String, "uri", "https://example.org/x", true)]
    [InlineData(FieldType.String, "uri", "not a uri", false)]
    [InlineData(FieldType.String, "binary", "aGVsbG8=", true)]
    [InlineData(FieldType.String, "binary", "!!", false)]
    [InlineData(FieldType.Any, null, "anything", true)]
    public void Values_are_cast_as_Table_Schema_defines_the_type(FieldType type, string? format, string text, bool valid)
    {
        Assert.Equal(valid, new FieldParser(type, format).TryParse(text, out _));
    }

    [Fact]
    public void Number_options_decimal_and_group_characters_and_bare_number()
    {
        Assert.True(new FieldParser(FieldType.Number, decimalChar: ',', groupChar: ".").TryParse("1.234,5", out var v));
        Assert.Equal(1234.5, v.Number);
        Assert.True(new FieldParser(FieldType.Number, bareNumber: false).TryParse("95%", out v));
        Assert.Equal(95, v.Number);
        Assert.True(new FieldParser(FieldType.Integer, bareNumber: false).TryParse("EUR 12", out v));
        Assert.Equal(12, v.Integer);
    }

    [Fact]
    public void Unknown_formats_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new FieldParser(FieldType.String, "phone"));
        Assert.Throws<ArgumentException>(() => new FieldParser(FieldType.Integer, "hex"));
    }

    [Fact]
    public void Equal_values_of_a_number_field_share_a_key_whatever_their_text()
    {
        var parser = new FieldParser(FieldType.Number);
        parser.TryParse("2", out var a);
        parser.TryParse("2.0", out var b);
        parser.TryParse("2.5", out var c);

        Assert.Equal(ValueKey.Of("2", a), ValueKey.Of("2.0", b));
        Assert.NotEqual(ValueKey.Of("2", a), ValueKey.Of("2.5", c));
    }

    [Fact]
    public void The_key_set_finds_duplicates_and_stops_at_its_limit()
    {
        var set = new HashedKeySet(limit: 3000);
        for (ulong i = 0; i < 3000; i++)
        {
            Assert.True(set.Add(unchecked(i * 0x9E3779B97F4A7C15UL)));
        }

        Assert.False(set.Add(unchecked(5 * 0x9E3779B97F4A7C15UL)));
        Assert.False(set.Overflowed);
        Assert.True(set.Add(12345));
        Assert.True(set.Overflowed);
        Assert.Equal(3000, set.Count);
    }

    [Theory]
    [InlineData("short", "\"short\"")]
    [InlineData("a\nb\t\"c\"", "\"a\\nb\\t\\\"c\\\"\"")]
    [InlineData("\u001b[31mred\u202e", "\"\\u001B[31mred\\u202E\"")]
    [InlineData("0123456789012345678901234567890123456789", "a 40-character value (not shown)")]
    public void Excerpts_are_short_and_escaped(string cell, string expected)
    {
        Assert.Equal(expected, CellExcerpt.Of(cell));
    }
}
