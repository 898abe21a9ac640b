using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Locking;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.TrainingData;
using MlBuildGuard.Testing;
using MlBuildGuard.Testing.Secrets;

namespace MlBuildGuard.Core.Tests.TrainingData;

/// <summary>The build's check of what training data holds: secrets and personal data in one cached read, schemas, profiles staged.</summary>
public sealed class TrainingDataGuardTests : IDisposable
{
    private const string Schema = "fields:\n  - {name: x, type: number, constraints: {minimum: 0}}\n";

    private readonly TempDirectory _project = new("mlguard-td");
    private readonly FakeSecrets _fakes = new(77);

    public void Dispose() => _project.Dispose();

    private string LockPath => _project.Combine("mlguard.lock.json");

    private string Staging => _project.Combine("obj", "mlguard", "lock-parts");

    private TrainingDataResult Run(LockMode mode, params DataInputItem[] inputs) => Run(mode, SecretConfiguration.BuiltIn, inputs);

    private TrainingDataResult Run(LockMode mode, SecretConfiguration secrets, params DataInputItem[] inputs) => TrainingDataGuard.Run(new TrainingDataRequest
    {
        ProjectDirectory = _project.Path,
        LockFilePath = LockPath,
        Mode = mode,
        Inputs = inputs,
        Secrets = secrets,
        CacheFilePath = _project.Combine("obj", "mlguard", "training-data.hashcache"),
        VerdictCacheDirectory = _project.Combine("obj", "mlguard", "data-verdicts"),
        StagingDirectory = Staging,
    });

    [Fact]
    public void Credentials_and_personal_data_are_found_once_and_come_from_the_stamp_cache_unchanged_without_values()
    {
        var token = _fakes.GitHubToken();
        _project.Write("data/a.csv", $"id,contact,note\n1,ada@example.org,x\n2,grace@example.net,\"{token.Text}\"\n");
        _project.Write("data/clean.csv", "id,label\n1,0\n2,1\n");
        DataInputItem[] inputs = [new("data/a.csv", null), new("data/clean.csv", null)];
        Thread.Sleep(TimeSpan.FromSeconds(2.2)); // the stamp cache never trusts a file changed within the last two seconds

        var first = Run(LockMode.Auto, inputs);
        var second = Run(LockMode.Auto, inputs);

        Assert.Equal((2, 0), (first.FilesRead, first.FilesFromCache));
        Assert.Equal((0, 2), (second.FilesRead, second.FilesFromCache));
        foreach (var result in new[] { first, second })
        {
            Assert.Equal(["MLG801", "MLG802"], result.Findings.Select(f => f.Code).Order());
            Assert.All(result.Findings, f => Assert.Equal(Severity.Error, f.Severity));
            Assert.All(result.Findings, f => Assert.DoesNotContain(token.Secret, f.Message, StringComparison.Ordinal));
            Assert.All(result.Findings, f => Assert.DoesNotContain("ada@", f.Message, StringComparison.Ordinal));
            Assert.Equal((_project.Combine("data", "a.csv"), 3), (result.Findings[0].Location!.FilePath, result.Findings[0].Location!.Line));
        }

        Assert.Null(first.StagedLock); // no schema, no lock: nothing to record
    }

    [Fact]
    public void Pii_allow_makes_personal_data_a_warning_and_an_unknown_Pii_value_is_MLG002()
    {
        _project.Write("data/a.csv", "id,contact\n1,ada@example.org\n2,grace@example.net\n");

        var allowed = Run(LockMode.Auto, new DataInputItem("data/a.csv", null, Pii: "allow"));
        var typo = Run(LockMode.Auto, new DataInputItem("data/a.csv", null, Pii: "alow"));

        Assert.Equal(Severity.Warning, Assert.Single(allowed.Findings).Severity);
        Assert.Equal(["MLG002", "MLG802"], typo.Findings.Select(f => f.Code).Order());
    }

    [Fact]
    public void A_profile_is_staged_when_the_lock_lacks_it_and_nothing_once_it_holds_it_and_never_in_Locked_mode_or_after_an_error()
    {
        _project.Write("data/s.yaml", Schema);
        _project.Write("data/t.csv", "x\n1\n2\n3\n");
        var input = new DataInputItem("data/t.csv", "data/s.yaml");

        var first = Run(LockMode.Auto, input);

        Assert.Empty(first.Findings);
        var part = StagedLockPart.Read(first.StagedLock!);
        Assert.Equal(3, part.Proposed.DataProfiles["data/t.csv"].Rows);
        LockCommit.Commit([first.StagedLock!], LockPath);
        Assert.Null(Run(LockMode.Auto, input).StagedLock);
        Assert.Null(Run(LockMode.Locked, input).StagedLock);

        _project.Write("data/t.csv", "x\n1\n-2\n3\n");
        var broken = Run(LockMode.Update, input);
        Assert.Contains(broken.Findings, f => f.Code == "MLG701");
        Assert.Null(broken.StagedLock);
    }

    [Fact]
    public void An_update_accepts_current_credentials_in_the_baseline_and_a_malformed_baseline_is_MLG803_and_kept()
    {
        var baseline = _project.Combine("mlguard.secrets-baseline.json");
        _project.Write("data/a.txt", "token " + _fakes.SlackToken().Text + "\n");
        var input = new DataInputItem("data/a.txt", null);

        var update = Run(LockMode.Update, SecretConfiguration.Load(null, baseline), input);
        var later = Run(LockMode.Auto, SecretConfiguration.Load(null, baseline), input);

        Assert.Empty(update.Findings);
        Assert.Contains("1 finding(s) in the training inputs accepted", Assert.Single(update.Notes), StringComparison.Ordinal);
        Assert.Empty(later.Findings);

        File.WriteAllText(baseline, "{ not json");
        var broken = Run(LockMode.Update, SecretConfiguration.Load(null, baseline), input);
        Assert.Equal(["MLG801", "MLG803"], broken.Findings.Select(f => f.Code).Order());
        Assert.Equal("{ not json", File.ReadAllText(baseline));
    }
}
