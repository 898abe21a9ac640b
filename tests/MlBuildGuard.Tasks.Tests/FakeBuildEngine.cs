using System.Collections;
using Microsoft.Build.Framework;

namespace MlBuildGuard.Tasks.Tests;

/// <summary>
/// A build engine that records what a task logs, keeps registered task objects, and promotes the warnings named in
/// <see cref="WarningsAsErrors"/> the way MSBuild does for <c>WarningsAsErrors</c> / <c>-warnaserror</c>.
/// </summary>
internal sealed class FakeBuildEngine : IBuildEngine8
{
    private readonly Dictionary<object, object> _taskObjects = new();

    public List<BuildErrorEventArgs> Errors { get; } = new();

    public List<BuildWarningEventArgs> Warnings { get; } = new();

    public List<BuildMessageEventArgs> Messages { get; } = new();

    public HashSet<string> WarningsAsErrors { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool ContinueOnError => false;

    public int LineNumberOfTaskNode => 0;

    public int ColumnNumberOfTaskNode => 0;

    public string ProjectFileOfTaskNode => "fake.targets";

    public bool IsRunningMultipleNodes => false;

    public bool AllowFailureWithoutError { get; set; }

    public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);

    public void LogWarningEvent(BuildWarningEventArgs e)
    {
        if (WarningsAsErrors.Contains(e.Code))
        {
            Errors.Add(new BuildErrorEventArgs(e.Subcategory, e.Code, e.File, e.LineNumber, e.ColumnNumber, e.EndLineNumber, e.EndColumnNumber, e.Message, e.HelpKeyword, e.SenderName));
            return;
        }

        Warnings.Add(e);
    }

    public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e);

    public void LogCustomEvent(CustomBuildEventArgs e)
    {
    }

    public bool ShouldTreatWarningAsError(string warningCode) => WarningsAsErrors.Contains(warningCode);

    public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) => _taskObjects[key] = obj;

    public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _taskObjects.GetValueOrDefault(key);

    public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _taskObjects.Remove(key, out var o) ? o : null;

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => throw new NotSupportedException();

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) => throw new NotSupportedException();

    public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) => throw new NotSupportedException();

    public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) => throw new NotSupportedException();

    public void Yield()
    {
    }

    public void Reacquire()
    {
    }

    public void LogTelemetry(string eventName, IDictionary<string, string> properties)
    {
    }

    public IReadOnlyDictionary<string, string> GetGlobalProperties() => new Dictionary<string, string>();
}
