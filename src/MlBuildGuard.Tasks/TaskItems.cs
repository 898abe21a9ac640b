using MlBuildGuard.Core.DataValidation;
using MlBuildGuard.Core.IO;
using MlBuildGuard.Core.TrainingInputs;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks;

/// <summary>
/// The guards' items as the core takes them, read in one pass over thousands of items: each item's path and the metadata
/// a guard needs, asked for once.
/// </summary>
internal static class TaskItems
{
    /// <summary>An item's metadata, or null when it is empty or blank.</summary>
    public static string? Metadata(ITaskItem item, string name) => NullIfEmpty(item.GetMetadata(name));

    public static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>Each item's full path (relative ones against <paramref name="projectDirectory"/>), skipping those <paramref name="skip"/> names.</summary>
    public static string[] FullPaths(ITaskItem[] items, string projectDirectory, Func<string, bool>? skip = null)
    {
        var paths = new List<string>(items.Length);
        foreach (var item in items)
        {
            var spec = item.ItemSpec;
            if (skip is null || !skip(spec))
            {
                paths.Add(PathSafety.FullPath(spec, projectDirectory));
            }
        }

        return [.. paths];
    }

    /// <summary><c>@(MlTrainingInput)</c> with the metadata the training-data check reads.</summary>
    public static DataInputItem[] DataInputs(ITaskItem[] items)
    {
        var inputs = new DataInputItem[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            inputs[i] = new DataInputItem(item.ItemSpec, Metadata(item, "Schema"), Metadata(item, "Format"), Metadata(item, "MaxDrift"), Metadata(item, "Pii"));
        }

        return inputs;
    }

    /// <summary><c>@(MlTrainingInput)</c> with the metadata the training-input guard records.</summary>
    public static TrainingInputItem[] TrainingInputs(ITaskItem[] items)
    {
        var inputs = new TrainingInputItem[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            inputs[i] = new TrainingInputItem(items[i].ItemSpec, Metadata(items[i], "Source"));
        }

        return inputs;
    }
}
