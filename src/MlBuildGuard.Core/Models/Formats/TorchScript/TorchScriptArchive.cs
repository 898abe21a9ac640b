using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models.Formats.TorchScript;

/// <summary>
/// A TorchScript archive (<c>torch.jit.save</c>, and PyTorch mobile's lite-interpreter files): a zip whose records include
/// <c>constants.pkl</c>, the test <c>torch.load</c> itself uses to hand a file to <c>torch.jit.load</c> instead of
/// Python's unpickler. Its pickles (<c>data.pkl</c>, <c>constants.pkl</c>, <c>code/**/*.debug_pkl</c>, mobile
/// <c>bytecode.pkl</c>) are read by TorchScript's C++ unpickler, which resolves the classes the archive's own
/// <c>code/</c> defines (<c>__torch__.*</c>) and TorchScript's list builders (<c>torch.jit._pickle.*</c>) without
/// importing any Python module; so those names are allowed there, and only there. Dangerous names stay dangerous. The
/// TorchScript source in <c>code/</c> is compiled when the archive loads: <see cref="TorchScriptCode"/> judges what it calls.
/// </summary>
internal sealed class TorchScriptArchive
{
    /// <summary>Globals TorchScript's C++ unpickler resolves itself (besides the classes under <c>__torch__</c>).</summary>
    private static readonly string[] LoaderGlobals =
    [
        "__torch__.*", "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_doublelist",
        "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensor_from_id", "torch.jit._pickle.restore_type_tag",
    ];

    private readonly HashSet<string> _prefixes;
    private GlobalPolicy? _policy;

    private TorchScriptArchive(HashSet<string> prefixes) => _prefixes = prefixes;

    /// <summary>The archive's TorchScript view, or null when no record is <c>constants.pkl</c> (a plain checkpoint).</summary>
    public static TorchScriptArchive? Find(IReadOnlySet<string> names)
    {
        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name == "constants.pkl")
            {
                prefixes.Add("");
            }
            else if (name.EndsWith("/constants.pkl", StringComparison.Ordinal) && name.IndexOf('/') == name.Length - "/constants.pkl".Length)
            {
                prefixes.Add(name[..^"constants.pkl".Length]);
            }
        }

        return prefixes.Count == 0 ? null : new TorchScriptArchive(prefixes);
    }

    /// <summary>Scans the member when TorchScript reads it in its own way; false leaves it to the ordinary member scan.</summary>
    public bool Handles(string name, Stream data, string view, FormatScan scan)
    {
        var prefix = _prefixes.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal));
        if (prefix is null)
        {
            return false;
        }

        var record = name[prefix.Length..];
        if (record.StartsWith("code/", StringComparison.Ordinal) && record.EndsWith(".py", StringComparison.Ordinal))
        {
            scan.Context.Recognise(view, "torchscript-code");
            TorchScriptCode.Scan(Containers.Spooling.ReadBounded(data, scan.Context.Limits.MaxHeaderBytes), view, scan.Context, scan.Policy);
            return true;
        }

        if (record.EndsWith(".pkl", StringComparison.Ordinal) || record.EndsWith(".debug_pkl", StringComparison.Ordinal))
        {
            scan.Context.Recognise(view, "torchscript-pickle");
            _policy ??= scan.Policy.With(LoaderGlobals);
            scan.ScanMember(data, view, 0, insideArchive: false, _policy);
            return true;
        }

        return false;
    }
}
