using System.Globalization;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.TrainingInputs;

/// <summary>
/// The training-input guard's last answer (<see cref="GuardVerdict"/>): while no input, the lock or a file that declares
/// the items moved and the items and settings are the same, a rebuild replays it: no digest is taken, the lock is not
/// opened, the declaring files are not parsed. Kept only for a build that stages its lock changes (MSBuild), in
/// <c>Auto</c> mode with a stamp cache (never in CI, <c>Locked</c> or <c>Update</c> builds), and only for an answer
/// that staged nothing, wrote nothing and found no error.
/// </summary>
internal sealed class TrainingInputAnswer
{
    private readonly GuardVerdict _verdict;

    private TrainingInputAnswer(GuardVerdict verdict) => _verdict = verdict;

    public static TrainingInputAnswer? Of(TrainingInputRequest request, string lockPath, BuildFileLedger files, CancellationToken cancellationToken)
    {
        if (request.Mode != LockMode.Auto || request.StagingDirectory is null
            || GuardVerdict.At(GuardVerdict.BesideCache(request.CacheFilePath), "training-inputs") is not { } verdict)
        {
            return null;
        }

        verdict.Add(request.ProjectDirectory).Add(request.ProjectFile).Add(lockPath).Add(request.RecordsLock.ToString())
            .Add(request.BuildAlreadyFails.ToString()).Add(request.StagingDirectory);
        var inputs = new string[request.Items.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var item = request.Items[i];
            verdict.Add(item.Path).Add(item.Source);
            inputs[i] = PathSafety.FullPath(item.Path, request.ProjectDirectory);
        }

        foreach (var declaring in request.DeclaringFiles)
        {
            verdict.Add(declaring);
        }

        var looks = files.LookAll(inputs, cancellationToken);
        verdict.RestsInOrder(looks).Rests(files, lockPath).Rests(files, request.DeclaringFiles);
        return new TrainingInputAnswer(verdict);
    }

    public TrainingInputResult? Replay()
    {
        if (_verdict.TryReplay() is not { } replay || !int.TryParse(replay.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return null;
        }

        var result = new TrainingInputResult { FilesFromCache = count, LockUnchanged = true };
        result.Findings.AddRange(replay.Findings);
        return result;
    }

    public void Record(TrainingInputResult result)
    {
        if (result.StagedLock is not null || result.LockWritten || result.Notes.Count > 0 || result.Findings.Any(f => f.Severity == Severity.Error))
        {
            _verdict.Forget();
            return;
        }

        var inputs = result.FilesRead + result.FilesFromCache + result.FilesReadByOtherGuard;
        _verdict.Record(result.Findings, inputs.ToString(CultureInfo.InvariantCulture));
    }
}
