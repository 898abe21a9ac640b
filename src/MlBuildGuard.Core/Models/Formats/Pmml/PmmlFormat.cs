using System.Xml;
using MlBuildGuard.Core.Diagnostics;
using MlBuildGuard.Core.Models.Formats.Text;

namespace MlBuildGuard.Core.Models.Formats.Pmml;

/// <summary>
/// PMML models (the Data Mining Group's XML format): read with an XML reader that refuses DTDs and resolves no external
/// entity (so the XXE and entity-expansion tricks of XML do not apply), to the end, with the root element <c>PMML</c> in
/// a <c>http://www.dmg.org/PMML-…</c> namespace. PMML describes models declaratively and carries no code; a malformed or
/// truncated file, or one with a DTD, is MLG303 with its line and column.
/// </summary>
internal sealed class PmmlFormat : IModelFormat
{
    public string Name => "pmml";

    public bool Matches(ReadOnlySpan<byte> head, long length, string view) =>
        TextContent.FirstSignificant(head) == (byte)'<' && head.IndexOf("<PMML"u8) >= 0 && TextContent.Looks(head, length);

    public void Scan(FormatScan scan)
    {
        scan.Context.Recognise(scan.View, Name);
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            CloseInput = false,
        };
        scan.Stream.Position = 0;
        try
        {
            using var reader = XmlReader.Create(scan.Stream, settings);
            reader.MoveToContent();
            if (reader.LocalName != "PMML" || !reader.NamespaceURI.StartsWith("http://www.dmg.org/PMML-", StringComparison.Ordinal))
            {
                scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View,
                    $"its root element is '{FormatText.Printable(reader.Name)}' in the namespace '{FormatText.Printable(reader.NamespaceURI)}', not PMML");
                return;
            }

            var nodes = 0L;
            while (reader.Read())
            {
                if ((++nodes & 0xFFF) == 0)
                {
                    scan.Context.CancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (XmlException e)
        {
            scan.Context.Report(RuleCatalog.ModelUnparsable, scan.View, $"it is not valid XML (line {e.LineNumber}, column {e.LinePosition}: {FormatText.Printable(FirstSentence(e.Message))})");
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }
}
