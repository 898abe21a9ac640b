namespace MlBuildGuard.Testing;

/// <summary>
/// Tests that set process environment variables (the signing key, its passphrase, a proxy) join this collection. The
/// variables are process-wide and the code under test reads them, so another test running at the same time would see
/// them: a build signed with the test's key, a statement that is suddenly a DSSE envelope. xUnit runs a collection
/// that disables parallelization on its own, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "Tests that set process environment variables";
}
