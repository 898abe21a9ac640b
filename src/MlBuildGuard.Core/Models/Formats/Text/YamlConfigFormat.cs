using MlBuildGuard.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MlBuildGuard.Core.Models.Formats.Text;

/// <summary>
/// YAML files that travel with models (training configurations, MLflow's <c>MLmodel</c>, NeMo and Hydra configs):
/// parsed with YamlDotNet's event parser (no document is built, aliases are not expanded), so a malformed file is MLG303
/// with its line and column. PyYAML's unsafe loaders build Python objects from <c>!!python/object/apply:module.name</c>
/// and its kin (a call at load time), and Hydra instantiates <c>_target_</c>: those names are judged like pickle globals.
/// Plain data tags (<c>!!python/tuple</c>, <c>!!python/str</c>, …) are data.
/// </summary>
internal sealed class YamlConfigFormat : IModelFormat
{
    private const string PythonTag = "tag:yaml.org,2002:python/";
    private const int MaxDepth = 512;

    private static readonly HashSet<string> DataTags = new(StringComparer.Ordinal)
    {
        "none", "bool", "str", "unicode", "bytes", "int", "long", "float", "complex", "list", "tuple", "dict",
    };

    private static readonly string[] NamingTags = ["name:", "module:", "object:", "object/new:", "object/apply:"];

    public string Name => "yaml";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) =>
        (view.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || view.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
         || Path.GetFileName(view.Replace('!', '/')) == "MLmodel") && TextContent.Looks(head, length);

    public void Scan(FormatScan scan) => Scan(scan, textThatMentionsATag: false);

    /// <summary>
    /// Scans YAML. <paramref name="textThatMentionsATag"/>: the file is not named as YAML but holds a PyYAML python tag;
    /// if it is not YAML it is text that merely mentions one (documentation): what parsed before the error is still
    /// judged (a stream of documents is loaded one by one), but the parse error itself is not a finding.
    /// </summary>
    public void Scan(FormatScan scan, bool textThatMentionsATag)
    {
        scan.Context.Recognise(scan.View, Name);
        if (scan.Stream.Length > scan.Context.Limits.MaxHeaderBytes)
        {
            scan.Context.Report(RuleCatalog.ScanLimitExceeded, scan.View, "the YAML file is larger than allowed", scan.Context.Limits.MaxHeaderBytes);
            return;
        }

        scan.Stream.Position = 0;
        using var text = new StreamReader(scan.Stream, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var names = new ConfigNames(scan.View, scan.Context, scan.Policy);
        try
        {
            Walk(new Parser(text), names, scan);
        }
        catch (YamlException) when (textThatMentionsATag)
        {
            scan.Context.Recognise(scan.View, "text");
        }
        catch (YamlException e)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"it is not valid YAML (line {e.Start.Line}, column {e.Start.Column}: {FormatText.Printable(e.Message)})");
        }
        catch (System.Text.DecoderFallbackException)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, "the YAML file is not valid UTF-8");
        }
    }

    private static void Walk(IParser parser, ConfigNames names, FormatScan scan)
    {
        // One entry per open mapping: whether its next node is a key, and the key whose value comes next.
        var mappings = new Stack<MappingState>();
        var depth = 0;
        var events = 0L;
        while (parser.MoveNext())
        {
            if ((++events & 0xFFF) == 0)
            {
                scan.Context.CancellationToken.ThrowIfCancellationRequested();
            }

            var current = parser.Current!;
            if (current is NodeEvent node)
            {
                if (!node.Tag.IsEmpty)
                {
                    Tag(node.Tag.Value, names);
                }

                if (mappings.TryPeek(out var mapping))
                {
                    if (mapping.ExpectKey)
                    {
                        mapping.ExpectKey = false;
                        mapping.Key = (node as Scalar)?.Value;
                    }
                    else
                    {
                        if (mapping.Key == "_target_" && node is Scalar target)
                        {
                            names.Judge(target.Value, "its Hydra '_target_'");
                        }

                        mapping.ExpectKey = true;
                        mapping.Key = null;
                    }
                }
            }

            switch (current)
            {
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        throw new Containers.ScanLimitException("the YAML file nests deeper than allowed", MaxDepth);
                    }

                    if (current is MappingStart)
                    {
                        mappings.Push(new MappingState());
                    }

                    break;
                case MappingEnd:
                    depth--;
                    mappings.Pop();
                    break;
                case SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private sealed class MappingState
    {
        public bool ExpectKey { get; set; } = true;

        public string? Key { get; set; }
    }

    private static void Tag(string tag, ConfigNames names)
    {
        var shorthand = tag.StartsWith("!!python/", StringComparison.Ordinal) ? tag[2..] : tag;
        if (!shorthand.StartsWith(PythonTag, StringComparison.Ordinal) && !shorthand.StartsWith("python/", StringComparison.Ordinal))
        {
            return;
        }

        var kind = shorthand[(shorthand.IndexOf("python/", StringComparison.Ordinal) + "python/".Length)..];
        if (DataTags.Contains(kind))
        {
            return;
        }

        var naming = NamingTags.FirstOrDefault(t => kind.StartsWith(t, StringComparison.Ordinal));
        names.Judge(naming is null ? kind : kind[naming.Length..], $"its YAML tag '!!python/{FormatText.Printable(naming ?? kind)}'");
    }
}
