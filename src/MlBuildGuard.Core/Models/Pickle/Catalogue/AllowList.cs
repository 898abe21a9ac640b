using System.Reflection;

namespace MlBuildGuard.Core.Models.Pickle.Catalogue;

/// <summary>
/// The built-in pickle allowlist: the globals the real libraries (PyTorch, numpy, scikit-learn, pandas, scipy, joblib,
/// XGBoost, LightGBM) write that are safe to load, read once from <c>allowed-globals.tsv</c> (an embedded resource whose
/// header explains its columns). Every row names its source.
/// </summary>
internal static class AllowList
{
    private const string ResourceName = "MlBuildGuard.Core.AllowedGlobals.tsv";

    private static readonly Lazy<Rows> Loaded = new(() => Parse(Read()));

    /// <summary>The rows, as read (module, name, library, source).</summary>
    public static IReadOnlyList<(string Module, string Name, string Library, string Source)> Entries => Loaded.Value.All;

    /// <summary>Whether a row allows <c>module.name</c>.</summary>
    public static bool Allows(string module, string name)
    {
        var rows = Loaded.Value;
        if (rows.ByModule.TryGetValue(module, out var patterns) && patterns.Any(p => Matches(p, name)))
        {
            return true;
        }

        for (var m = module; m.Length > 0; m = m.Contains('.') ? m[..m.LastIndexOf('.')] : "")
        {
            if (rows.BySubtree.TryGetValue(m, out var subtree) && subtree.Any(p => Matches(p, name)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a row names exactly <c>module.name</c> (no pattern): such a row stands against a whole-module catalogue entry.</summary>
    public static bool AllowsExactly(string module, string name) =>
        Loaded.Value.ByModule.TryGetValue(module, out var patterns) && patterns.Contains(name);

    private static bool Matches(string pattern, string name)
    {
        if (pattern == name)
        {
            return true;
        }

        if (name.Contains('.') || name.Length == 0)
        {
            return false; // a dotted name (an attribute chain) is allowed only by a row that names it
        }

        return pattern switch
        {
            "*" => true,
            "<class>" => char.IsAsciiLetterUpper(name[0]),
            _ => pattern.EndsWith('*') && name.StartsWith(pattern[..^1], StringComparison.Ordinal),
        };
    }

    private static string Read()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the resource {ResourceName} is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal static Rows Parse(string text)
    {
        var rows = new Rows();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var columns = line.Split('\t');
            if (columns.Length != 4 || columns.Any(c => c.Trim().Length == 0 || c != c.Trim()))
            {
                throw new InvalidDataException($"allowed-globals.tsv line {number}: expected four non-empty tab-separated columns");
            }

            var (module, name) = (columns[0], columns[1]);
            rows.All.Add((module, name, columns[2], columns[3]));
            var index = module.EndsWith(".**", StringComparison.Ordinal) ? rows.BySubtree : rows.ByModule;
            var key = module.EndsWith(".**", StringComparison.Ordinal) ? module[..^3] : module;
            if (!index.TryGetValue(key, out var set))
            {
                index[key] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            if (!set.Add(name))
            {
                throw new InvalidDataException($"allowed-globals.tsv line {number}: {module} {name} is listed twice");
            }
        }

        return rows;
    }

    internal sealed class Rows
    {
        public List<(string Module, string Name, string Library, string Source)> All { get; } = new();

        public Dictionary<string, HashSet<string>> ByModule { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, HashSet<string>> BySubtree { get; } = new(StringComparer.Ordinal);
    }
}
