namespace MlBuildGuard.Core.Models.Formats.Keras;

/// <summary>
/// TensorFlow ops that call back into Python or touch files, with what they do. A SavedModel graph and a TensorFlow Lite
/// model's Flex ops (TensorFlow kernels run by the Flex delegate) are both judged by this list.
/// </summary>
internal static class TensorFlowOps
{
    public static IReadOnlyDictionary<string, string> Dangerous { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PyFunc"] = "calls back into Python",
        ["PyFuncStateless"] = "calls back into Python",
        ["EagerPyFunc"] = "calls back into Python",
        ["ReadFile"] = "reads files",
        ["WriteFile"] = "writes files",
        ["MatchingFiles"] = "lists files",
        ["Save"] = "writes checkpoint files",
        ["SaveV2"] = "writes checkpoint files",
        ["SaveSlices"] = "writes checkpoint files",
        ["MergeV2Checkpoints"] = "writes checkpoint files",
    };
}
