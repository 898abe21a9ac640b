using System.Buffers;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Containers;

namespace MlBuildGuard.Core.Secrets.Files;

/// <summary>What scanning one file found: matches in the file's bytes and in its archive members, and what could not be read.</summary>
/// <param name="Path">The file as the caller named it.</param>
/// <param name="Matches">The matches, the file's own first, then each member's (with its view <c>FILE!member</c>).</param>
/// <param name="Problems">Why a part was not scanned (an unreadable member, a scan limit), in words, without content.</param>
/// <param name="Omitted">Matches beyond the per-scan limit, counted only.</param>
public sealed record SecretFileResult(string Path, IReadOnlyList<SecretMatch> Matches, IReadOnlyList<string> Problems, int Omitted);

/// <summary>
/// Scans files for secrets: every byte of the file as it is on disk (text or binary; strings inside models, such as
/// ONNX metadata or pickle string constants, are stored as plain bytes and are found there), and, for a zip archive
/// (a PyTorch <c>.pt</c>, a <c>.npz</c>, a Keras <c>.keras</c>, any <c>.zip</c>), every member decompressed, reported
/// under the view <c>archive.zip!member</c>. Reading is streamed with a 1 MiB buffer; archive members are bounded by
/// the model scanner's limits (<see cref="ScanLimits"/>), so a zip bomb costs at most those limits.
/// </summary>
public static class SecretFileScanner
{
    private const int BufferSize = 1 << 20;

    public static SecretFileResult Scan(string path, SecretRuleSet rules, string? rulePath = null, ScanLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        });
        var problems = new List<string>();
        var own = new SecretScanner(rules, rulePath);
        Feed(stream, own, cancellationToken);
        var matches = new List<SecretMatch>(own.Complete());
        var omitted = own.Omitted;

        if (stream.CanSeek && ZipReader.HasDirectory(stream))
        {
            var (members, membersOmitted) = ScanMembers(stream, path, rules, rulePath, limits ?? new ScanLimits(), problems, cancellationToken);
            omitted += membersOmitted;
            // A stored member's bytes are also the file's: keep the member's view, which says where the secret is.
            var inMembers = members.Select(m => (m.RuleId, m.Fingerprint)).ToHashSet();
            matches.RemoveAll(m => inMembers.Contains((m.RuleId, m.Fingerprint)));
            matches.AddRange(members);
        }

        return new SecretFileResult(path, matches, problems, omitted);
    }

    private static (List<SecretMatch> Matches, int Omitted) ScanMembers(FileStream stream, string path, SecretRuleSet rules, string? rulePath,
        ScanLimits limits, List<string> problems, CancellationToken cancellationToken)
    {
        var matches = new List<SecretMatch>();
        var omitted = 0;
        List<ZipEntry> entries;
        try
        {
            entries = ZipReader.ReadDirectory(stream, limits);
        }
        catch (Exception e) when (e is InvalidDataException or ScanLimitException or IOException or OverflowException)
        {
            problems.Add($"its zip directory cannot be read ({e.Message}); only its raw bytes were scanned");
            return (matches, omitted);
        }

        var context = new ModelScanContext(path, new ScanOptions { Limits = limits }, cancellationToken);
        foreach (var entry in entries.Where(e => !e.Name.EndsWith('/')))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var view = $"{Path.GetFileName(path)}!{entry.Name}";
            try
            {
                using var data = ZipReader.Open(stream, entry, context);
                var scanner = new SecretScanner(rules, rulePath is null ? null : rulePath + "!" + entry.Name, view);
                Feed(data, scanner, cancellationToken);
                matches.AddRange(scanner.Complete());
                omitted += scanner.Omitted;
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or ScanLimitException or IOException)
            {
                problems.Add($"member '{entry.Name}' was not scanned: {e.Message}");
            }
        }

        return (matches, omitted);
    }

    private static void Feed(Stream stream, SecretScanner scanner, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                scanner.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
