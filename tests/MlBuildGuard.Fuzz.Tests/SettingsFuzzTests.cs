using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reproducibility;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>The project's own settings files and metadata: global.json (MLG504) and MlGuardSuppression items (MLG002, MLG003).</summary>
public sealed class SettingsFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Global_json_pins_the_SDK_or_says_why_not()
    {
        using var root = new TempDirectory("mlguard-fuzz-globaljson");
        var project = root.Combine("src", "app");
        Directory.CreateDirectory(project);
        Fuzzer.Run(output, "global.json", [Samples.GlobalJson()], input =>
        {
            File.WriteAllBytes(root.Combine("global.json"), input);
            BuildSettingsRules.SdkPinProblem(project, out _);
        }, JsonMutator.Mutate);
    }

    /// <summary>Code, Subject, Justification and Expires, one per line, as the item's identity and metadata.</summary>
    [Fact]
    public void Suppression_metadata_is_a_suppression_or_MLG002_MLG003()
    {
        var findings = new[]
        {
            Finding.Create(RuleCatalog.TrainingInputNotLocked, new SourceLocation("/src/app/app.csproj", 3, 5), "data/late.tsv", "data/late.tsv", new string('0', 64), "mlguard.lock.json"),
            Finding.Create(RuleCatalog.PoisonedPackageCache, null, "Contoso.Widget", "Contoso.Widget", "1.2.3", "changed", "/packages"),
            Finding.Create(RuleCatalog.InternalFailure, null, null, "guard", "cause"),
        };
        var samples = new[]
        {
            "MLG403\ndata/*.tsv\nvetted by the data team, DATA-231\n2099-12-31"u8.ToArray(),
            "mlg105\nContoso.*\nknown, tracked in SEC-12\n2020-01-01"u8.ToArray(),
            "MLG004\n**\nnot allowed\n2099-01-01"u8.ToArray(),
        };
        string[] tokens = ["*", "**", "?", "[", "]", "{a,b}", "\\", "/", "..", "MLG", "MLG999", "2099-02-30", "0001-01-01", "9999-12-31", "-1", "", " ", "\t"];
        Fuzzer.Run(output, "MlGuardSuppression metadata", samples, input =>
        {
            var fields = Encoding.UTF8.GetString(input).Split('\n');
            string? Field(int i) => i < fields.Length ? fields[i] : null;
            var problems = new List<Finding>();
            var set = SuppressionSet.Parse([new SuppressionDeclaration(Field(0) ?? "", Field(1), Field(2), Field(3), new SourceLocation("/src/app/app.csproj", 9, 5))],
                new DateOnly(2026, 6, 1), problems);
            set.Apply(findings);
            if (problems.Any(p => p.Code != RuleCatalog.InvalidConfiguration.Code && p.Code != RuleCatalog.SuppressionExpired.Code))
            {
                throw new FuzzOracleException("a suppression gave " + string.Join(", ", problems.Select(p => p.Code)));
            }
        }, (random, sample) => TextMutator.Mutate(random, sample, tokens));
    }
}
