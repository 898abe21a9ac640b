using MlBuildGuard.Core.Models.Pickle;
using MlBuildGuard.Core.Models.Pickle.Catalogue;

namespace MlBuildGuard.Core.Tests.Models.Pickle;

/// <summary>The built-in allowlist as data: every row well formed and sourced, its patterns exact, and never a way around MLG301.</summary>
public class AllowListTests
{
    [Fact]
    public void Every_row_has_a_library_and_a_source()
    {
        Assert.True(AllowList.Entries.Count > 500);
        Assert.All(AllowList.Entries, e => Assert.True(e.Library.Length > 0 && e.Source.Length > 10, $"{e.Module} {e.Name}"));
    }

    [Theory]
    [InlineData("torch._utils", "_rebuild_tensor_v2", true)]
    [InlineData("sklearn.ensemble._forest", "RandomForestClassifier", true)]
    [InlineData("sklearn.linear_model.logistic", "LogisticRegression", true)] // the 0.2x layout
    [InlineData("sklearn.linear_model._logistic", "_logistic_regression_path", false)] // a function, not a class
    [InlineData("sklearn.utils._testing", "TempMemmap", false)] // outside the estimator subpackages
    [InlineData("sklearn.datasets", "fetch_openml", false)]
    [InlineData("pandas.core.arrays.integer", "IntegerArray", true)]
    [InlineData("pandas._libs.tslibs.offsets", "MonthEnd", true)]
    [InlineData("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", true)]
    [InlineData("pandas.io.pickle", "read_pickle", false)]
    [InlineData("numpy._core.multiarray", "_reconstruct", true)]
    [InlineData("numpy", "fromfile", false)]
    [InlineData("torch.nn.modules.linear", "Linear", true)]
    [InlineData("torch.nn.modules.linear", "Linear.forward", false)] // a dotted name needs a row of its own
    [InlineData("zoneinfo", "ZoneInfo._unpickle", true)]
    public void Patterns_allow_what_the_libraries_write_and_nothing_around_it(string module, string name, bool allowed)
    {
        Assert.Equal(allowed, AllowList.Allows(module, name));
    }

    [Fact]
    public void An_exact_row_stands_against_a_whole_module_catalogue_entry_but_not_against_a_dotted_reading()
    {
        var policy = new GlobalPolicy([]);

        Assert.Equal(GlobalVerdict.Allowed, policy.Judge("pathlib", "PosixPath").Verdict);
        Assert.Equal(GlobalVerdict.Dangerous, policy.Judge("pathlib", "PosixPath.write_text").Verdict);
        Assert.Equal(GlobalVerdict.Dangerous, policy.Judge("pathlib", "os.system").Verdict);
    }

    [Fact]
    public void A_users_entry_never_allows_a_catalogue_name()
    {
        var policy = new GlobalPolicy(["os.system", "subprocess.*", "builtins.eval"]);

        Assert.Equal(GlobalVerdict.Dangerous, policy.Judge("os", "system").Verdict);
        Assert.Equal(GlobalVerdict.Dangerous, policy.Judge("subprocess", "Popen").Verdict);
        Assert.Equal(GlobalVerdict.Dangerous, policy.Judge("builtins", "eval").Verdict);
    }

    [Fact]
    public void Malformed_rows_are_refused_when_the_table_is_read()
    {
        Assert.Throws<InvalidDataException>(() => AllowList.Parse("a\tb\tc\n"));
        Assert.Throws<InvalidDataException>(() => AllowList.Parse("a\tb\tlib\tsource\na\tb\tlib\tsource\n"));
        Assert.Throws<InvalidDataException>(() => AllowList.Parse("a\t b\tlib\tsource\n"));
    }
}
