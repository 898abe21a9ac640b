using MlBuildGuard.Core.Secrets;

/// <summary>
/// Where the scanner's work beyond the keyword search goes on the benchmark's CSV: for each built-in keyword, how often
/// it occurs, and for each rule, how many regex windows those hits ask for (each is decoded and given to the rule's
/// regex). Printed as Markdown; counts only, never the bytes around a hit.
/// </summary>
internal static class KeywordHits
{
    public static int Run(string folder, int mib)
    {
        var data = PassCost.Load(folder, (long)mib << 20);
        var search = PassCost.BuiltInKeywordSearch();
        var hits = new List<MlBuildGuard.Core.Secrets.Engine.KeywordHit>();
        search.FindAll(data, 0, hits);
        var perKeyword = hits.GroupBy(h => h.Keyword).Select(g => (Keyword: search.Keywords[g.Key].Text, Count: g.Count()))
            .OrderByDescending(k => k.Count).ToArray();
        Console.WriteLine($"| keyword | hits in {mib} MiB | rules it anchors |");
        Console.WriteLine("| --- | ---: | --- |");
        foreach (var (keyword, count) in perKeyword)
        {
            var rules = SecretRuleSet.BuiltIn.Rules.Where(r => r.Keywords.Any(k => string.Equals(k.Text, keyword, k.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)));
            Console.WriteLine($"| `{keyword}` | {count:N0} | {string.Join(", ", rules.Select(r => r.Id))} |");
        }

        return 0;
    }
}
