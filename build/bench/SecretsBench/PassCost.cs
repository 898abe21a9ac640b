using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Core.Secrets.Engine;

/// <summary>
/// What the secret scanner adds to the hashing pass, measured in one process on one thread over data held in memory, so
/// the disk, the page cache and other processes' I/O do not enter: every configuration gets the same bytes in the same
/// 128 KiB slices the hashing pass gives the scanner (a fresh scanner per 16 MiB "file"). Configurations take turns,
/// round after round, and each round's thread CPU time is kept, so a burst of load from other work hits all of them
/// alike; the minimum (the least disturbed round) and the median are printed, with their ratios to hashing alone.
/// Under valgrind (<c>--rounds 1</c>, one configuration) the same command gives instruction counts.
/// </summary>
internal static class PassCost
{
    private static int Slice = 128 << 10;
    private const int FileBytes = 16 << 20;

    private static readonly string[] AllConfigurations = ["hash", "hash+key", "hash+secrets", "hash+keywords", "key", "secrets", "keywords"];

    /// <summary>With <c>--floors</c>: loops that do only part of the search's work (<see cref="Floors"/>), beside hashing.</summary>
    private static readonly string[] FloorConfigurations = ["hash", "hash+load", "hash+lf", "hash+teddy1", "hash+teddy2", "hash+teddy3", "hash+teddy3lf", "hash+low4", "hash+low4h0", "hash+low4h0nolf", "hash+low4h0st", "hash+low4h0idx", "hash+keywords", "hash+secrets"];

    public static int Run(string[] args)
    {
        var folder = args[1];
        var mib = Option(args, "--mib", 64);
        var rounds = Option(args, "--rounds", 7);
        Slice = Option(args, "--slice-kib", 128) << 10;
        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        var configurations = only is not null ? only.Split(',') : args.Contains("--floors") ? FloorConfigurations : AllConfigurations;
        var data = Load(folder, (long)mib << 20);
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var rules = SecretRuleSet.BuiltIn;
        var search = BuiltInKeywordSearch();

        // Warm up (tiered JIT to its final code) before anything is timed: two passes of each over 32 MiB at most.
        if (rounds > 1)
        {
            foreach (var configuration in configurations)
            {
                for (var n = 0; n < 2; n++)
                {
                    Pass(configuration, data.AsSpan(0, Math.Min(data.Length, 32 << 20)), files.Take(2).ToArray(), rules, search);
                }
            }

            Thread.Sleep(200); // let the JIT's background compilations finish
        }

        var times = configurations.ToDictionary(c => c, _ => new List<double>());
        long sink = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var configuration in configurations)
            {
                var cpu = ThreadCpuSeconds();
                sink += Pass(configuration, data, files, rules, search);
                times[configuration].Add(ThreadCpuSeconds() - cpu);
            }
        }

        var gib = data.Length / (double)(1 << 30);
        Console.WriteLine($"{data.Length >> 20} MiB in memory, {rounds} rounds, thread CPU time per round; load average {File.ReadAllText("/proc/loadavg").Trim()}; ({sink} hits)");
        Console.WriteLine("| configuration | min CPU s | median CPU s | GiB per CPU s (min) | min / hash | median / hash |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        var hash = times.TryGetValue("hash", out var h) ? h : null;
        foreach (var (configuration, list) in times)
        {
            var min = list.Min();
            var median = Median(list);
            var ratios = hash is null ? "| n/a | n/a" : $"| {min / hash.Min():F3} | {median / Median(hash):F3}";
            Console.WriteLine($"| {configuration} | {min:F4} | {median:F4} | {gib / min:F2} {ratios} |");
        }

        return 0;
    }

    /// <summary>The keyword search of the built-in rules, as the scanner builds it (each keyword once).</summary>
    public static KeywordSearch BuiltInKeywordSearch() => new(SecretRuleSet.BuiltIn.Rules.SelectMany(r => r.Keywords)
        .DistinctBy(k => (k.IgnoreCase ? k.Text.ToLowerInvariant() : k.Text, k.IgnoreCase)).ToArray());

    /// <summary>
    /// One pass over <paramref name="data"/> as the configuration does it; returns a count so nothing is optimised away.
    /// The <c>file-</c> configurations read <paramref name="files"/> (from the page cache) through the product's own
    /// code instead: <c>file-hash</c> as <c>mlguard hash</c> does (read and SHA-256), <c>file-hash+key</c> as the
    /// hashing pass does without a scanner (with the private-key detector), <c>file-hash+secrets</c> as the training-input
    /// pass does (one <see cref="SecretScanner"/> per file).
    /// </summary>
    private static long Pass(string configuration, ReadOnlySpan<byte> data, string[] files, SecretRuleSet rules, KeywordSearch search)
    {
        if (configuration.StartsWith("file-", StringComparison.Ordinal))
        {
            long sum = 0;
            foreach (var file in files)
            {
                var scanner = configuration == "file-hash+secrets" ? new SecretScanner(rules) : null;
                var read = configuration switch
                {
                    "file-hash" => Sha256File.ComputeDigestOnly(file),
                    "file-hash+key" => Sha256File.Compute(file),
                    "file-hash+secrets" => Sha256File.Compute(file, scanner),
                    _ => throw new ArgumentException($"unknown configuration '{configuration}'"),
                };
                sum += read.Sha256[0] + (scanner?.Complete().Count ?? 0);
            }

            return sum;
        }

        long count = 0;
        var hits = new List<KeywordHit>();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> digest = stackalloc byte[32];
        for (var file = 0; file < data.Length; file += FileBytes)
        {
            var bytes = data.Slice(file, Math.Min(FileBytes, data.Length - file));
            var hashing = configuration.StartsWith("hash", StringComparison.Ordinal);
            var floor = configuration.Split('+')[^1] is var last && Floors.Is(last) ? last : null;
            var secrets = configuration.EndsWith("secrets", StringComparison.Ordinal) ? new SecretScanner(rules) : null;
            var key = configuration.EndsWith("key", StringComparison.Ordinal) ? new PrivateKeyDetector() : null;
            for (var at = 0; at < bytes.Length; at += Slice)
            {
                var slice = bytes.Slice(at, Math.Min(Slice, bytes.Length - at));
                if (hashing)
                {
                    sha.AppendData(slice);
                }

                secrets?.Append(slice);
                key?.Append(slice);
                if (floor is not null)
                {
                    count += Floors.Run(floor, slice);
                }

                if (configuration.EndsWith("keywords", StringComparison.Ordinal))
                {
                    hits.Clear();
                    search.FindAll(slice, 0, hits);
                    count += hits.Count;
                }
            }

            if (hashing)
            {
                sha.GetHashAndReset(digest);
                count += digest[0];
            }

            count += secrets?.Complete().Count ?? 0;
            key?.Complete();
            count += key?.Found == true ? 1 : 0;
        }

        return count;
    }

    /// <summary>Up to <paramref name="bytes"/> of the files under <paramref name="folder"/> (repeated if there are fewer).</summary>
    public static byte[] Load(string folder, long bytes)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var data = new byte[bytes];
        var at = 0;
        while (at < data.Length)
        {
            foreach (var file in files)
            {
                using var stream = File.OpenRead(file);
                while (at < data.Length)
                {
                    var read = stream.Read(data, at, data.Length - at);
                    if (read == 0)
                    {
                        break;
                    }

                    at += read;
                }
            }
        }

        return data;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), which other processes' load does not add to.</summary>
    private static double ThreadCpuSeconds()
    {
        const int ThreadCpuTime = 3;
        if (ClockGetTime(ThreadCpuTime, out var t) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }

        return t.Seconds + t.Nanoseconds / 1e9;
    }
}
