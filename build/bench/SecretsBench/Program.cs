using System.Diagnostics;
using System.Text.Json;
using MlBuildGuard.Core.Hashing;
using MlBuildGuard.Core.Secrets;
using MlBuildGuard.Testing.Secrets;

// SecretsBench generate DIR ONNX                     the scoring corpus (ONNX: a model to add metadata to) and DIR/manifest.json
// SecretsBench bulk DIR MIB                          MIB of CSV (16 MiB files, one planted credential each)
// SecretsBench score MANIFEST ROOT MLGUARD_JSON SECRETLINT_JSON   recall and false alarms, as Markdown
// SecretsBench hash [--secrets] DIR                  the training-input hashing pass over DIR, with or without secrets
// SecretsBench passcost DIR [--mib N] [--rounds R] [--only C,…]   thread CPU time of hashing with and without the scanners
// SecretsBench candidates DIR [MIB]                  the share of 64-byte blocks the keyword prefilter lets through
// SecretsBench hits DIR [MIB]                        how often each built-in keyword occurs, and the rules it anchors
switch (args.FirstOrDefault())
{
    case "generate":
        SecretCorpus.Generate(args[1], File.ReadAllBytes(args[2]), copies: 2).Write(Path.Combine(args[1], "manifest.json"));
        return 0;
    case "bulk":
        Console.WriteLine(SecretCorpus.GenerateBulk(args[1], long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) << 20));
        return 0;
    case "score":
        return Score.Run(args[1], args[2], args[3], args[4]);
    case "hash":
        return HashPass.Run(args.Contains("--secrets"), args[^1]);
    case "passcost":
        return PassCost.Run(args);
    case "candidates":
        return Candidates.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 64);
    case "hits":
        return KeywordHits.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 64);
    default:
        Console.Error.WriteLine("usage: SecretsBench generate DIR ONNX | bulk DIR MIB | score MANIFEST ROOT MLGUARD_JSON SECRETLINT_JSON | hash [--secrets] DIR | passcost DIR [--mib N] [--rounds R] [--only C,…] | candidates DIR [MIB] | hits DIR [MIB]");
        return 2;
}

/// <summary>Hashes every file under a folder on every core, as the training-input guard does, optionally scanning for secrets in the same pass.</summary>
internal static class HashPass
{
    public static int Run(bool secrets, string folder)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).OrderByDescending(f => new FileInfo(f).Length).ToArray();
        long matches = 0;
        var watch = Stopwatch.StartNew();
        Parallel.ForEach(files, file =>
        {
            var scanner = secrets ? new SecretScanner(SecretRuleSet.BuiltIn) : null;
            Sha256File.Compute(file, scanner);
            if (scanner is not null)
            {
                Interlocked.Add(ref matches, scanner.Complete().Count);
            }
        });
        Console.WriteLine($"{files.Length} files, {(secrets ? matches.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no")} secret matches, {watch.Elapsed.TotalSeconds:F3} s in the pass");
        return 0;
    }
}

/// <summary>Scores the two tools' reports against the manifest: a planted file counts as found when the tool reports anything in it.</summary>
internal static class Score
{
    public static int Run(string manifestPath, string root, string mlguardJson, string secretlintJson)
    {
        var manifest = SecretCorpusManifest.Read(manifestPath);
        var fullRoot = Path.GetFullPath(root);
        string Key(string path) => Path.GetRelativePath(fullRoot, Path.GetFullPath(path)).Replace('\\', '/');

        using var mlguard = JsonDocument.Parse(File.ReadAllText(mlguardJson));
        // mlguard's JSON report lists files, each with its findings. Recall counts the credential codes; a false alarm is
        // any finding on a benign file (MLG802 on a column of floats is one too).
        var mlguardFiles = mlguard.RootElement.GetProperty("files").EnumerateArray()
            .Select(f => (File: Key(f.GetProperty("path").GetString()!), Codes: f.GetProperty("findings").EnumerateArray().Select(x => x.GetProperty("code").GetString()!).ToList()))
            .ToList();
        var mlguardHits = mlguardFiles.Select(f => (f.File, Count: f.Codes.Count(c => c is "MLG801" or "MLG606")))
            .Where(f => f.Count > 0).ToDictionary(f => f.File, f => f.Count);
        var mlguardAlarms = mlguardFiles.Where(f => f.Codes.Count > 0).ToDictionary(f => f.File, f => f.Codes.Count);
        using var secretlint = JsonDocument.Parse(File.ReadAllText(secretlintJson));
        var secretlintHits = secretlint.RootElement.EnumerateArray()
            .Where(f => f.GetProperty("messages").GetArrayLength() > 0)
            .ToDictionary(f => Key(f.GetProperty("filePath").GetString()!), f => f.GetProperty("messages").GetArrayLength());

        Console.WriteLine("| planted format | files | mlguard secrets found | secretlint found |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var group in manifest.Planted.GroupBy(p => p.RuleId))
        {
            Row($"`{group.Key}`", group.Select(p => p.File).ToList());
        }

        Console.WriteLine();
        Console.WriteLine("| container | files | mlguard secrets found | secretlint found |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var group in manifest.Planted.GroupBy(p => p.Container))
        {
            Row(group.Key, group.Select(p => p.File).ToList());
        }

        Row("**all planted (recall)**", manifest.Planted.Select(p => p.File).ToList());
        var benign = manifest.BenignFiles;
        Console.WriteLine($"| **benign files with a false alarm** | {benign.Count} | {benign.Count(mlguardAlarms.ContainsKey)} ({benign.Sum(f => mlguardAlarms.GetValueOrDefault(f))} findings) | {benign.Count(secretlintHits.ContainsKey)} ({benign.Sum(f => secretlintHits.GetValueOrDefault(f))} findings) |");
        return 0;

        void Row(string name, List<string> files) =>
            Console.WriteLine($"| {name} | {files.Count} | {files.Count(mlguardHits.ContainsKey)} ({Percent(files.Count(mlguardHits.ContainsKey), files.Count)}) | {files.Count(secretlintHits.ContainsKey)} ({Percent(files.Count(secretlintHits.ContainsKey), files.Count)}) |");
    }

    private static string Percent(int part, int whole) => whole == 0 ? "n/a" : $"{100.0 * part / whole:0}%";
}
