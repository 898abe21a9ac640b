using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace MlBuildGuard.Core.Setup;

/// <summary>
/// Edits an MSBuild file the way a person would: the file's own layout, comments and line endings stay as they are, new
/// elements are indented like their neighbours, and a property or item the file already has is never touched.
/// </summary>
internal sealed class MsBuildXml
{
    private readonly XDocument _document;
    private readonly string _newline;

    private MsBuildXml(XDocument document, string newline, bool existed)
    {
        _document = document;
        _newline = newline;
        Existed = existed;
    }

    public bool Existed { get; }

    private XElement Root => _document.Root!;

    private XNamespace Ns => Root.Name.Namespace;

    /// <summary>Reads the file, or starts an empty <c>&lt;Project&gt;</c> when it does not exist.</summary>
    public static MsBuildXml Load(string path)
    {
        if (!File.Exists(path))
        {
            return new MsBuildXml(new XDocument(new XElement("Project", new XText("\n"))), "\n", existed: false);
        }

        var text = File.ReadAllText(path);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(text), settings);
        var document = XDocument.Load(reader, LoadOptions.PreserveWhitespace);
        if (document.Root?.Name.LocalName != "Project")
        {
            throw new InvalidDataException($"{path} is not an MSBuild file (its root element is not <Project>)");
        }

        return new MsBuildXml(document, text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n", existed: true);
    }

    /// <summary>Whether any property group sets this property, under any condition.</summary>
    public bool HasProperty(string name) => Root.Elements(Ns + "PropertyGroup").Elements(Ns + name).Any();

    /// <summary>The value the file gives the property without a condition, if any.</summary>
    public string? PropertyValue(string name) =>
        Root.Elements(Ns + "PropertyGroup").Where(g => g.Attribute("Condition") is null)
            .Elements(Ns + name).Where(e => e.Attribute("Condition") is null).Select(e => e.Value.Trim()).LastOrDefault();

    /// <summary>Whether an item of this type has this Include (case-insensitively, as NuGet compares package ids).</summary>
    public bool HasItem(string type, string include) =>
        Root.Elements(Ns + "ItemGroup").Elements(Ns + type)
            .Any(e => string.Equals((string?)e.Attribute("Include") ?? (string?)e.Attribute("Update"), include, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds a property group (with a comment) holding the given properties.</summary>
    public void AddPropertyGroup(string comment, IEnumerable<(string Name, string Value, string? Condition)> properties) =>
        AddGroup("PropertyGroup", comment, properties.Select(p => Element(p.Name, p.Condition, new XText(p.Value))));

    /// <summary>Adds an item group (with a comment) holding one item with the given attributes.</summary>
    public void AddItem(string comment, string type, params (string Name, string Value)[] attributes)
    {
        var item = new XElement(Ns + type, attributes.Select(a => new XAttribute(a.Name, a.Value)));
        AddGroup("ItemGroup", comment, [item]);
    }

    public void Save(string path)
    {
        var settings = new XmlWriterSettings
        {
            OmitXmlDeclaration = _document.Declaration is null,
            Encoding = new UTF8Encoding(false),
            NewLineHandling = NewLineHandling.None,
        };
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, settings))
        {
            _document.Save(writer);
        }

        var bytes = buffer.ToArray();
        if (!Existed || bytes.Length == 0 || bytes[^1] != (byte)'\n')
        {
            bytes = [.. bytes, .. Encoding.UTF8.GetBytes(_newline)];
        }

        IO.AtomicFile.WriteAllBytes(path, bytes);
    }

    private XElement Element(string name, string? condition, XNode content)
    {
        var element = new XElement(Ns + name, content);
        if (condition is not null)
        {
            element.SetAttributeValue("Condition", condition);
        }

        return element;
    }

    private void AddGroup(string groupName, string comment, IEnumerable<XElement> children)
    {
        var indent = ChildIndent(Root);
        var inner = indent + indent;
        var group = new XElement(Ns + groupName);
        foreach (var child in children)
        {
            group.Add(new XText(_newline + inner), child);
        }

        group.Add(new XText(_newline + indent));
        var last = Root.LastNode;
        if (last is XText trailing && string.IsNullOrWhiteSpace(trailing.Value))
        {
            // Before the whitespace that closes </Project>, after a blank line.
            trailing.AddBeforeSelf(new XText(_newline + _newline + indent), new XComment(" " + comment + " "), new XText(_newline + indent), group);
            trailing.Value = _newline;
        }
        else
        {
            Root.Add(new XText(_newline + indent), new XComment(" " + comment + " "), new XText(_newline + indent), group, new XText(_newline));
        }
    }

    /// <summary>The indentation the file uses for the children of <paramref name="element"/> (two spaces when it has none).</summary>
    private static string ChildIndent(XElement element)
    {
        foreach (var text in element.Nodes().OfType<XText>())
        {
            var value = text.Value.Replace("\r", "", StringComparison.Ordinal);
            var newline = value.LastIndexOf('\n');
            if (newline >= 0 && value.Length > newline + 1 && value[(newline + 1)..].All(c => c is ' ' or '\t'))
            {
                return value[(newline + 1)..];
            }
        }

        return "  ";
    }
}
