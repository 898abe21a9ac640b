using System.Reflection;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace MlBuildGuard.Tasks;

/// <summary>
/// What every MlBuildGuard task shares: <see cref="Execute"/> never throws (an unexpected failure is <c>MLG004</c> with a
/// one-line cause), findings pass through the project's suppressions, are logged with code, file, line and help link so
/// <c>NoWarn</c> / <c>WarningsAsErrors</c> / <c>-warnaserror</c> apply, and are recorded for the SARIF log.
/// </summary>
public abstract class MlGuardTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The project folder; relative paths are taken from here.</summary>
    [Required]
    public string ProjectDirectory { get; set; } = "";

    /// <summary>The project file; findings without a better place point here.</summary>
    [Required]
    public string ProjectFile { get; set; } = "";

    /// <summary><c>@(MlGuardSuppression)</c>.</summary>
    public ITaskItem[] Suppressions { get; set; } = [];

    /// <summary>Where the SARIF log of the build goes (<c>$(MlGuardSarifFile)</c>); empty for none.</summary>
    public string? SarifFile { get; set; }

    /// <summary>Folder holding each guard's findings of this build, from which the SARIF log is assembled.</summary>
    public string? FindingsDirectory { get; set; }

    /// <summary><c>$(MSBuildWarningsAsMessages)</c> (which carries <c>NoWarn</c>), so the SARIF log shows silenced warnings as such.</summary>
    public string? WarningsAsMessages { get; set; }

    /// <summary>
    /// True when the configuration or a guard that ran earlier in this build reported errors: the build fails, so this
    /// guard reports but writes nothing.
    /// </summary>
    public bool ConfigurationFailed { get; set; }

    /// <summary>The date suppressions are checked against; <c>yyyy-MM-dd</c>, default today (UTC). For tests and reproducible CI.</summary>
    public string? Today { get; set; }

    /// <summary>What this guard checked or wrote, for the build's summary line (<c>@(_MlGuardSummaryFact)</c>).</summary>
    [Output]
    public ITaskItem[] SummaryFacts => [.. _facts];

    protected CancellationToken CancellationToken => _cancel.Token;

    private readonly List<ITaskItem> _facts = new();

    /// <summary>Counts something for the build's summary line (<see cref="Core.Reporting.BuildSummary"/>'s kinds).</summary>
    protected void Summarize(string kind, int count)
    {
        if (count > 0)
        {
            var item = new TaskItem(kind);
            item.SetMetadata("Count", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _facts.Add(item);
        }
    }

    /// <summary>Short name of the guard for messages and its findings file, e.g. <c>training-inputs</c>.</summary>
    protected abstract string GuardName { get; }

    public void Cancel() => _cancel.Cancel();

    public sealed override bool Execute()
    {
        var findings = new List<Finding>();
        try
        {
            Run(findings);
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogMessage(MessageImportance.High, $"MlBuildGuard {GuardName}: cancelled; nothing was written.");
            return false;
        }
        catch (Exception e)
        {
            findings.Add(Finding.Create(RuleCatalog.InternalFailure, new SourceLocation(ProjectFile), null, GuardName, OneLine(e)));
        }

        try
        {
            Report(findings);
        }
        catch (Exception e)
        {
            LogFinding(Finding.Create(RuleCatalog.InternalFailure, new SourceLocation(ProjectFile), null, GuardName + " reporting", OneLine(e)));
        }

        return !Log.HasLoggedErrors;
    }

    /// <summary>Does the guard's work and adds its findings; anything thrown becomes MLG004.</summary>
    protected abstract void Run(List<Finding> findings);

    /// <summary>
    /// A progress log for this guard's hashing: a run that reads more than a few hundred MB says at high importance what it
    /// hashes, how far it has got every few seconds, and its throughput at the end.
    /// </summary>
    protected Core.Hashing.HashProgressLog HashingLog() =>
        new("MlBuildGuard " + GuardName, line => Log.LogMessage(MessageImportance.High, line));

    protected string FullPath(string path) => Path.GetFullPath(path, ProjectDirectory);

    /// <summary>The full path of an optional path property, or null when it is empty.</summary>
    protected string? FullPathOrNull(string? path) => string.IsNullOrWhiteSpace(path) ? null : FullPath(path);

    protected DateOnly ResolveToday() =>
        DateOnly.TryParseExact(Today, "yyyy-MM-dd", out var d) ? d : DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>The suppression declarations as written; each task item's identity is the rule code.</summary>
    protected IEnumerable<SuppressionDeclaration> SuppressionDeclarations() => Suppressions.Select(s => new SuppressionDeclaration(
        s.ItemSpec,
        NullIfEmpty(s.GetMetadata("Subject")),
        NullIfEmpty(s.GetMetadata("Justification")),
        NullIfEmpty(s.GetMetadata("Expires")),
        new SourceLocation(ProjectFile)));

    /// <summary>The valid, unexpired suppressions; problems with them are MlGuardValidateConfiguration's to report, once.</summary>
    protected SuppressionSet ActiveSuppressions() => SuppressionSet.Parse(SuppressionDeclarations(), ResolveToday(), new List<Finding>());

    /// <summary>Whether any suppression is invalid or expired (MLG002/MLG003 errors, reported by MlGuardValidateConfiguration).</summary>
    protected bool HasSuppressionErrors()
    {
        var problems = new List<Finding>();
        SuppressionSet.Parse(SuppressionDeclarations(), ResolveToday(), problems);
        return problems.Count > 0;
    }

    /// <summary>Codes the build turns into messages (<c>NoWarn</c> reaches tasks through <c>MSBuildWarningsAsMessages</c>).</summary>
    protected IReadOnlySet<string> SilencedCodes() =>
        (WarningsAsMessages ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the build will count a warning with this code as an error.</summary>
    protected bool WarningIsError(string code) => BuildEngine is IBuildEngine8 engine && engine.ShouldTreatWarningAsError(code);

    private void Report(List<Finding> findings)
    {
        var applied = ActiveSuppressions().Apply(findings);
        var silenced = SilencedCodes();
        var records = new List<FindingRecord>();
        foreach (var finding in applied)
        {
            var effective = LogFinding(finding);
            records.Add(FindingRecord.From(finding, effective, finding.Severity == Severity.Warning && silenced.Contains(finding.Code)));
        }

        if (!string.IsNullOrEmpty(FindingsDirectory))
        {
            var folder = FullPath(FindingsDirectory);
            // Parallel builds of the project (each framework, -m, several builds at once) take turns, so the SARIF log
            // written last was made from every findings file written before it.
            var sarifPath = string.IsNullOrEmpty(SarifFile) ? null : FullPath(SarifFile);
            using (Core.IO.CrossProcessLock.Acquire(sarifPath ?? folder, TimeSpan.FromMinutes(2), CancellationToken))
            {
                var (findingsFile, changed) = FindingStore.Write(folder, GuardName, records);
                if (sarifPath is not null && !FindingStore.SarifIsCurrent(sarifPath, findingsFile, changed, ToolVersion))
                {
                    var sarif = SarifWriter.ToBytes(FindingStore.ReadAll(SarifSources(folder)), ProjectDirectory, ToolVersion);
                    // A log that already holds these bytes was scanned with these rules when it was written (the bytes name
                    // this MlBuildGuard version): a no-change build neither loads the secret rules nor rewrites it.
                    if (!Core.IO.AtomicFile.Holds(sarifPath, sarif))
                    {
                        foreach (var leak in Core.Secrets.PublishedDocumentGuard.WriteIfClean(sarifPath, sarif, Core.Secrets.SecretRuleSet.BuiltIn))
                        {
                            LogFinding(leak); // not recorded in the SARIF log it keeps from being written
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The folder whose findings files make the project's SARIF log: the project's own, of which each framework of a
    /// multi-targeted project has a subfolder (<c>findings/net9.0/</c>), so the frameworks' guards do not overwrite each other.
    /// </summary>
    protected static string SarifSources(string folder)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(folder);
        return Path.GetFileName(trimmed) == "findings" ? trimmed : Path.GetDirectoryName(trimmed)!;
    }

    /// <summary>Logs one finding; returns the severity the build will count it at.</summary>
    private Severity LogFinding(Finding finding)
    {
        var file = finding.Location?.FilePath ?? ProjectFile;
        var line = finding.Location?.Line ?? 0;
        var column = finding.Location?.Column ?? 0;
        if (finding.SuppressedBy is { } s)
        {
            Log.LogMessage(null, finding.Code, finding.Code, file, line, column, 0, 0, MessageImportance.Normal,
                $"{finding.Code} suppressed until {s.Expires:yyyy-MM-dd} ({s.Justification}): {finding.Message}");
            return Severity.Message;
        }

        switch (finding.Severity)
        {
            case Severity.Error:
                Log.LogError(null, finding.Code, finding.Code, finding.Rule.HelpUri, file, line, column, 0, 0, finding.Message);
                return Severity.Error;
            case Severity.Warning:
                Log.LogWarning(null, finding.Code, finding.Code, finding.Rule.HelpUri, file, line, column, 0, 0, finding.Message);
                return WarningIsError(finding.Code) ? Severity.Error : Severity.Warning;
            default:
                // Informational findings (MLG601 off CI) are a word in the build's summary line, not a line of their own at -v:m.
                Log.LogMessage(null, finding.Code, finding.Code, file, line, column, 0, 0, MessageImportance.Normal, finding.Message);
                return Severity.Message;
        }
    }

    protected static string OneLine(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        var cut = text.IndexOfAny(['\r', '\n']);
        return cut >= 0 ? text[..cut] : text;
    }

    protected static string? NullIfEmpty(string? s) => TaskItems.NullIfEmpty(s);

    /// <summary>
    /// Whether a guard already ran under <paramref name="key"/> in this build (a multi-targeted project is built once per
    /// framework, and the first build of the project in the process does the work); registers the key when it did not.
    /// </summary>
    protected bool AlreadyRanInThisBuild(string key)
    {
        if (BuildEngine is not IBuildEngine4 engine)
        {
            return false;
        }

        if (engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is not null)
        {
            return true;
        }

        engine.RegisterTaskObject(key, new object(), RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return false;
    }

    /// <summary>
    /// What the guards that run before compilation in this build of this project (the same global properties, so each
    /// framework build of a multi-targeted project has its own) learned about its files: each file is looked at once and
    /// each changed input read once (<see cref="Core.IO.BuildFileLedger"/>). Held in memory for the build, never written.
    /// </summary>
    protected Core.IO.BuildFileLedger SharedFiles()
    {
        if (BuildEngine is not IBuildEngine4 engine)
        {
            return new Core.IO.BuildFileLedger(ProjectDirectory);
        }

        var globals = BuildEngine is IBuildEngine6 six
            ? string.Join('\n', six.GetGlobalProperties().OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => $"{p.Key}={p.Value}"))
            : "";
        var key = $"MlBuildGuard.BuildFileLedger|{FullPath(ProjectFile)}|{globals}";
        if (engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is Core.IO.BuildFileLedger shared)
        {
            return Core.IO.BuildFileLedger.For(shared, ProjectDirectory);
        }

        var ledger = new Core.IO.BuildFileLedger(ProjectDirectory);
        engine.RegisterTaskObject(key, ledger, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: true);
        return ledger;
    }

    /// <summary>An item's metadata, or null when it is empty or blank.</summary>
    protected static string? Metadata(ITaskItem item, string name) => TaskItems.Metadata(item, name);

    /// <summary>
    /// MSBuild's escaping (<c>%XX</c>) of the characters it gives meaning to, for an item spec or metadata value set from a
    /// literal: a task item unescapes what it is given, so a file named <c>model%41.zip</c> would otherwise become
    /// <c>modelA.zip</c> in the next task.
    /// </summary>
    protected static string MsBuildEscape(string literal)
    {
        var escaped = new System.Text.StringBuilder(literal.Length);
        foreach (var c in literal)
        {
            if (c is '%' or '*' or '?' or '@' or '$' or '(' or ')' or ';' or '\'')
            {
                escaped.Append('%').Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    protected static string ToolVersion { get; } =
        typeof(MlGuardTask).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
