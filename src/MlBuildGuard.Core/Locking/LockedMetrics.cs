namespace MlBuildGuard.Core.Locking;

/// <summary>
/// One <c>MlModelMetrics</c> file's entry in the lock (<c>modelMetrics</c>, SPEC §4): each metric's value, and the SHA-256
/// of each evaluation input it was computed on, so a later comparison knows whether the baseline is comparable.
/// </summary>
public sealed record LockedMetrics(SortedDictionary<string, double> Metrics, SortedDictionary<string, string> EvaluationInputs)
{
    public bool ContentEquals(LockedMetrics other) => Metrics.SequenceEqual(other.Metrics) && EvaluationInputs.SequenceEqual(other.EvaluationInputs);
}
