using System.Globalization;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Core.Secrets;

/// <summary>
/// How secret matches and configuration problems become findings (MLG606, MLG801, MLG803), shared by the build tasks and
/// the <c>mlguard</c> command. Nothing built here holds a secret: a match carries only its rule, place and fingerprint.
/// </summary>
public static class SecretFindings
{
    /// <summary>
    /// The finding for a match in <paramref name="file"/> (as the user should read it). A match in the file itself points
    /// at its line and column; one inside a view (an archive member, a model's metadata value) points at the file and says
    /// where in the view. <paramref name="holds"/> says what only belongs there, for MLG606 ("training data", "model data").
    /// </summary>
    public static Finding ToFinding(SecretMatch match, string file, string? subject = null, string holds = "data")
    {
        ArgumentNullException.ThrowIfNull(match);
        var where = Where(match);
        var location = match.View is null && match.Line > 0 ? new SourceLocation(file, match.Line, match.Column) : new SourceLocation(file);
        return match.Kind == SecretKind.PrivateKey
            ? Finding.Create(RuleCatalog.PrivateKeyExposed, location, subject ?? file, file,
                $"a PRIVATE KEY block at {where}, fingerprint {match.Fingerprint}", holds)
            : Finding.Create(RuleCatalog.CredentialFound, location, subject ?? file, file, match.Description, where, match.RuleId, match.Fingerprint);
    }

    /// <summary>Where a match is, in words: "line 3, column 14", "config.json, line 1, column 5", or "the file name" for a path rule.</summary>
    public static string Where(SecretMatch match)
    {
        ArgumentNullException.ThrowIfNull(match);
        var position = match.Line > 0
            ? string.Create(CultureInfo.InvariantCulture, $"line {match.Line}, column {match.Column}")
            : "its path";
        return match.View is null ? position : $"{match.View}, {position}";
    }

    /// <summary>MLG803: a secret rule file or baseline that cannot be used, at the line and column of the problem (0 = unknown).</summary>
    public static Finding Invalid(string file, string what, string reason, int line = 0, int column = 0) =>
        Finding.Create(RuleCatalog.SecretConfigurationInvalid, new SourceLocation(file, line, column), file, file, what, reason);
}
