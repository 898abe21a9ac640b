namespace MlBuildGuard.Testing;

/// <summary>
/// A second opinion on our JSON from independent validators: CycloneDX's own JavaScript library (strict 1.6 schema),
/// ajv with the OMS v1.0 JSON schemas, and Frictionless's Table Schema library for schemas and data verdicts. They live in <c>tests/tools/schema-validation</c>, pinned by its
/// <c>package-lock.json</c>, and are installed once per test run by its <c>setup.sh</c>.
/// </summary>
internal static class SchemaValidator
{
    private static readonly string ToolDirectory = RepositoryPaths.Combine("tests", "tools", "schema-validation");

    /// <summary>The OMS v1.0 schemas (draft 2020-12) shared with the specification's test vectors.</summary>
    public static string OmsSchemaDirectory { get; } =
        Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "testdata", "oms", "schemas"));

    /// <summary>Installs the validators on first use; thread-safe so parallel test classes share one <c>npm ci</c>.</summary>
    private static readonly Lazy<string> Installed = new(() =>
    {
        var (exitCode, output) = ExternalTool.Run("bash", [Path.Combine(ToolDirectory, "setup.sh")], ToolDirectory);
        return exitCode == 0 ? ToolDirectory : throw new InvalidOperationException($"tests/tools/schema-validation/setup.sh failed ({exitCode}):\n{output}");
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Validates a BOM file against CycloneDX 1.6 (strict). Exit code 0 valid, 1 invalid.</summary>
    public static (int ExitCode, string Output) CycloneDx16(string file) => Validate("cyclonedx-1.6", file);

    /// <summary>Validates an OMS bundle and the statement in its DSSE payload. Exit code 0 valid, 1 invalid.</summary>
    public static (int ExitCode, string Output) OmsBundle(string file) => Validate("oms-bundle", file, OmsSchemaDirectory);

    /// <summary>
    /// Verifies a key-method Sigstore bundle with Sigstore's JavaScript verifier (<c>@sigstore/verify</c>), trusting only the
    /// public key in <paramref name="publicKeyFile"/> (PEM). Exit code 0 verified, 1 not verified, 2 usage or I/O error.
    /// </summary>
    public static (int ExitCode, string Output) SigstoreVerify(string bundleFile, string publicKeyFile)
    {
        var directory = Installed.Value;
        return ExternalTool.Run("node", [Path.Combine(directory, "sigstore-verify.mjs"), bundleFile, publicKeyFile], directory);
    }

    /// <summary>Is the file a valid Table Schema for Frictionless's own JavaScript library (npm <c>tableschema</c>)? Exit 0 yes, 1 no.</summary>
    public static (int ExitCode, string Output) TableSchemaDescriptor(string schemaFile) => TableSchemaCheck("schema", schemaFile);

    /// <summary>
    /// Does every row of each CSV file cast to the schema's types and meet its constraints, for npm <c>tableschema</c>?
    /// One process for all files (the library takes seconds to load). Exit 0 all valid, 1 not, 2 usage or I/O error;
    /// the output has a line "valid FILE" or "invalid FILE: errors" per file.
    /// </summary>
    public static (int ExitCode, string Output) TableSchemaData(string schemaFile, params string[] csvFiles) => TableSchemaCheck(["data", schemaFile, .. csvFiles]);

    private static (int ExitCode, string Output) TableSchemaCheck(params string[] arguments)
    {
        var directory = Installed.Value;
        return ExternalTool.Run("node", [Path.Combine(directory, "tableschema-check.mjs"), .. arguments], directory);
    }

    private static (int ExitCode, string Output) Validate(params string[] arguments)
    {
        var directory = Installed.Value;
        return ExternalTool.Run("node", [Path.Combine(directory, "validate.mjs"), .. arguments], directory);
    }
}
