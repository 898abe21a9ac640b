using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;

namespace MlBuildGuard.Tasks;

/// <summary>
/// Checks MlBuildGuard's own configuration once per project build: property values (<c>MLG002</c>) and suppressions
/// (<c>MLG002</c> when incomplete, <c>MLG003</c> when expired).
/// </summary>
public sealed class MlGuardValidateConfiguration : MlGuardTask
{
    public string? LockMode { get; set; }

    public string? UpdateLock { get; set; }

    public string? ContinuousIntegrationBuild { get; set; }

    /// <summary>Boolean switches by name (item identity = property name, <c>Value</c> metadata = its value).</summary>
    public Microsoft.Build.Framework.ITaskItem[] BooleanProperties { get; set; } = [];

    protected override string GuardName => "configuration";

    protected override void Run(List<Finding> findings)
    {
        var at = new SourceLocation(ProjectFile);
        LockModeParser.Resolve(LockMode, UpdateLock, ContinuousIntegrationBuild, out var errors);
        foreach (var error in errors)
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, at, null, error));
        }

        if (!string.IsNullOrEmpty(Today) && !DateOnly.TryParseExact(Today, "yyyy-MM-dd", out _))
        {
            findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, at, null, $"MlGuardToday is '{Today}'; use a date in the form yyyy-MM-dd"));
        }

        foreach (var property in BooleanProperties)
        {
            var value = property.GetMetadata("Value");
            if (!LockModeParser.TryParseBool(value, out _))
            {
                findings.Add(Finding.Create(RuleCatalog.InvalidConfiguration, at, null, $"{property.ItemSpec} is '{value}'; use true or false"));
            }
        }

        SuppressionSet.Parse(SuppressionDeclarations(), ResolveToday(), findings);
    }
}
