using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlBuildGuard.Core.Setup;

/// <summary>
/// The SDK pin (MLG504): global.json's <c>sdk.version</c> with <c>rollForward</c> <c>latestPatch</c>, so every machine
/// builds with the same SDK feature band. An existing version or roll-forward policy is the user's and stays.
/// </summary>
internal static class GlobalJsonPin
{
    public static SetupStep Add(string path, string sdkVersion, Func<string, string> relative)
    {
        JsonObject root;
        if (File.Exists(path))
        {
            try
            {
                root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                    ?? throw new InvalidDataException($"{relative(path)} is not a JSON object");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{relative(path)} is not valid JSON ({e.Message})", e);
            }
        }
        else
        {
            root = new JsonObject();
        }

        if (root["sdk"] is JsonObject { } existing && existing["version"] is not null)
        {
            return new SetupStep(relative(path), $"the SDK is already pinned ({existing["version"]}); left as it is", false);
        }

        var sdk = root["sdk"] as JsonObject ?? new JsonObject();
        root["sdk"] = sdk;
        sdk["version"] = sdkVersion;
        sdk["rollForward"] ??= "latestPatch";
        var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        IO.AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n", StringComparison.Ordinal)));
        return new SetupStep(relative(path), $"pinned the .NET SDK to {sdkVersion}, rollForward {sdk["rollForward"]} (MLG504)", true);
    }
}
