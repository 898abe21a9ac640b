namespace MlBuildGuard.Core.Setup;

/// <summary>
/// What a pipeline needs to build a guarded project: the pinned SDK, the CI property, and the signing key from the
/// secret store, passed as environment variables (never on the command line, where logs would show it).
/// </summary>
public static class CiSnippets
{
    public const string GitHubActions = """
        # GitHub Actions, .github/workflows/build.yml. Add MLGUARD_SIGNING_KEY (the private key's PEM text) and, if the key is
        # encrypted, MLGUARD_SIGNING_KEY_PASSWORD as repository secrets.
        name: build
        on: [push, pull_request]
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  lfs: true
              - uses: actions/setup-dotnet@v4
                with:
                  global-json-file: global.json
              - run: dotnet build -c Release -p:ContinuousIntegrationBuild=true
                env:
                  MLGUARD_SIGNING_KEY: ${{ secrets.MLGUARD_SIGNING_KEY }}
                  MLGUARD_SIGNING_KEY_PASSWORD: ${{ secrets.MLGUARD_SIGNING_KEY_PASSWORD }}
        """;

    public const string AzurePipelines = """
        # Azure Pipelines, azure-pipelines.yml. Add MLGUARD_SIGNING_KEY and MLGUARD_SIGNING_KEY_PASSWORD as secret variables;
        # a secret reaches a script only through env.
        steps:
          - checkout: self
            lfs: true
          - task: UseDotNet@2
            inputs:
              useGlobalJson: true
          - script: dotnet build -c Release -p:ContinuousIntegrationBuild=true
            env:
              MLGUARD_SIGNING_KEY: $(MLGUARD_SIGNING_KEY)
              MLGUARD_SIGNING_KEY_PASSWORD: $(MLGUARD_SIGNING_KEY_PASSWORD)
        """;
}
