using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.PersonalData;

namespace MlBuildGuard.Core.TrainingData;

/// <summary>
/// What one read of a training input finds besides its digest: credentials (MLG801, every byte) and, for a table (CSV,
/// TSV, JSON Lines, Parquet), the columns holding personal data (MLG802, counts only). The stamp cache keeps the result
/// under <see cref="Key"/>, so an unchanged input is not read again.
/// </summary>
public sealed class TrainingInputContentCheck : IFileContentCheck
{
    private const string Version = "training-input-content-1";

    private readonly SecretRuleSet _rules;
    private readonly string? _rulePath;
    private readonly TableFormat? _format;

    /// <param name="rulesKey">Names the secret rules (<see cref="SecretConfiguration.RulesKey"/>).</param>
    /// <param name="rulePath">The input's path as gitleaks path rules and allowlists see it (project-relative).</param>
    /// <param name="format">The input's table format, or null for a file that is not a table (secrets only).</param>
    public TrainingInputContentCheck(SecretRuleSet rules, string rulesKey, string? rulePath, TableFormat? format)
    {
        _rules = rules;
        _rulePath = rulePath;
        _format = format;
        Key = $"{Version}|{rulesKey}|{rulePath}|{format?.Name() ?? "bytes"}|{PiiColumnScanner.DefaultMinShare.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    public string Key { get; }

    public FileContentFindings Findings { get; private set; } = FileContentFindings.None;

    public FileDigest Read(string path, CancellationToken cancellationToken)
    {
        var secrets = new SecretScanner(_rules, _rulePath);
        if (_format is not { } format)
        {
            var digest = Sha256File.Compute(path, secrets, cancellationToken);
            Findings = new FileContentFindings { Secrets = secrets.Complete(), SecretsOmitted = secrets.Omitted };
            return digest;
        }

        var pii = new PiiColumnScanner();
        var read = TableFile.Read(path, format, null, new PiiTableSink(pii), secrets, cancellationToken);
        Findings = new FileContentFindings
        {
            Secrets = secrets.Complete(),
            SecretsOmitted = secrets.Omitted,
            // A table that cannot be read is not reported as one: its columns are unknown, so none is named.
            PersonalData = read.Problem is null ? pii.Results() : [],
            TableProblem = read.Problem is { } e ? new TableReadProblem(format.Name(), e.Reason, e.Line, e.Column) : null,
        };
        return read.Digest;
    }
}
