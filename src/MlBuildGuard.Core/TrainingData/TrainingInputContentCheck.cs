using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.PersonalData;

namespace MlBuildGuard.Core.TrainingData;

/// <summary>
/// What one read of a training input finds besides its digest: credentials (MLG801, every byte), for a table (CSV, TSV,
/// JSON Lines, Parquet) the columns holding personal data (MLG802, counts only), and, for an input with a schema, the
/// schema's verdict and the input's profile (MLG701–MLG704, <see cref="Validation"/>), all in the one read that hashes it.
/// The stamp cache keeps the credentials and personal data under <see cref="Key"/> and the verdict cache keeps the
/// schema's verdict under the digest, so an unchanged input is not read again.
/// </summary>
public sealed class TrainingInputContentCheck : IFileContentCheck
{
    private const string Version = "training-input-content-2";

    private readonly Func<SecretRuleSet> _rules;
    private readonly bool _rulesSeeEveryKey;
    private readonly string? _rulePath;
    private readonly TableFormat? _format;
    private readonly DataInputPlan? _plan;
    private readonly DataVerdictCache? _verdicts;

    /// <param name="rulesKey">Names the secret rules (<see cref="SecretConfiguration.RulesKey"/>).</param>
    /// <param name="rulePath">The input's path as gitleaks path rules and allowlists see it (project-relative).</param>
    /// <param name="format">The input's table format, or null for a file that is not a table (secrets only).</param>
    /// <param name="plan">The input's schema validation, run in the same read; null for an input without a schema.</param>
    /// <param name="verdicts">Where a verdict reached in the read is kept, by digest; null for nowhere.</param>
    public TrainingInputContentCheck(SecretRuleSet rules, string rulesKey, string? rulePath, TableFormat? format, DataInputPlan? plan = null,
        DataVerdictCache? verdicts = null)
        : this(() => rules, rules.SeesEveryPrivateKey, rulesKey, rulePath, format, plan, verdicts)
    {
    }

    /// <summary>
    /// As the other constructor, with the rules of <paramref name="secrets"/>, which are only built when a file is read (an
    /// unchanged rebuild answers every input from the stamp cache and never needs them).
    /// </summary>
    public TrainingInputContentCheck(SecretConfiguration secrets, string? rulePath, TableFormat? format, DataInputPlan? plan = null,
        DataVerdictCache? verdicts = null)
        : this(() => secrets.Rules, secrets.SeesEveryPrivateKey, secrets.RulesKey, rulePath, format, plan, verdicts)
    {
    }

    private TrainingInputContentCheck(Func<SecretRuleSet> rules, bool rulesSeeEveryKey, string rulesKey, string? rulePath, TableFormat? format,
        DataInputPlan? plan, DataVerdictCache? verdicts)
    {
        _rules = rules;
        _rulesSeeEveryKey = rulesSeeEveryKey;
        _rulePath = rulePath;
        _format = plan?.Format ?? format;
        _plan = plan;
        _verdicts = verdicts;
        // The schema names the columns a JSON Lines reader takes, so the personal data found can depend on it. The input's path
        // (which gitleaks path rules see) is not in the key: the stamp cache keeps one entry per path already, so thousands
        // of inputs share one key, which the cache stores once.
        Key = $"{Version}|{rulesKey}|{_format?.Name() ?? "bytes"}|{PiiColumnScanner.DefaultMinShare.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            + (plan is null ? "" : $"|schema:{plan.Schema.Digest}");
    }

    public string Key { get; }

    public FileContentFindings Findings { get; private set; } = FileContentFindings.None;

    public bool ReportsEveryPrivateKey(FileContentFindings found) => _rulesSeeEveryKey && found.SecretsOmitted == 0;

    /// <summary>The schema's verdict reached in <see cref="Read"/>, for an input with a schema.</summary>
    public DataValidationResult? Validation { get; private set; }

    public FileDigest Read(string path, CancellationToken cancellationToken)
    {
        var secrets = new SecretScanner(_rules(), _rulePath);
        if (_format is not { } format)
        {
            var digest = Sha256File.Compute(path, secrets, cancellationToken);
            Findings = new FileContentFindings { Secrets = secrets.Complete(), SecretsOmitted = secrets.Omitted };
            return digest;
        }

        var pii = new PiiColumnScanner();
        FileDigest read;
        DataFormatException? problem;
        if (_plan is { } plan)
        {
            Validation = TrainingDataValidator.Validate(plan.Request(null, _verdicts, secrets, new PiiTableSink(pii)), cancellationToken);
            (read, problem) = (Validation.Digest!.Value, Validation.ReadProblem);
        }
        else
        {
            (read, problem) = TableFile.Read(path, format, null, new PiiTableSink(pii), secrets, cancellationToken);
        }

        Findings = new FileContentFindings
        {
            Secrets = secrets.Complete(),
            SecretsOmitted = secrets.Omitted,
            // A table that cannot be read is not reported as one: its columns are unknown, so none is named.
            PersonalData = problem is null ? pii.Results() : [],
            TableProblem = problem is { } e ? new TableReadProblem(format.Name(), e.Reason, e.Line, e.Column) : null,
        };
        return read;
    }
}
