using System.Globalization;
using System.Text;
using System.Text.Json;
using MlBuildGuard.Core.Configuration;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.IO;

namespace MlBuildGuard.Core.TrainingData;

/// <summary>
/// The training-data check's last answer (<see cref="GuardVerdict"/>): while no input, schema, lock, rule file or baseline
/// moved and the settings are the same, a rebuild replays its findings and personal-data kinds without loading the stamp
/// cache or looking inside any file. Kept only in <c>Auto</c> mode with a stamp cache (never in CI, <c>Locked</c> or
/// <c>Update</c> builds), and only for an answer that staged nothing, wrote nothing and found no error.
/// </summary>
internal sealed class TrainingDataAnswer
{
    private readonly GuardVerdict _verdict;

    private TrainingDataAnswer(GuardVerdict verdict) => _verdict = verdict;

    public static TrainingDataAnswer? Of(TrainingDataRequest request, BuildFileLedger files, CancellationToken cancellationToken)
    {
        if (request.Mode != LockMode.Auto || GuardVerdict.At(GuardVerdict.BesideCache(request.CacheFilePath), "training-data") is not { } verdict)
        {
            return null;
        }

        verdict.Add(request.ProjectDirectory).Add(request.LockFilePath).Add(request.RecordsLock.ToString()).Add(request.BuildAlreadyFails.ToString())
            .Add(request.StagingDirectory).Add(request.VerdictCacheDirectory).Add(request.Secrets.RulesKey).Add(request.Secrets.BaselinePath);
        var inputs = new string[request.Inputs.Count];
        var schemas = new List<string>();
        for (var i = 0; i < inputs.Length; i++)
        {
            var item = request.Inputs[i];
            verdict.Add(item.Path).Add(item.Schema).Add(item.Format).Add(item.MaxDrift).Add(item.Pii);
            inputs[i] = PathSafety.FullPath(item.Path, request.ProjectDirectory);
            if (!string.IsNullOrWhiteSpace(item.Schema))
            {
                schemas.Add(Path.GetFullPath(item.Schema.Trim(), request.ProjectDirectory));
            }
        }

        var looks = files.LookAll(inputs, cancellationToken);
        verdict.RestsInOrder(looks).Rests(files, schemas).Rests(files, request.LockFilePath);
        if (request.Secrets.BaselinePath is { } baseline)
        {
            verdict.Rests(files, baseline);
        }

        return new TrainingDataAnswer(verdict);
    }

    /// <summary>The last answer, when it still holds; <paramref name="primeDigests"/> is left with the ledger for a guard that needs the digests after all.</summary>
    public TrainingDataResult? Replay(BuildFileLedger files, Action primeDigests)
    {
        if (_verdict.TryReplay() is not { } replay || Parse(replay.Payload) is not var (count, kinds))
        {
            return null;
        }

        var result = new TrainingDataResult { FilesFromCache = count };
        result.Findings.AddRange(replay.Findings);
        foreach (var (key, value) in kinds)
        {
            result.PersonalDataKinds[key] = value;
        }

        files.DigestsOnRequest(primeDigests);
        return result;
    }

    public void Record(TrainingDataResult result)
    {
        if (result.StagedLock is not null || result.Notes.Count > 0 || result.Findings.Any(f => f.Severity == Severity.Error))
        {
            _verdict.Forget();
            return;
        }

        var inputs = (result.FilesRead + result.FilesFromCache).ToString(CultureInfo.InvariantCulture);
        if (result.PersonalDataKinds.Count == 0)
        {
            _verdict.Record(result.Findings, inputs); // the usual answer, replayed without a JSON reader
            return;
        }

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, kinds) in result.PersonalDataKinds)
            {
                json.WriteStartArray(key);
                foreach (var kind in kinds)
                {
                    json.WriteStringValue(kind);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        _verdict.Record(result.Findings, inputs + " " + Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>The payload: the number of inputs, then, when personal data was found, a JSON object of the kinds per input.</summary>
    private static (int Count, List<(string Key, IReadOnlyList<string> Kinds)> Kinds)? Parse(string payload)
    {
        var space = payload.IndexOf(' ', StringComparison.Ordinal);
        if (!int.TryParse(space < 0 ? payload : payload[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return null;
        }

        var kinds = new List<(string, IReadOnlyList<string>)>();
        if (space < 0)
        {
            return (count, kinds);
        }

        try
        {
            using var document = JsonDocument.Parse(payload[(space + 1)..]);
            foreach (var input in document.RootElement.EnumerateObject())
            {
                kinds.Add((input.Name, [.. input.Value.EnumerateArray().Select(k => k.GetString() ?? throw new FormatException())]));
            }

            return (count, kinds);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
