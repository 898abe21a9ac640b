namespace MlBuildGuard.Core.Diagnostics;

/// <summary>How a finding is reported: an error fails the build, a warning does not, a message is informational.</summary>
public enum Severity
{
    Message,
    Warning,
    Error,
}
