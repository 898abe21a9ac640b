global using MlBuildGuard.Testing;
global using Xunit.Abstractions;
