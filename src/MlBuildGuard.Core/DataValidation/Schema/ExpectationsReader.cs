using System.Globalization;

namespace MlBuildGuard.Core.DataValidation;

/// <summary>Reads the schema's <c>mlguard</c> key: the table expectations (docs/data-validation.md lists its keys).</summary>
internal static class ExpectationsReader
{
    public static TableExpectations Read(DocumentNode node, HashSet<string> fieldNames)
    {
        if (node.Kind != NodeKind.Object)
        {
            throw node.Error("'mlguard' must be an object of expectations");
        }

        long? minRows = null, maxRows = null;
        var maxNull = new Dictionary<string, double>(StringComparer.Ordinal);
        double? defaultMaxNull = null;
        LabelExpectation? labels = null;
        var maxUniqueKeys = TableExpectations.DefaultMaxUniqueKeys;
        var drift = DriftThresholds.Default;
        foreach (var p in node.Properties)
        {
            var v = p.Value;
            switch (p.Key)
            {
                case "minRows":
                    minRows = Count(v, "mlguard.minRows");
                    break;
                case "maxRows":
                    maxRows = Count(v, "mlguard.maxRows");
                    break;
                case "maxUniqueKeys":
                    maxUniqueKeys = Count(v, "mlguard.maxUniqueKeys");
                    if (maxUniqueKeys < 1)
                    {
                        throw v.Error("'mlguard.maxUniqueKeys' must be at least 1");
                    }

                    break;
                case "maxNullFraction":
                    if (v.Kind != NodeKind.Object)
                    {
                        throw v.Error("'mlguard.maxNullFraction' must map field names (or \"*\") to fractions between 0 and 1");
                    }

                    foreach (var entry in v.Properties)
                    {
                        var fraction = Fraction(entry.Value, $"mlguard.maxNullFraction.{entry.Key}");
                        if (entry.Key == "*")
                        {
                            defaultMaxNull = fraction;
                        }
                        else if (!fieldNames.Contains(entry.Key))
                        {
                            throw entry.Error($"'mlguard.maxNullFraction' names '{entry.Key}', which is not a field of the schema");
                        }
                        else
                        {
                            maxNull[entry.Key] = fraction;
                        }
                    }

                    break;
                case "labels":
                    labels = ReadLabels(v, fieldNames);
                    break;
                case "drift":
                    drift = ReadDrift(v);
                    break;
                default:
                    throw p.Error($"unknown expectation 'mlguard.{p.Key}' (one of: minRows, maxRows, maxNullFraction, labels, drift, maxUniqueKeys)");
            }
        }

        if (minRows > maxRows)
        {
            throw node.Error($"'mlguard.minRows' {minRows} is above 'mlguard.maxRows' {maxRows}");
        }

        return new TableExpectations
        {
            MinRows = minRows,
            MaxRows = maxRows,
            MaxNullFraction = maxNull,
            DefaultMaxNullFraction = defaultMaxNull,
            Labels = labels,
            MaxUniqueKeys = maxUniqueKeys,
            Drift = drift,
        };
    }

    private static LabelExpectation ReadLabels(DocumentNode node, HashSet<string> fieldNames)
    {
        if (node.Kind != NodeKind.Object)
        {
            throw node.Error("'mlguard.labels' must be an object with 'field' and 'minShare'");
        }

        string? field = null;
        double? share = null;
        IReadOnlyList<string>? values = null;
        foreach (var p in node.Properties)
        {
            switch (p.Key)
            {
                case "field":
                    field = p.Value is { Kind: NodeKind.String } f ? f.Scalar! : throw p.Value.Error("'mlguard.labels.field' must be a field name");
                    if (!fieldNames.Contains(field))
                    {
                        throw p.Value.Error($"'mlguard.labels.field' names '{field}', which is not a field of the schema");
                    }

                    break;
                case "minShare":
                    share = Fraction(p.Value, "mlguard.labels.minShare");
                    break;
                case "values":
                    values = TableSchemaReader.Strings(p.Value, "mlguard.labels.values");
                    break;
                default:
                    throw p.Error($"unknown key 'mlguard.labels.{p.Key}' (one of: field, minShare, values)");
            }
        }

        return new LabelExpectation(field ?? throw node.Error("'mlguard.labels' needs 'field'"), share ?? throw node.Error("'mlguard.labels' needs 'minShare'"), values);
    }

    private static DriftThresholds ReadDrift(DocumentNode node)
    {
        if (node.Kind != NodeKind.Object)
        {
            throw node.Error("'mlguard.drift' must be an object with psi, js and/or linf thresholds");
        }

        var drift = DriftThresholds.Default;
        foreach (var p in node.Properties)
        {
            var value = NonNegative(p.Value, $"mlguard.drift.{p.Key}");
            drift = p.Key switch
            {
                "psi" => drift with { Psi = value },
                "js" => drift with { JensenShannon = value },
                "linf" => drift with { LInfinity = value },
                _ => throw p.Error($"unknown drift statistic 'mlguard.drift.{p.Key}' (one of: psi, js, linf)"),
            };
        }

        return drift;
    }

    private static long Count(DocumentNode node, string what) =>
        node.Kind == NodeKind.Number && long.TryParse(node.Scalar, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw node.Error($"'{what}' must be a non-negative integer");

    private static double Fraction(DocumentNode node, string what)
    {
        var value = NonNegative(node, what);
        return value <= 1 ? value : throw node.Error($"'{what}' must be a fraction between 0 and 1");
    }

    private static double NonNegative(DocumentNode node, string what) =>
        node.Kind == NodeKind.Number && double.TryParse(node.Scalar, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d >= 0
            ? d
            : throw node.Error($"'{what}' must be a non-negative number");
}
