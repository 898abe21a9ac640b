using MlBuildGuard.Core.Reporting;

namespace MlBuildGuard.Core.Tests.Reporting;

public class BuildSummaryTests
{
    [Fact]
    public void The_line_counts_what_was_checked_in_a_fixed_order_as_SPEC_shows_it()
    {
        var line = BuildSummary.Line([
            new SummaryFact(BuildSummary.ModelsSealed, 1),
            new SummaryFact(BuildSummary.PackagesVerified, 9),
            new SummaryFact(BuildSummary.ModelsNotSigned, 1),
            new SummaryFact(BuildSummary.TrainingInputsUnchanged, 2),
        ]);

        Assert.Equal("MlBuildGuard: 2 training inputs unchanged, 9 packages verified, 1 model sealed (not signed)", line);
    }

    [Fact]
    public void Facts_of_several_framework_builds_add_up_and_say_how_many_were_signed()
    {
        SummaryFact[] facts = [
            new(BuildSummary.ModelsSealed, 1), new(BuildSummary.ModelsSigned, 1),
            new(BuildSummary.ModelsSealed, 1), new(BuildSummary.ModelsNotSigned, 1),
            new(BuildSummary.TrainingInputsLocked, 1), new(BuildSummary.ModelSignaturesVerified, 1), new(BuildSummary.ModelsScanned, 3),
        ];

        Assert.Equal("MlBuildGuard: 1 training input locked, 3 models scanned, 1 model signature verified, 2 models sealed (1 signed, 1 not signed)",
            BuildSummary.Line(facts));
        Assert.Equal("MlBuildGuard: 2 models sealed (signed)",
            BuildSummary.Line([new(BuildSummary.ModelsSealed, 2), new(BuildSummary.ModelsSigned, 2)]));
        Assert.Equal("MlBuildGuard: 2 models sealed (1 signed)",
            BuildSummary.Line([new(BuildSummary.ModelsSealed, 2), new(BuildSummary.ModelsSigned, 1)]));
    }

    [Fact]
    public void Nothing_counted_is_no_line()
    {
        Assert.Null(BuildSummary.Line([new SummaryFact(BuildSummary.PackagesVerified, 0)]));
    }
}
