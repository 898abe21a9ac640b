using System.Diagnostics;
using System.Text.Json;

namespace MlBuildGuard.Core.Tests.Reproducibility;

/// <summary>What Python's zipfile reports for one member.</summary>
internal sealed record PythonMember(string Name, string Sha256, int CompressType, int CreateSystem, long ExternalAttr, int FlagBits, int[] DateTime, long DataOffset);

/// <summary>
/// Reads an archive with CPython's zipfile, an independent reader that checks CRCs and local/central header agreement, so
/// the tests do not only prove that our writer agrees with System.IO.Compression. Python is required, not optional: a
/// missing interpreter fails the test with a clear message instead of skipping the check.
/// </summary>
internal static class PythonZip
{
    private const string Script = """
        import hashlib, json, struct, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as z:
            bad = z.testzip()
            members = []
            with open(sys.argv[1], "rb") as raw:
                for i in z.infolist():
                    raw.seek(i.header_offset)
                    local = raw.read(30)
                    name_len, extra_len = struct.unpack("<HH", local[26:30])
                    members.append({
                        "Name": i.filename,
                        "Sha256": hashlib.sha256(z.read(i)).hexdigest(),
                        "CompressType": i.compress_type,
                        "CreateSystem": i.create_system,
                        "ExternalAttr": i.external_attr,
                        "FlagBits": i.flag_bits,
                        "DateTime": list(i.date_time),
                        "DataOffset": i.header_offset + 30 + name_len + extra_len,
                    })
        print(json.dumps({"Bad": bad, "Members": members}))
        """;

    public static (string? FirstBadMember, List<PythonMember> Members) Read(string path)
    {
        var python = new[] { "/usr/bin/python3", "python3", "python" }.FirstOrDefault(Runs)
            ?? throw new InvalidOperationException("Python 3 is needed to cross-check zip archives with zipfile, but neither /usr/bin/python3 nor python3 on PATH runs.");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python zipfile failed to read {path}: {stderr}");
        }

        var report = JsonSerializer.Deserialize<Report>(stdout.Result)!;
        return (report.Bad, report.Members);
    }

    private static bool Runs(string candidate)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(candidate, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            process!.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private sealed record Report(string? Bad, List<PythonMember> Members);
}
