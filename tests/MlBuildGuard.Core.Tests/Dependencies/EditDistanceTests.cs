using MlBuildGuard.Core.Dependencies;

namespace MlBuildGuard.Core.Tests.Dependencies;

public class EditDistanceTests
{
    [Theory]
    [InlineData("kitten", "kitten", 0)]
    [InlineData("kitten", "sitten", 1)] // substitution
    [InlineData("kitten", "sitting", 3)] // two substitutions and an insertion
    [InlineData("json", "jsonx", 1)] // insertion
    [InlineData("jsonx", "json", 1)] // deletion
    [InlineData("ab", "ba", 1)] // transposition
    [InlineData("newtonsoft.json", "newtonsoft.jsno", 1)]
    [InlineData("ca", "abc", 3)] // optimal string alignment: no edit of a transposed pair
    [InlineData("", "abc", 3)]
    public void Counts_substitutions_insertions_deletions_and_transpositions(string a, string b, int expected)
    {
        Assert.Equal(expected, EditDistance.DamerauLevenshtein(a, b));
        Assert.Equal(expected, EditDistance.DamerauLevenshtein(b, a));
    }

    [Theory]
    [InlineData("abcdef", "uvwxyz", 2)] // distance 6
    [InlineData("abc", "abcdef", 1)] // lengths differ by 3
    [InlineData("microsoft.ml.fasttree", "microsoft.ml.lightgbm", 2)]
    public void Stops_at_one_past_the_limit(string a, string b, int limit)
    {
        Assert.Equal(limit + 1, EditDistance.DamerauLevenshtein(a, b, limit));
    }

    [Theory]
    [InlineData("newtonsoft.json", "newtonsoft.jsom", 2, 1)]
    [InlineData("newtonsoft.json", "newtonsofft.jsom", 2, 2)]
    [InlineData("ab", "ba", 1, 1)]
    public void Gives_the_exact_distance_within_the_limit(string a, string b, int limit, int expected)
    {
        Assert.Equal(expected, EditDistance.DamerauLevenshtein(a, b, limit));
    }

    [Fact]
    public void An_empty_second_string_within_the_limit_is_its_length()
    {
        Assert.Equal(1, EditDistance.DamerauLevenshtein("a", "", 5));
        Assert.Equal(3, EditDistance.DamerauLevenshtein("abc", "", 3));
    }
}
