using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace MlBuildGuard.Fuzz.Tests;

/// <summary>
/// How many mutations each parser gets: <see cref="DefaultIterations"/> in an ordinary test run (CI), 100,000 with
/// <c>MLGUARD_FUZZ=long</c>, or exactly <c>MLGUARD_FUZZ_ITERATIONS</c>. <c>MLGUARD_FUZZ_SEED</c> changes the seeds (the
/// default ones are fixed, so a CI failure reproduces); <c>MLGUARD_FUZZ_REPORT</c> names a file that gets one tab-separated
/// line per parser: name, mutations, crashes, hangs, seconds.
/// </summary>
internal static class FuzzSettings
{
    public const int DefaultIterations = 300;

    public const int LongIterations = 100_000;

    public static int Iterations { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MLGUARD_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : string.Equals(Environment.GetEnvironmentVariable("MLGUARD_FUZZ"), "long", StringComparison.OrdinalIgnoreCase) ? LongIterations
        : DefaultIterations;

    public static int SeedOffset { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MLGUARD_FUZZ_SEED"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) ? s : 0;

    public static string? ReportFile { get; } = Environment.GetEnvironmentVariable("MLGUARD_FUZZ_REPORT");

    /// <summary>Longer than any parser needs for any input here; only a hang or a runaway loop reaches it.</summary>
    public static TimeSpan HangAfter { get; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Drives one parser with mutations of valid samples: byte-level ones (<see cref="InputMutator"/>) and, when given,
/// structure-aware ones. <c>check</c> feeds one input to the parser through the entry point the build or the command
/// line uses and throws when the outcome is not one the parser may give (an unexpected exception, an internal-failure
/// finding, an "Unhandled exception" from the command line). Inputs that fail are kept for reproduction and named in
/// the failure; a hang stops the run.
/// </summary>
internal static class Fuzzer
{
    private const int MaxReportedFailures = 10;

    public static void Run(ITestOutputHelper output, string parser, IReadOnlyList<byte[]> samples, Action<byte[]> check,
        Func<Random, byte[], byte[]>? structured = null, int? iterations = null)
    {
        var count = iterations ?? FuzzSettings.Iterations;
        var random = new Random(parser.Aggregate(17, (h, c) => unchecked((h * 31) + c)) + FuzzSettings.SeedOffset);
        var failures = new List<string>();
        var crashes = 0;
        var hangs = 0;
        var clock = Stopwatch.StartNew();
        var run = 0;
        for (; run < count; run++)
        {
            // Every sample as it is first (it must pass), then mutations, half of them structure-aware when possible.
            var sample = samples[run % samples.Count];
            var input = run < samples.Count ? sample
                : structured is not null && random.Next(2) == 0 ? structured(random, sample)
                : InputMutator.Mutate(random, sample);
            var task = Task.Run(() => check(input));
            bool finished;
            try
            {
                finished = task.Wait(FuzzSettings.HangAfter);
            }
            catch (AggregateException e)
            {
                crashes++;
                if (failures.Count < MaxReportedFailures)
                {
                    failures.Add($"mutation #{run}: {Describe(e.InnerException ?? e)} (input kept at {Keep(parser, run, input)})");
                }

                continue;
            }

            if (!finished)
            {
                hangs++;
                failures.Add($"mutation #{run}: no result after {FuzzSettings.HangAfter.TotalSeconds:0} s (input kept at {Keep(parser, run, input)})");
                break; // the stuck thread keeps its core; nothing after it would be measured fairly
            }
        }

        clock.Stop();
        var line = $"{parser}\t{run}\t{crashes}\t{hangs}\t{clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}";
        output.WriteLine($"{parser}: {run} inputs, {crashes} crashes, {hangs} hangs, {clock.Elapsed.TotalSeconds:0.0} s");
        if (FuzzSettings.ReportFile is { } report)
        {
            lock (typeof(Fuzzer))
            {
                File.AppendAllText(report, line + "\n");
            }
        }

        Assert.True(failures.Count == 0, $"{parser}: {crashes} crash(es), {hangs} hang(s) in {run} inputs:\n" + string.Join("\n", failures));
    }

    private static string Describe(Exception e)
    {
        var frame = e.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at MlBuildGuard", StringComparison.Ordinal)) ?? e.StackTrace?.Split('\n')[0].Trim();
        return $"{e.GetType().Name}: {e.Message.Split('\n')[0]} [{frame}]";
    }

    private static string Keep(string parser, int run, byte[] input)
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlguard-fuzz", string.Concat(parser.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' ? c : '_')));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"input-{run}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
