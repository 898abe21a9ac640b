namespace MlBuildGuard.Testing;

/// <summary>A fact that needs Linux (statx change times, FIFOs, mkfifo); skipped elsewhere with the reason.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux";
        }
    }
}
