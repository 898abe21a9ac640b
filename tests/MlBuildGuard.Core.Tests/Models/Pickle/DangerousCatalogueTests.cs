using System.Text.RegularExpressions;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models;
using MlBuildGuard.Core.Models.Pickle.Catalogue;
using MlBuildGuard.Testing;

namespace MlBuildGuard.Core.Tests.Models.Pickle;

/// <summary>
/// The dangerous-globals catalogue (MLG301) as data: every row, imported by a real pickle, is reported with its effect;
/// the file is well formed, every row says where it comes from, and no row fires on what real libraries write.
/// </summary>
public partial class DangerousCatalogueTests
{
    /// <summary>A name and a submodule made up for whole-module rows: any name under the module must be dangerous.</summary>
    private const string ProbeName = "run";
    private const string ProbeSubmodule = "sub";

    public static TheoryData<string, string> Rows()
    {
        var data = new TheoryData<string, string>();
        foreach (var entry in DangerousCatalogue.Entries)
        {
            data.Add(entry.Module, entry.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Each_row_imported_by_a_pickle_is_MLG301_naming_its_effect(string module, string name)
    {
        var entry = DangerousCatalogue.Entries.Single(e => e.Module == module && e.Name == name);
        var probes = entry.IsModule
            ? new[] { (module, ProbeName), (module + "." + ProbeSubmodule, ProbeName) }
            : new[] { (module, name) };

        foreach (var (m, n) in probes)
        {
            // Protocol 2 (GLOBAL, Python 2 names mapped as the unpickler maps them) and protocol 4 (STACK_GLOBAL).
            var viaGlobal = new PickleBytes().Proto(2).Global(m, n).Pop().None().Stop().ToArray();
            var viaStackGlobal = new PickleBytes().Proto(4).Str(m).Str(n).StackGlobal().Pop().None().Stop().ToArray();

            AssertDangerous(viaGlobal, $"loading it would {entry.Effect}: it imports ", $"{m}.{n} at protocol 2");
            AssertDangerous(viaStackGlobal, $"loading it would {entry.Effect}: it imports {m}.{n}", $"{m}.{n} at protocol 4");
        }
    }

    [Fact]
    public void The_catalogue_has_an_effect_and_a_checkable_source_on_every_row_and_no_duplicate()
    {
        var entries = DangerousCatalogue.Entries;

        Assert.True(entries.Count > 300, $"only {entries.Count} rows");
        Assert.Equal(entries.Count, entries.Select(e => (e.Module, e.Name)).Distinct().Count());
        foreach (var entry in entries)
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Effect), $"line {entry.Line}: no effect");
            foreach (var part in entry.Source.Split("; "))
            {
                Assert.True(CheckableSource().IsMatch(part), $"line {entry.Line}: source '{part}' names no advisory, issue, scanner list, test file or analysis");
            }
        }
    }

    [Fact]
    public void No_row_is_covered_by_another()
    {
        var modules = DangerousCatalogue.Entries.Where(e => e.IsModule).Select(e => e.Module).ToHashSet(StringComparer.Ordinal);

        foreach (var entry in DangerousCatalogue.Entries)
        {
            var parents = Parents(entry.Module).Where(p => entry.IsModule ? p != entry.Module : true);
            var cover = parents.FirstOrDefault(modules.Contains);
            Assert.True(cover is null, $"line {entry.Line}: {entry.Module} {entry.Name} is already covered by the whole-module row for {cover}");
        }
    }

    [Theory]
    [InlineData("os\t*\trun processes", "3 tab-separated columns")]
    [InlineData("os\t*\t\tpicklescan _unsafe_globals", "must not be empty")]
    [InlineData("os\t*\trun processes\t ", "must not be empty")]
    [InlineData("os system\t*\trun processes\tpicklescan _unsafe_globals", "not a dotted Python module name")]
    [InlineData("os\tsystem()\trun processes\tpicklescan _unsafe_globals", "neither '*' nor a dotted Python name")]
    [InlineData("os\t*\trun processes\tpicklescan _unsafe_globals\textra", "5 tab-separated columns")]
    public void A_malformed_row_is_rejected_with_its_line(string row, string reason)
    {
        var text = "# header\n" + row + "\n";

        var error = Assert.Throws<InvalidDataException>(() => DangerousCatalogue.Parse(new StringReader(text), "test.tsv"));

        Assert.StartsWith("test.tsv(2): ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_listed_twice_is_rejected()
    {
        const string Text = "os\t*\trun processes\tpicklescan _unsafe_globals\n\nos\t*\trun shell commands\tfickling UNSAFE_IMPORTS\n";

        var error = Assert.Throws<InvalidDataException>(() => DangerousCatalogue.Parse(new StringReader(Text), "test.tsv"));

        Assert.Contains("test.tsv(3): os * is listed twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_and_blank_lines_are_skipped_and_lines_are_counted()
    {
        const string Text = "# comment\n\npickle\t*\tload another pickle\tpicklescan _unsafe_globals\n";

        var entry = Assert.Single(DangerousCatalogue.Parse(new StringReader(Text), "test.tsv"));

        Assert.Equal(new DangerousEntry("pickle", "*", "load another pickle", "picklescan _unsafe_globals", 3), entry);
    }

    [Theory]
    [InlineData("code", "InteractiveInterpreter.runcode", "code")] // under a whole-module row
    [InlineData("click._termui_impl", "Editor.edit_files", "click._termui_impl")] // a name row covers its attributes
    [InlineData("torch.utils.collect_env", "run", "torch.utils.collect_env")]
    public void A_name_inside_a_listed_module_or_under_a_listed_name_is_found(string module, string name, string rowModule)
    {
        var entry = DangerousCatalogue.FindName(module, name) ?? DangerousCatalogue.FindModule(module);

        Assert.NotNull(entry);
        Assert.Equal(rowModule, entry.Module);
    }

    [Theory]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    [InlineData("torch._utils", "_rebuild_tensor_v2")]
    [InlineData("collections", "OrderedDict")]
    [InlineData("builtins", "list")]
    [InlineData("pandas.core.frame", "DataFrame")]
    [InlineData("uuid", "UUID")]
    [InlineData("osx", "system")] // a module whose name only starts like a listed one
    public void Globals_benign_models_import_are_not_in_the_catalogue(string module, string name)
    {
        Assert.Null(DangerousCatalogue.FindName(module, name) ?? DangerousCatalogue.FindModule(module));
    }

    [Fact]
    public void Files_written_by_the_real_libraries_never_hit_the_catalogue()
    {
        var folder = RepositoryPaths.Combine("tests", "corpus", "real", "files");
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);

        foreach (var file in files)
        {
            var dangerous = ModelScanner.ScanPath(file, new ScanOptions()).Where(f => f.Code == "MLG301").Select(f => f.Message).ToList();
            Assert.True(dangerous.Count == 0, $"{Path.GetRelativePath(folder, file)}: {string.Join(" | ", dangerous)}");
        }
    }

    private static void AssertDangerous(byte[] pickle, string expected, string what)
    {
        var findings = PickleScannerTests.Scan(pickle);
        Assert.True(
            findings.Any(f => f.Code == "MLG301" && f.Severity == Severity.Error && f.Message.Contains(expected, StringComparison.Ordinal)),
            $"{what}: expected MLG301 with \"{expected}\", got [{string.Join(" | ", findings.Select(f => f.Code + " " + f.Message))}]");
    }

    private static IEnumerable<string> Parents(string module)
    {
        for (var end = module.IndexOf('.'); end >= 0; end = module.IndexOf('.', end + 1))
        {
            yield return module[..end];
        }

        yield return module;
    }

    [GeneratedRegex(@"^(GHSA-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}|CVE-\d{4}-\d+|[\w./-]+#\d+|(picklescan|modelscan|fickling|ModelAudit|hydra) \S|MlBuildGuard analysis: \S|huntr |pickle EXT)")]
    private static partial Regex CheckableSource();
}
