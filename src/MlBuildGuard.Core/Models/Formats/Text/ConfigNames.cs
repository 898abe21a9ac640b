using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models.Formats.Text;

/// <summary>
/// Names in configuration files that a loader imports and calls: Hydra's <c>_target_</c> (NeMo and other frameworks
/// instantiate it; CVE-2025-23304), Hugging Face's <c>auto_map</c> (code shipped with the model, run with
/// <c>trust_remote_code</c>) and PyYAML's <c>!!python/…</c> tags. Each is judged like a pickle global: dangerous is
/// MLG301, not on the allowlist MLG302, each name once per file.
/// </summary>
internal sealed class ConfigNames(string view, ModelScanContext context, GlobalPolicy policy)
{
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>Judges a dotted name (<c>package.module.Class</c>) that <paramref name="how"/> describes.</summary>
    public void Judge(string dotted, string how)
    {
        // auto_map values may name another repository: "org/repo--module.Class".
        var name = dotted.Contains("--", StringComparison.Ordinal) ? dotted[(dotted.LastIndexOf("--", StringComparison.Ordinal) + 2)..] : dotted;
        name = name.Trim();
        var dot = name.LastIndexOf('.');
        if (name.Length == 0 || !_reported.Add(name))
        {
            return;
        }

        var (module, member) = dot > 0 ? (name[..dot], name[(dot + 1)..]) : ("builtins", name);
        var (verdict, effect) = policy.Judge(module, member);
        var shown = FormatText.Printable(name);
        if (verdict == GlobalVerdict.Dangerous)
        {
            context.Report(RuleCatalog.DangerousModelCode, view, effect, $"{how} names {shown}");
        }
        else if (verdict == GlobalVerdict.NotAllowed)
        {
            context.ReportNotAllowed(view, shown);
        }
    }
}
