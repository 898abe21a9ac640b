using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Reporting;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// The line a guarded build ends with (SPEC §3), at high importance so that it shows at <c>-v:m</c>: what the guards
/// checked and what they wrote, from the facts each of them counted (<see cref="BuildSummary"/>). In a multi-targeted
/// project the outer build says it once, with every framework's sealed models; a framework build leaves it to the outer
/// build when one is running. It also says which suppressions matched no finding of the build (MLG005).
/// </summary>
public sealed class MlGuardReportSummary : MlGuardTask
{
    /// <summary><c>@(_MlGuardSummaryFact)</c>: ItemSpec a kind, metadata <c>Count</c>.</summary>
    public ITaskItem[] Facts { get; set; } = [];

    /// <summary><c>$(_MlGuardLockRole)</c>: see <see cref="LockRoles"/>.</summary>
    public string? LockRole { get; set; }

    /// <summary><c>obj/mlguard/</c>, where an outer build's claim lives.</summary>
    public string? StateDirectory { get; set; }

    protected override string GuardName => "summary";

    protected override void Run(List<Finding> findings)
    {
        if (LockRoles.LeftToOuterBuild(LockRole, string.IsNullOrEmpty(StateDirectory) ? null : FullPath(StateDirectory)))
        {
            return;
        }

        var active = ActiveSuppressions().Active;
        if (!string.IsNullOrEmpty(FindingsDirectory) && active.Count > 0)
        {
            // MLG005: every guard of this build has recorded its findings by now, each with the suppression that matched it.
            var records = FindingStore.ReadAll(SarifSources(FullPath(FindingsDirectory)));
            findings.AddRange(UnusedSuppressions.Find(active, records, new SourceLocation(ProjectFile)));
        }

        var facts = Facts.Select(f => new SummaryFact(f.ItemSpec,
            int.TryParse(f.GetMetadata("Count"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0));
        Log.LogMessage(MessageImportance.High, BuildSummary.Line(facts) ?? "MlBuildGuard: nothing to check in this project.");
    }
}
