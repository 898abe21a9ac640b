using System.Text.RegularExpressions;

namespace MlBuildGuard.Core.Models.Pickle.Catalogue;

/// <summary>One row of the dangerous-globals catalogue: a module (<see cref="Name"/> <c>*</c>) or one qualified name in it.</summary>
/// <param name="Module">The module as a pickle names it, e.g. <c>os</c> or <c>torch.utils.collect_env</c>.</param>
/// <param name="Name"><c>*</c> for the whole module and its submodules, otherwise a (possibly dotted) qualified name.</param>
/// <param name="Effect">What loading would do; completes "loading it would …".</param>
/// <param name="Source">Where the entry comes from (advisory ids, scanner lists, issues, or our own analysis).</param>
/// <param name="Line">The 1-based line of the row in the catalogue file.</param>
public sealed record DangerousEntry(string Module, string Name, string Effect, string Source, int Line)
{
    /// <summary>True for a whole-module row.</summary>
    public bool IsModule => Name == DangerousCatalogue.AnyName;
}

/// <summary>
/// The catalogue of globals that run code, start processes or touch files or the network when a pickle imports them
/// (MLG301), read once from the embedded <c>dangerous-globals.tsv</c> (its header documents the format and the
/// sources). A malformed row fails the type's initialisation: the scanner never runs with a partial catalogue.
/// </summary>
public static partial class DangerousCatalogue
{
    /// <summary>The name column value that stands for every name of a module and of its submodules.</summary>
    public const string AnyName = "*";

    private const string ResourceName = "MlBuildGuard.Core.DangerousGlobals.tsv";

    private static readonly IReadOnlyList<DangerousEntry> All = Load();
    private static readonly Dictionary<string, DangerousEntry> Modules = All.Where(e => e.IsModule).ToDictionary(e => e.Module, StringComparer.Ordinal);
    private static readonly Dictionary<(string Module, string Name), DangerousEntry> Names = All.Where(e => !e.IsModule).ToDictionary(e => (e.Module, e.Name));

    /// <summary>Every row, in file order.</summary>
    public static IReadOnlyList<DangerousEntry> Entries => All;

    /// <summary>The whole-module row that covers <paramref name="module"/> (itself or its nearest listed parent), if any.</summary>
    public static DangerousEntry? FindModule(string module)
    {
        for (var m = module; m.Length > 0; m = m.Contains('.') ? m[..m.LastIndexOf('.')] : "")
        {
            if (Modules.TryGetValue(m, out var entry))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>
    /// The name row that covers <paramref name="name"/> in <paramref name="module"/>: the name itself or any leading part
    /// of its attribute chain (a row for <c>Editor</c> covers <c>Editor.edit</c>), shortest first.
    /// </summary>
    public static DangerousEntry? FindName(string module, string name)
    {
        for (var end = name.IndexOf('.'); ; end = name.IndexOf('.', end + 1))
        {
            var prefix = end < 0 ? name : name[..end];
            if (Names.TryGetValue((module, prefix), out var entry))
            {
                return entry;
            }

            if (end < 0)
            {
                return null;
            }
        }
    }

    /// <summary>Parses catalogue text; throws <see cref="InvalidDataException"/> naming the line of the first bad row.</summary>
    internal static IReadOnlyList<DangerousEntry> Parse(TextReader reader, string origin)
    {
        var entries = new List<DangerousEntry>();
        var seen = new HashSet<(string, string)>();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var columns = line.Split('\t');
            if (columns.Length != 4)
            {
                throw Bad(origin, number, $"it has {columns.Length} tab-separated columns, not 4 (module, name, effect, source)");
            }

            var (module, name, effect, source) = (columns[0], columns[1], columns[2].Trim(), columns[3].Trim());
            if (!DottedIdentifier().IsMatch(module))
            {
                throw Bad(origin, number, $"'{module}' is not a dotted Python module name");
            }

            if (name != AnyName && !DottedIdentifier().IsMatch(name))
            {
                throw Bad(origin, number, $"'{name}' is neither '*' nor a dotted Python name");
            }

            if (effect.Length == 0 || source.Length == 0)
            {
                throw Bad(origin, number, "the effect and the source must not be empty");
            }

            if (!seen.Add((module, name)))
            {
                throw Bad(origin, number, $"{module} {name} is listed twice");
            }

            entries.Add(new DangerousEntry(module, name, effect, source, number));
        }

        return entries;
    }

    private static IReadOnlyList<DangerousEntry> Load()
    {
        using var stream = typeof(DangerousCatalogue).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidDataException($"the embedded resource {ResourceName} is missing from {typeof(DangerousCatalogue).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return Parse(reader, ResourceName);
    }

    private static InvalidDataException Bad(string origin, int line, string reason) => new($"{origin}({line}): {reason}");

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedIdentifier();
}
