using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.DataValidation;

/// <summary>The lock is committed where the data may not be: a profile names only values that repeat and are neither credentials nor personal data.</summary>
public sealed class ProfilePrivacyTests : IDisposable
{
    private readonly DataFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void Free_text_credentials_and_personal_data_are_never_category_names_while_repeated_labels_are()
    {
        var token = new FakeSecrets(5).SlackToken().Secret;
        var rows = string.Concat(Enumerable.Range(0, 12).Select(i => $"{(i % 2 == 0 ? "pos" : "neg")}\n"))
            + "a review that appears once\n" + $"{token}\n{token}\n" + "ada@example.org\nada@example.org\n";

        var result = _data.Validate("t.csv", "label\n" + rows, "fields:\n  - {name: label, type: string}\n");

        var categories = result.Profile!.Columns["label"].Categories!;
        Assert.Equal(["neg", "pos"], categories.Keys);
        Assert.True(result.Profile.Columns["label"].Other > 0);
    }
}
