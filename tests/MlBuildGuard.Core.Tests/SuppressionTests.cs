using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Tests;

public class SuppressionTests
{
    private static readonly DateOnly Today = new(2026, 11, 26);

    [Fact]
    public void A_valid_suppression_matches_its_code_and_subject_glob()
    {
        var problems = new List<Finding>();
        var set = SuppressionSet.Parse([new SuppressionDeclaration("MLG403", "data/*.tsv", "reviewed", "2026-12-31")], Today, problems);
        var hit = Finding.Create(RuleCatalog.TrainingInputNotLocked, null, "data/new.tsv", "data/new.tsv", "x", "lock");
        var otherSubject = Finding.Create(RuleCatalog.TrainingInputNotLocked, null, "other/new.tsv", "other/new.tsv", "x", "lock");
        var otherCode = Finding.Create(RuleCatalog.LockedTrainingInputMissing, null, "data/new.tsv", "data/new.tsv", "x");

        var applied = set.Apply([hit, otherSubject, otherCode]);

        Assert.Empty(problems);
        Assert.NotNull(applied[0].SuppressedBy);
        Assert.Null(applied[1].SuppressedBy);
        Assert.Null(applied[2].SuppressedBy);
    }

    [Fact]
    public void The_last_day_still_counts_and_the_next_day_is_expired()
    {
        var onLastDay = SuppressionSet.Parse([new SuppressionDeclaration("MLG403", "a", "j", "2026-11-26")], Today, new List<Finding>());
        var problems = new List<Finding>();
        var dayAfter = SuppressionSet.Parse([new SuppressionDeclaration("MLG403", "a", "j", "2026-11-25")], Today, problems);

        Assert.Single(onLastDay.Active);
        Assert.Empty(dayAfter.Active);
        var expired = Assert.Single(problems);
        Assert.Equal("MLG003", expired.Code);
        Assert.Contains("2026-11-25", expired.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MLG999", "a", "j", "2027-01-01", "does not name a rule code of this MlBuildGuard version")]
    [InlineData("MLG004", "a", "j", "2027-01-01", "MLG004 cannot be suppressed")]
    [InlineData("mlg002", "a", "j", "2027-01-01", "MLG002 cannot be suppressed")]
    [InlineData("MLG001", "a", "j", "2027-01-01", "can still be silenced with NoWarn")]
    [InlineData("MLG403", null, "j", "2027-01-01", "has no Subject")]
    [InlineData("MLG403", "a", null, "2027-01-01", "has no Justification")]
    [InlineData("MLG403", "a", " ", "2027-01-01", "has no Justification")]
    [InlineData("MLG403", "a", "j", null, "has no Expires date")]
    [InlineData("MLG403", "a", "j", "31/12/2027", "is not a date in the form yyyy-MM-dd")]
    [InlineData("MLG403", "a", "j", "2027-02-30", "is not a date in the form yyyy-MM-dd")]
    public void Incomplete_suppressions_are_MLG002_and_suppress_nothing(string code, string? subject, string? justification, string? expires, string reason)
    {
        var problems = new List<Finding>();

        var set = SuppressionSet.Parse([new SuppressionDeclaration(code, subject, justification, expires)], Today, problems);

        Assert.Empty(set.Active);
        var problem = Assert.Single(problems);
        Assert.Equal("MLG002", problem.Code);
        Assert.Contains(reason, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Codes_are_matched_without_case()
    {
        var set = SuppressionSet.Parse([new SuppressionDeclaration(" mlg403 ", "a", "j", "2027-01-01")], Today, new List<Finding>());

        Assert.Equal("MLG403", Assert.Single(set.Active).Code);
    }

    [Fact]
    public void Configuration_and_internal_failures_are_never_suppressed()
    {
        var set = SuppressionSet.Parse([new SuppressionDeclaration("MLG403", "*", "j", "2027-01-01")], Today, new List<Finding>());
        var anything = new Suppression("MLG004", "*", "j", new DateOnly(2027, 1, 1));
        Assert.True(anything.Matches(Finding.Create(RuleCatalog.InternalFailure, null, "x", "g", "boom")), "the subject would match");

        var applied = set.Apply([
            Finding.Create(RuleCatalog.InternalFailure, null, "x", "g", "boom"),
            Finding.Create(RuleCatalog.InvalidConfiguration, null, "x", "bad"),
        ]);

        Assert.All(applied, f => Assert.Null(f.SuppressedBy));
    }

    [Fact]
    public void Package_subjects_match_without_case_and_paths_with_case()
    {
        var set = SuppressionSet.Parse([new SuppressionDeclaration("MLG403", "Data/A.tsv", "j", "2027-01-01")], Today, new List<Finding>());
        var path = Finding.Create(RuleCatalog.TrainingInputNotLocked, null, "data/a.tsv", "data/a.tsv", "x", "l");
        var package = Finding.Create(RuleCatalog.TrainingInputNotLocked, null, "data/a.tsv", "data/a.tsv", "x", "l") with { SubjectKind = SubjectKind.Package };

        var applied = set.Apply([path, package]);

        Assert.Null(applied[0].SuppressedBy);
        Assert.NotNull(applied[1].SuppressedBy);
    }
}
