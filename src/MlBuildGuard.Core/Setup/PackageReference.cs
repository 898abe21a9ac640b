namespace MlBuildGuard.Core.Setup;

/// <summary>
/// The MlBuildGuard package reference: a development dependency (<c>PrivateAssets="all"</c>) in the project, with its
/// version in Directory.Packages.props when the repository manages versions centrally.
/// </summary>
internal static class PackageReference
{
    private const string PackageId = "MlBuildGuard";

    public static IEnumerable<SetupStep> Add(string project, string? packagesProps, string version, Func<string, string> relative)
    {
        var xml = MsBuildXml.Load(project);
        var central = packagesProps is not null && string.Equals(
            MsBuildXml.Load(packagesProps).PropertyValue("ManagePackageVersionsCentrally"), "true", StringComparison.OrdinalIgnoreCase);
        if (xml.HasItem("PackageReference", PackageId))
        {
            yield return new SetupStep(relative(project), "the MlBuildGuard package reference is already there", false);
        }
        else
        {
            const string Comment = "MlBuildGuard: every build checks training data, models and packages (a development dependency).";
            if (central)
            {
                xml.AddItem(Comment, "PackageReference", ("Include", PackageId), ("PrivateAssets", "all"));
            }
            else
            {
                xml.AddItem(Comment, "PackageReference", ("Include", PackageId), ("Version", version), ("PrivateAssets", "all"));
            }

            xml.Save(project);
            yield return new SetupStep(relative(project), $"added <PackageReference Include=\"{PackageId}\"{(central ? "" : $" Version=\"{version}\"")} PrivateAssets=\"all\" />", true);
        }

        if (central)
        {
            var props = MsBuildXml.Load(packagesProps!);
            if (props.HasItem("PackageVersion", PackageId))
            {
                yield return new SetupStep(relative(packagesProps!), "the MlBuildGuard package version is already there", false);
            }
            else
            {
                props.AddItem("MlBuildGuard's version (central package management).", "PackageVersion", ("Include", PackageId), ("Version", version));
                props.Save(packagesProps!);
                yield return new SetupStep(relative(packagesProps!), $"added <PackageVersion Include=\"{PackageId}\" Version=\"{version}\" />", true);
            }
        }
    }
}
