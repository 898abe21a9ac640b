namespace MlBuildGuard.Core.Diagnostics;

/// <summary>
/// The single catalog of MlBuildGuard's rule codes (SPEC §5): codes, titles, default severities, message templates and
/// help links. Guards never write a code or a message text of their own; they pick a rule here and fill its template.
/// </summary>
public static class RuleCatalog
{
    /// <summary>Base of every rule's help link; the page is <c>docs/rules/&lt;code&gt;.md</c> in the repository.</summary>
    public const string HelpBaseUri = "https://github.com/MlBuildGuard/MlBuildGuard/blob/main/docs/rules/";

    // ---- host and configuration -------------------------------------------------------------------------------------

    public static readonly Rule HostNotSupported = new(
        "MLG001", "Host not supported; guards skipped", Severity.Warning,
        "MlBuildGuard needs MSBuild 18 or later on .NET Framework hosts (this is {0}); its guards were skipped. Build with the .NET SDK 10 (dotnet build) or Visual Studio 2026.", suppressible: false);

    public static readonly Rule InvalidConfiguration = new(
        "MLG002", "Invalid MlBuildGuard configuration", Severity.Error,
        "Invalid MlBuildGuard configuration: {0}", suppressible: false);

    public static readonly Rule SuppressionExpired = new(
        "MLG003", "A suppression has expired", Severity.Error,
        "The suppression of {0} for '{1}' was valid until {2:yyyy-MM-dd} and no longer applies (justification: {3}). Fix the finding, or renew the suppression with a new Expires date.", suppressible: false);

    public static readonly Rule InternalFailure = new(
        "MLG004", "Internal failure of a guard", Severity.Error,
        "MlBuildGuard {0} failed unexpectedly and could not show the build safe: {1}", suppressible: false);

    public static readonly Rule SuppressionUnused = new(
        "MLG005", "A suppression matched no finding", Severity.Warning,
        "The MlGuardSuppression of {0} for '{1}' matched no finding of this build, so it hides nothing. {2}", suppressible: false);

    // ---- dependencies -----------------------------------------------------------------------------------------------

    public static readonly Rule FloatingPackageVersion = new(
        "MLG101", "Floating or open-ended package version", Severity.Error,
        "{0} '{1}' has {2}=\"{3}\", which {4}. Pin an exact version ({2}=\"{5}\") so every restore resolves the same package.");

    public static readonly Rule NoNuGetLockFile = new(
        "MLG102", "No NuGet lock file", Severity.Error,
        "{0}. Set <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile> (in the project or Directory.Build.props), restore, and commit packages.lock.json: it pins every package, transitive ones too, with its content hash.");

    public static readonly Rule NotLockedModeOnCi = new(
        "MLG103", "RestoreLockedMode not true on CI", Severity.Error,
        "RestoreLockedMode is not true on this CI build, so restore may silently re-resolve packages instead of failing when they differ from packages.lock.json. Set <RestoreLockedMode Condition=\"'$(ContinuousIntegrationBuild)' == 'true'\">true</RestoreLockedMode> in Directory.Build.props, where both restore and the build see it (dotnet restore --locked-mode alone is invisible to the build).");

    public static readonly Rule NuGetLockFileOutOfSync = new(
        "MLG104", "packages.lock.json does not match restore", Severity.Error,
        "{0}: {1}. Restore again with the lock file committed (dotnet restore --locked-mode fails on this), or re-create the lock deliberately (dotnet restore --force-evaluate) and review the change.");

    public static readonly Rule PoisonedPackageCache = new(
        "MLG105", "Package cache content differs from the lock file", Severity.Error,
        "Package {0} {1} in the local package cache is not the package that was locked (or, without a lock, restored): {2}. Delete '{3}' and restore again; if it comes back different, the package source serves different bytes than when the lock was made.");

    public static readonly Rule UntrustedPackageSource = new(
        "MLG106", "Package from an untrusted source", Severity.Warning,
        "{0}");

    public static readonly Rule DeniedPackage = new(
        "MLG107", "Denied package", Severity.Error,
        "Package {0} {1} is denied by MlDeniedPackage '{2}'{3}{4}.");

    public static readonly Rule TyposquatPackage = new(
        "MLG108", "Package id close to a well-known package", Severity.Warning,
        "Package '{0}' is {1} edit(s) away from the well-known package '{2}' but is not it. Check that '{0}' is the package you meant; if it is, vouch for it with <MlGuardKnownPackage Include=\"{0}\" />.");

    public static readonly Rule UnpinnedPythonRequirement = new(
        "MLG109", "Python requirement not pinned with == and --hash", Severity.Error,
        "Python requirement '{0}' {1}. Pin it with '==' and at least one --hash=sha256:… (pip-compile --generate-hashes does both), so pip installs exactly the reviewed file.");

    public static readonly Rule KnownVulnerability = new(
        "MLG201", "Known vulnerability", Severity.Error,
        "Package {0} {1} has a known vulnerability of {2} severity, {3} (affected: {4}; {5}){6}.");

    public static readonly Rule DeprecatedPackage = new(
        "MLG202", "Deprecated package", Severity.Warning,
        "Package {0} {1} is deprecated ({2}){3}.");

    public static readonly Rule NoVulnerabilityData = new(
        "MLG203", "No vulnerability data", Severity.Warning,
        "{0}");

    // ---- model scanning ---------------------------------------------------------------------------------------------

    public static readonly Rule DangerousModelCode = new(
        "MLG301", "Model can execute code when loaded", Severity.Error,
        "{0}: loading it would {1}: {2}. Do not load this file; obtain the model from a trusted source, or re-export it as safetensors.");

    public static readonly Rule ModelImportNotAllowed = new(
        "MLG302", "Model imports something not on the allowlist", Severity.Error,
        "{0}: it imports '{1}', which is not on the allowlist of types safe to load. If you trust that type, allow it with <MlGuardAllowedGlobal Include=\"{1}\" />.");

    public static readonly Rule ModelUnparsable = new(
        "MLG303", "Model cannot be parsed or recognised", Severity.Error,
        "{0}: {1}, so it cannot be shown safe to load.");

    public static readonly Rule OnnxExternalDataEscapes = new(
        "MLG304", "ONNX external data escapes the model folder", Severity.Error,
        "{0}: tensor '{1}' keeps its data in '{2}', which {3}. External data must be a plain file inside the model's folder.");

    public static readonly Rule InvalidTensorHeader = new(
        "MLG305", "Invalid safetensors / GGUF / ONNX header", Severity.Error,
        "{0}: invalid {1} header: {2}.");

    public static readonly Rule KerasEmbeddedCode = new(
        "MLG306", "Keras/TensorFlow model with embedded code", Severity.Error,
        "{0}: {1}, which runs code when the model is loaded.");

    public static readonly Rule ScanLimitExceeded = new(
        "MLG307", "A scan limit was exceeded", Severity.Error,
        "{0}: {1} (limit {2}), so the rest cannot be shown safe. Archive bombs and endless streams look like this; a genuine model this large must be split.");

    // ---- training inputs and the lock file ---------------------------------------------------------------------------

    public static readonly Rule LockFileMissing = new(
        "MLG401", "Lock file missing in Locked mode", Severity.Error,
        "The lock file '{0}' does not exist and MlGuardLockMode is Locked, so the training inputs cannot be verified. Create it on a developer machine (dotnet build -p:MlGuardUpdateLock=true) and commit it.");

    public static readonly Rule TrainingInputChanged = new(
        "MLG402", "Training input changed since it was locked", Severity.Error,
        "Training input '{0}' changed since it was locked: locked sha256 {1} ({2} bytes), now sha256 {3} ({4} bytes). If the change is intended, update the lock (dotnet build -p:MlGuardUpdateLock=true) and commit it.");

    public static readonly Rule TrainingInputSourceChanged = new(
        "MLG402", "Training input changed since it was locked", Severity.Error,
        "Training input '{0}' is locked with source '{1}' but is now declared with source '{2}'. If the change is intended, update the lock (dotnet build -p:MlGuardUpdateLock=true) and commit it.");

    public static readonly Rule TrainingInputNotLocked = new(
        "MLG403", "Training input not in the lock", Severity.Error,
        "Training input '{0}' (sha256 {1}) is not in the lock file '{2}'. If it is meant to be trained on, add it to the lock (dotnet build -p:MlGuardUpdateLock=true) and commit it.");

    public static readonly Rule LockedTrainingInputMissing = new(
        "MLG404", "Locked training input missing", Severity.Error,
        "Locked training input '{0}' (sha256 {1}) does not exist. Restore the file, or remove it from the lock (dotnet build -p:MlGuardUpdateLock=true) if training no longer uses it.");

    public static readonly Rule LockedTrainingInputNotDeclared = new(
        "MLG404", "Locked training input missing", Severity.Error,
        "Locked training input '{0}' (sha256 {1}) is no longer declared as an MlTrainingInput. Declare it again, or remove it from the lock (dotnet build -p:MlGuardUpdateLock=true) if training no longer uses it.");

    public static readonly Rule TrainingInputOutsideProject = new(
        "MLG405", "Training input outside the project folder or reached through a link", Severity.Error,
        "Training input '{0}' {1} outside the project folder '{2}'. Only files inside the project folder can be locked: copy the data into the project, or move the project.");

    public static readonly Rule TrainingInputPatternEmpty = new(
        "MLG406", "MlTrainingInput pattern matched no file", Severity.Warning,
        "The MlTrainingInput pattern '{0}' matched no file.");

    public static readonly Rule LockFileMalformed = new(
        "MLG407", "Lock file malformed", Severity.Error,
        "The lock file '{0}' is malformed: {1}. Fix it by hand, or delete it and rebuild to create it anew; MlBuildGuard never replaces a malformed lock.");

    // ---- reproducible outputs ---------------------------------------------------------------------------------------

    public static readonly Rule NotDeterministic = new(
        "MLG501", "Deterministic is not true", Severity.Error,
        "Deterministic is '{0}', so the compiler embeds a fresh identity and timestamp in every assembly and two builds of the same sources differ. Remove the setting (the .NET SDK defaults it to true) or set <Deterministic>true</Deterministic>.");

    public static readonly Rule NotContinuousIntegrationBuild = new(
        "MLG502", "ContinuousIntegrationBuild not true on CI", Severity.Warning,
        "This build runs on CI ({0} is set) but ContinuousIntegrationBuild is not true, so paths of this machine are embedded in outputs and MlBuildGuard's CI defaults (Locked lock mode, re-hashing without caches, CI severities) are off. Set <ContinuousIntegrationBuild Condition=\"'$({1})' != ''\">true</ContinuousIntegrationBuild> in Directory.Build.props, or pass -p:ContinuousIntegrationBuild=true.");

    /// <summary>A warning in <c>Auto</c> mode; an error in <c>Locked</c> mode, so CI proves it rebuilt what was locked.</summary>
    public static readonly Rule ModelOutputNotReproduced = new(
        "MLG503", "Produced model differs from the lock", Severity.Error,
        "Model output '{0}' differs from the lock: locked sha256 {1} ({2} bytes), now sha256 {3} ({4} bytes); {5}. Training is not reproducible (seed, data, code, SDK or package versions changed). If the change is intended, update the lock (dotnet build -p:MlGuardUpdateLock=true) and commit it.");

    public static readonly Rule ModelOutputNotLocked = new(
        "MLG503", "Produced model differs from the lock", Severity.Error,
        "Model output '{0}' (sha256 {1}) is not in the lock file '{2}', so this build cannot show it reproduced the locked model. Build once with -p:MlGuardUpdateLock=true and commit the lock.");

    public static readonly Rule SdkNotPinned = new(
        "MLG504", "SDK not pinned by global.json", Severity.Warning,
        "{0}, so the .NET SDK (compiler, MSBuild, runtime libraries such as compression) can change from one machine or day to the next. Add a global.json beside the solution: {{ \"sdk\": {{ \"version\": \"{1}\", \"rollForward\": \"latestPatch\" }} }}.");

    // ---- model signing ----------------------------------------------------------------------------------------------
    // Messages name files and key kinds only: never key material, PEM text or passphrases.

    /// <summary>
    /// A message by default (and a word in the build's summary line); a warning on CI (<c>ContinuousIntegrationBuild</c>),
    /// <see cref="NoSigningKeyOnCi"/>; an error when <c>MlGuardRequireSignedOutputs</c> is true, <see cref="NoSigningKeyRequired"/>.
    /// Each names only the remedies that help where it is reported.
    /// </summary>
    public static readonly Rule NoSigningKey = new(
        "MLG601", "No signing key for a model output", Severity.Message,
        "Model output '{0}' is not signed because no signing key is configured. To sign it in the builds that ship it, give CI the key: the PEM text in the MLGUARD_SIGNING_KEY environment variable from a secret, or MlGuardSigningKey set to a key file made with 'mlguard keygen'.");

    public static readonly Rule NoSigningKeyOnCi = new(
        "MLG601", "No signing key for a model output", Severity.Warning,
        "Model output '{0}' is not signed because this CI build has no signing key. Pass the key from the CI secret store as the MLGUARD_SIGNING_KEY environment variable (PEM text; a passphrase in MLGUARD_SIGNING_KEY_PASSWORD), or set MlGuardSigningKey to a key file made with 'mlguard keygen'.");

    public static readonly Rule NoSigningKeyRequired = new(
        "MLG601", "No signing key for a model output", Severity.Error,
        "Model output '{0}' must be signed (MlGuardRequireSignedOutputs is true) but no signing key is configured. Pass the key as the MLGUARD_SIGNING_KEY environment variable (PEM text, from the CI secret store) or set MlGuardSigningKey to a key file made with 'mlguard keygen'; if this build need not sign, set MlGuardRequireSignedOutputs to false for it.");

    public static readonly Rule SignatureMissing = new(
        "MLG602", "Model has no signature", Severity.Error,
        "Model '{0}' has no signature: '{1}' does not exist, and {2}. Sign the model where it is made (mlguard sign) and ship the signature beside it.");

    public static readonly Rule SignatureMismatch = new(
        "MLG603", "Signature does not match the model", Severity.Error,
        "The signature '{0}' is not valid for model '{1}': {2} Do not use this model: obtain it, and its signature, again from the publisher.");

    public static readonly Rule SignatureByUntrustedKey = new(
        "MLG604", "Signature not by a trusted key", Severity.Error,
        "The signature '{0}' of model '{1}' is not by the trusted key '{2}': {3} Check that you were given the publisher's public key, and that the model came from that publisher.");

    public static readonly Rule SigningKeyUnusable = new(
        "MLG605", "Signing key unusable", Severity.Error,
        "The signing key '{0}' cannot be used: {1} Use an unencrypted or passphrase-protected ECDSA P-256, P-384 or P-521 key in PEM (mlguard keygen makes one); the passphrase comes only from MLGUARD_SIGNING_KEY_PASSWORD.");

    public static readonly Rule PrivateKeyExposed = new(
        "MLG606", "Private key material where it must not be", Severity.Error,
        "'{0}' holds private key material ({1}), where only {2} belongs. Remove it from there, treat the key as compromised, and make a new key pair (mlguard keygen).");

    // ---- training data and model quality ----------------------------------------------------------------------------
    // Messages never quote more than a short, escaped excerpt of a cell (see DataValidation.CellExcerpt): a cell may hold
    // personal data or a secret.

    /// <summary>One finding per field and rule: the first few places, the total count.</summary>
    public static readonly Rule DataSchemaViolation = new(
        "MLG701", "Training input violates its schema", Severity.Error,
        "Training input '{0}', field '{1}': {2} value(s) break the {3} rule ({4}); first at {5}{6}. Fix the data, or the schema if it is wrong.");

    /// <summary>The header or the rows do not have the columns the schema declares.</summary>
    public static readonly Rule DataColumnSetMismatch = new(
        "MLG701", "Training input violates its schema", Severity.Error,
        "Training input '{0}' does not have the columns of its schema '{1}': {2}.");

    public static readonly Rule DataExpectationFailed = new(
        "MLG702", "Training input fails a table expectation", Severity.Error,
        "Training input '{0}' fails the expectation {1}: {2}.");

    /// <summary>A warning by default; an error when the input declares <c>MaxDrift</c>.</summary>
    public static readonly Rule DataDrift = new(
        "MLG703", "Training input drifted from its locked profile", Severity.Warning,
        "Training input '{0}', column '{1}': {2} {3} exceeds its threshold {4} against the locked profile ({5}). If the new data is intended, update the lock (dotnet build -p:MlGuardUpdateLock=true) and review the profile change it prints.");

    public static readonly Rule DataSchemaInvalid = new(
        "MLG704", "Invalid schema, expectation or unreadable data", Severity.Error,
        "The schema '{0}' is invalid: {1}.");

    public static readonly Rule DataUnreadable = new(
        "MLG704", "Invalid schema, expectation or unreadable data", Severity.Error,
        "Training input '{0}' cannot be read as {1}: {2}.");

    /// <summary>A check could not be completed within its memory bound: fail closed, and say which bound to raise.</summary>
    public static readonly Rule DataCheckLimit = new(
        "MLG704", "Invalid schema, expectation or unreadable data", Severity.Error,
        "Training input '{0}' could not be fully checked: {1}. Raise mlguard.maxUniqueKeys in the schema if the machine has the memory (about 16 bytes per distinct value).");

    public static readonly Rule MetricRegressed = new(
        "MLG711", "Model metric regressed or out of bounds", Severity.Error,
        "Metric '{0}' of '{1}' is {2}: {3}. Improve the model, or change the threshold deliberately (MlMetricThreshold) and say why in the change.");

    public static readonly Rule MetricsMissing = new(
        "MLG712", "Metrics file missing or malformed, or a gated metric missing", Severity.Error,
        "Metrics file '{0}' {1}.");

    /// <summary>A warning by default; an error in <c>Locked</c> mode.</summary>
    public static readonly Rule MetricBaselineOtherData = new(
        "MLG713", "Metric baseline computed on other evaluation data", Severity.Warning,
        "The locked metrics of '{0}' were computed on other evaluation data ({1}), so comparing against them is not meaningful; the changes against the baseline were not gated. Update the lock (dotnet build -p:MlGuardUpdateLock=true) so the baseline is this evaluation data's.");

    // ---- secrets and personal data ------------------------------------------------------------------------------------

    public static readonly Rule CredentialFound = new(
        "MLG801", "Credential or token found", Severity.Error,
        "'{0}' holds {1} at {2} (rule {3}, fingerprint {4}); the value is not shown. Remove it, and revoke or rotate it where it was issued: anyone who got the file has it. If it is a reviewed, harmless value (a test token), accept its fingerprint in the secrets baseline (mlguard secrets --update-baseline).");

    public static readonly Rule PersonalDataFound = new(
        "MLG802", "Personal data in a training input", Severity.Error,
        "'{0}' column '{1}' holds {2} in {3} of its {4} non-empty values ({5}); the values are not shown. Remove or pseudonymise the column before training (a model can memorise and repeat it), or declare the input Pii=\"allow\" when it may hold personal data (for example a consented data set).");

    public static readonly Rule SecretConfigurationInvalid = new(
        "MLG803", "Secret rule file or secrets baseline invalid", Severity.Error,
        "'{0}' cannot be used as {1}: {2}", suppressible: false);

    /// <summary>Every distinct code, in code order, each with its primary rule (the first declared for that code).</summary>
    public static IReadOnlyList<Rule> All { get; } = typeof(RuleCatalog)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(Rule))
        .Select(f => (Rule)f.GetValue(null)!)
        .GroupBy(r => r.Code, StringComparer.Ordinal)
        .Select(g => g.First())
        .OrderBy(r => r.Code, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Is <paramref name="code"/> one of MlBuildGuard's codes?</summary>
    public static bool IsKnownCode(string code) => Find(code) is not null;

    /// <summary>The rule with this code (case-insensitive, as MSBuild treats codes), or null.</summary>
    public static Rule? Find(string code) => All.FirstOrDefault(r => string.Equals(r.Code, code.Trim(), StringComparison.OrdinalIgnoreCase));
}
