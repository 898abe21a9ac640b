using System.Text;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Pickle;

namespace MlBuildGuard.Core.Models.Formats.TorchScript;

/// <summary>
/// Judges the TorchScript source of an archive's <c>code/</c> folder, which <c>torch.jit.load</c> compiles. TorchScript
/// cannot import Python modules; it calls registered operators: <c>torch.X(…)</c> (ATen), <c>ops.prim.X(…)</c> and
/// <c>ops.NAMESPACE.X(…)</c> for operators a library registers. So: an operator that reads or writes files
/// (<c>torch.from_file</c>, …) or a Python builtin that evaluates code or opens files is MLG301; an operator from a
/// namespace outside PyTorch's own is MLG302, as the loading program must import the library that registers it (allow
/// it with <c>torch.ops.NAMESPACE.X</c> or <c>torch.ops.NAMESPACE.*</c>). Source that is not UTF-8 is MLG303.
/// </summary>
internal static class TorchScriptCode
{
    /// <summary>Operator namespaces PyTorch itself registers.</summary>
    private static readonly HashSet<string> PyTorchNamespaces = new(StringComparer.Ordinal)
    {
        "aten", "prim", "quantized", "_quantized", "profiler", "_caffe2", "cuda", "_test", "mkldnn", "mkldnn_prepacked",
        "_nnapi", "xnnpack", "vulkan", "metal", "_c10d_functional", "c10d", "_dtensor", "_prims", "prims", "inductor",
    };

    /// <summary>ATen operators (and the spellings TorchScript source uses for them) that touch files.</summary>
    private static readonly Dictionary<string, string> FileOperators = new(StringComparer.Ordinal)
    {
        ["from_file"] = "read files", ["_nested_from_file"] = "read files", ["save"] = "write files", ["load"] = "load another file",
        ["_load_for_mobile"] = "load another file", ["_save_for_mobile"] = "write files", ["_save_parameters"] = "write files",
    };

    /// <summary>Python builtins that would evaluate code or open files if they ever reached a Python interpreter.</summary>
    private static readonly Dictionary<string, string> PythonBuiltins = new(StringComparer.Ordinal)
    {
        ["eval"] = "execute code", ["exec"] = "execute code", ["compile"] = "compile code", ["__import__"] = "import arbitrary code",
        ["open"] = "open files", ["breakpoint"] = "start a debugger",
    };

    public static void Scan(byte[] source, string view, ModelScanContext context, GlobalPolicy policy)
    {
        if (!System.Text.Unicode.Utf8.IsValid(source))
        {
            context.Report(RuleCatalog.ModelUnparsable, view, "its TorchScript source is not valid UTF-8");
            return;
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var call in Calls(Encoding.UTF8.GetString(source)))
        {
            var parts = call.Split('.');
            (string Effect, string What)? dangerous = null;
            string? custom = null;
            if (parts.Length == 1 && PythonBuiltins.TryGetValue(parts[0], out var builtinEffect))
            {
                dangerous = (builtinEffect, $"Python's '{parts[0]}'");
            }
            else if (parts[0] == "torch" && parts.Length == 2 && FileOperators.TryGetValue(parts[1], out var effect))
            {
                dangerous = (effect, $"the operator 'torch.{parts[1]}'");
            }
            else if (OperatorOf(parts) is { } op)
            {
                if (op.Namespace == "aten" && FileOperators.TryGetValue(op.Name, out var atenEffect))
                {
                    dangerous = (atenEffect, $"the operator 'aten::{op.Name}'");
                }
                else if (!PyTorchNamespaces.Contains(op.Namespace))
                {
                    var (verdict, reason) = policy.Judge("torch.ops." + op.Namespace, op.Name);
                    if (verdict == GlobalVerdict.Dangerous)
                    {
                        dangerous = (reason!, $"the operator '{op.Namespace}::{op.Name}'");
                    }
                    else if (verdict == GlobalVerdict.NotAllowed)
                    {
                        custom = FormatText.Printable($"torch.ops.{op.Namespace}.{op.Name}");
                    }
                }
            }

            if (dangerous is { } d && reported.Add(d.What))
            {
                context.Report(RuleCatalog.DangerousModelCode, view, d.Effect, $"its TorchScript source calls {FormatText.Printable(d.What)}");
            }
            else if (custom is not null && reported.Add(custom))
            {
                context.ReportNotAllowed(view, custom);
            }
        }
    }

    /// <summary>The namespace and name of <c>ops.NS.X</c> or <c>torch.ops.NS.X</c>, or null.</summary>
    private static (string Namespace, string Name)? OperatorOf(string[] parts)
    {
        var start = parts[0] == "ops" ? 1 : parts.Length > 1 && parts[0] == "torch" && parts[1] == "ops" ? 2 : -1;
        return start > 0 && parts.Length == start + 2 ? (parts[start], parts[start + 1]) : null;
    }

    /// <summary>Every dotted name that is called (<c>a.b.c(</c>), outside string literals and comments.</summary>
    internal static IEnumerable<string> Calls(string code)
    {
        var i = 0;
        while (i < code.Length)
        {
            var c = code[i];
            if (c == '#')
            {
                while (i < code.Length && code[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '"' or '\'')
            {
                i = SkipString(code, i);
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < code.Length && (char.IsLetterOrDigit(code[i]) || code[i] is '_' or '.'))
                {
                    i++;
                }

                var name = code[start..i].TrimEnd('.');
                var j = i;
                while (j < code.Length && code[j] is ' ' or '\t')
                {
                    j++;
                }

                // A string prefix (r'…', b"…") is not a name.
                if (j < code.Length && code[j] is '"' or '\'' && name.Length <= 2)
                {
                    continue;
                }

                if (j < code.Length && code[j] == '(' && (start == 0 || code[start - 1] != '.'))
                {
                    yield return name;
                }
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>The index after the string literal that starts at <paramref name="at"/> (triple quotes and escapes understood).</summary>
    private static int SkipString(string code, int at)
    {
        var quote = code[at];
        var triple = at + 2 < code.Length && code[at + 1] == quote && code[at + 2] == quote;
        var i = at + (triple ? 3 : 1);
        while (i < code.Length)
        {
            if (code[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (code[i] == quote && (!triple || (i + 2 < code.Length && code[i + 1] == quote && code[i + 2] == quote)))
            {
                return i + (triple ? 3 : 1);
            }

            if (!triple && code[i] == '\n')
            {
                return i + 1; // an unterminated literal ends with its line
            }

            i++;
        }

        return i;
    }
}
