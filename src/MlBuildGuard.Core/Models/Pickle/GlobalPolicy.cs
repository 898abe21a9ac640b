using MlBuildGuard.Core.Models.Pickle.Catalogue;

namespace MlBuildGuard.Core.Models.Pickle;

/// <summary>How one imported name is judged.</summary>
public enum GlobalVerdict
{
    /// <summary>On the allowlist: safe to load.</summary>
    Allowed,

    /// <summary>Not known dangerous, not known safe: MLG302.</summary>
    NotAllowed,

    /// <summary>Runs code, processes, touches files or the network, or imports arbitrary code: MLG301.</summary>
    Dangerous,
}

/// <summary>
/// Which globals a model may import (SPEC MLG301/MLG302). Allowlist first: the built-in allowlist (what PyTorch's
/// <c>weights_only</c> loader accepts and what numpy, scikit-learn, pandas, scipy, joblib, XGBoost and LightGBM write;
/// <c>Catalogue/allowed-globals.tsv</c>, a source per row), plus the user's own entries; everything else is not allowed. A separate catalogue of dangerous names (each with what it would do) turns
/// "not allowed" into "dangerous", and always wins over the allowlist.
/// </summary>
public sealed class GlobalPolicy
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<string> _modulePrefixes = new();
    private readonly List<string> _extraAllowed;
    private readonly HashSet<string> _loaderNames = new(StringComparer.Ordinal);

    public GlobalPolicy(IEnumerable<string> extraAllowed)
    {
        _extraAllowed = extraAllowed.Select(e => e.Trim()).Where(e => e.Length > 0).ToList();
        foreach (var entry in _extraAllowed)
        {
            if (entry.EndsWith(".*", StringComparison.Ordinal))
            {
                _modulePrefixes.Add(entry[..^2]);
            }
            else
            {
                _exact.Add(entry);
            }
        }
    }

    /// <summary>
    /// This policy for content a particular loader reads with its own resolver (TorchScript's C++ unpickler resolves
    /// <c>__torch__.*</c> and <c>torch.jit._pickle.build_intlist</c> without importing Python). <paramref name="loaderNames"/>
    /// are allowed there; an exact one (<c>module.name</c>) also stands against a whole-module entry of the dangerous
    /// catalogue, since the loader resolves that one name itself, but never against an entry naming it.
    /// </summary>
    public GlobalPolicy With(IEnumerable<string> loaderNames)
    {
        var names = loaderNames.ToList();
        var policy = new GlobalPolicy(_extraAllowed.Concat(names));
        policy._loaderNames.UnionWith(_loaderNames.Concat(names.Where(n => !n.EndsWith(".*", StringComparison.Ordinal))));
        return policy;
    }

    /// <summary>
    /// Judges an import of <paramref name="name"/> from <paramref name="module"/> (already mapped from Python 2 names).
    /// A dotted name reaches attributes: <c>pathlib</c> + <c>os.system</c> is <c>os.system</c>, so every reading of the
    /// chain is judged and the worst one counts.
    /// </summary>
    public (GlobalVerdict Verdict, string? Effect) Judge(string module, string name)
    {
        // A name vetted exactly (a row of the allowlist, or a name the loader resolves itself) stands against a catalogue
        // entry for its whole module, never against one that names it.
        if ((_loaderNames.Contains(module + "." + name) || Catalogue.AllowList.AllowsExactly(module, name)) && !NamedDangerous(module, name))
        {
            return (GlobalVerdict.Allowed, null);
        }

        string? effect = null;
        foreach (var (m, n) in Readings(module, name))
        {
            if (DangerousReason(m, n) is { } reason)
            {
                effect ??= reason;
            }
        }

        if (effect is not null)
        {
            return (GlobalVerdict.Dangerous, effect);
        }

        return IsAllowed(module, name) ? (GlobalVerdict.Allowed, null) : (GlobalVerdict.NotAllowed, null);
    }

    private bool IsAllowed(string module, string name)
    {
        if (Catalogue.AllowList.Allows(module, name))
        {
            return true;
        }

        // The user's own entries (MlGuardAllowedGlobal): module.name exactly, or module.* for a module and its submodules.
        var full = module + "." + name;
        if (_exact.Contains(full))
        {
            return true;
        }

        return !name.Contains('.') && _modulePrefixes.Any(p => module == p || module.StartsWith(p + ".", StringComparison.Ordinal));
    }

    /// <summary>
    /// Every (module, name) the import can stand for: the name as given, and each run of its dotted steps taken as a
    /// module (any attribute on the way may itself be a module: <c>sysconfig</c> + <c>prefix.os.system</c> may reach
    /// <c>os.system</c>).
    /// </summary>
    private static IEnumerable<(string Module, string Name)> Readings(string module, string name)
    {
        yield return (module, name);
        var parts = name.Split('.');
        for (var start = 0; start < parts.Length - 1; start++)
        {
            for (var end = start; end < parts.Length - 1; end++)
            {
                var steps = string.Join('.', parts[start..(end + 1)]);
                var rest = string.Join('.', parts[(end + 1)..]);
                yield return (steps, rest);
                if (start == 0)
                {
                    yield return (module + "." + steps, rest);
                }
            }
        }
    }

    /// <summary>Whether the catalogue names this very global (not only its module).</summary>
    private static bool NamedDangerous(string module, string name) => DangerousCatalogue.FindName(module, name) is not null;

    private static string? DangerousReason(string module, string name)
    {
        if ((DangerousCatalogue.FindName(module, name) ?? DangerousCatalogue.FindModule(module)) is { } entry)
        {
            return entry.Effect;
        }

        // Dunder attributes reach interpreter internals whatever module they come from (__globals__, __builtins__, __subclasses__ …).
        return name.Split('.').Any(p => p.StartsWith("__", StringComparison.Ordinal) && p.EndsWith("__", StringComparison.Ordinal) && p.Length > 4
            && p is not ("__randomstate_ctor" or "__bit_generator_ctor" or "__generator_ctor" or "__newobj__" or "__newobj_ex__" or "__pyx_unpickle_SeedSequence"))
            ? "reach interpreter internals"
            : null;
    }
}
