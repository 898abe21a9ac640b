using System.Reflection;
using MlBuildGuard.Core.Secrets.Engine;

/// <summary>
/// How often the keyword search's SIMD prefilter lets a 64-byte block through (kept by the loop, and left after the
/// kept blocks are narrowed by the other positions' high nibbles), for the built-in rules' keywords, on three kinds of
/// data: the benchmark's CSV, lines of random base64 (76 characters, as MIME wraps them) and float32 weights
/// (little-endian, normally distributed around 0 with a spread of 0.05, as a model's tensors). The count comes from
/// <c>KeywordSearch.CandidateBlocks</c>, an internal method read by reflection, so a build without it (an older scanner
/// under <c>BENCH_BASELINE</c>) prints "n/a".
/// </summary>
internal static class Candidates
{
    public static int Run(string folder, int mib)
    {
        var keywordSearch = PassCost.BuiltInKeywordSearch();
        var method = typeof(KeywordSearch).GetMethod("CandidateBlocks", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        var random = new Random(1);
        var sets = new (string Name, byte[] Data)[]
        {
            ("benchmark CSV", PassCost.Load(folder, (long)mib << 20)),
            ("random base64 lines", Base64Lines(random, 16 << 20)),
            ("float32 weights", Weights(random, 16 << 20)),
        };
        Console.WriteLine("| data | MiB | 64-byte blocks kept by the SIMD loop | left after narrowing by high nibbles (compared byte by byte) |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (name, data) in sets)
        {
            var shares = method?.Invoke(keywordSearch, [data]) is ValueTuple<long, long, long> { Item3: > 0 } counts
                ? $"{100.0 * counts.Item1 / counts.Item3:F2} % ({counts.Item1:N0} of {counts.Item3:N0}) | {100.0 * counts.Item2 / counts.Item3:F2} % ({counts.Item2:N0})"
                : "n/a | n/a";
            Console.WriteLine($"| {name} | {data.Length >> 20} | {shares} |");
        }

        return 0;
    }

    private static byte[] Base64Lines(Random random, int bytes)
    {
        var data = new byte[bytes];
        var raw = new byte[57]; // 76 base64 characters
        for (var at = 0; at < bytes;)
        {
            random.NextBytes(raw);
            var line = System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(raw) + "\n");
            var n = Math.Min(line.Length, bytes - at);
            line.AsSpan(0, n).CopyTo(data.AsSpan(at));
            at += n;
        }

        return data;
    }

    private static byte[] Weights(Random random, int bytes)
    {
        var data = new byte[bytes];
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data.AsSpan());
        for (var i = 0; i < floats.Length; i++)
        {
            // Box-Muller: a normal value with standard deviation 0.05.
            var u = 1 - random.NextDouble();
            floats[i] = (float)(0.05 * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return data;
    }
}
