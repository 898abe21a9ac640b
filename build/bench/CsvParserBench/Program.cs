using System.Diagnostics;
using System.Globalization;
using CsvHelper;
using nietras.SeparatedValues;

// Reads every field of every row of a CSV file with one parser and prints what it saw, the wall and CPU time:
//   CsvParserBench sep|csvhelper|csvhelper-bytes FILE
// Each reads the header, then every field, summing the field lengths so none can skip work: Sep as characters (what the
// validator checks), CsvHelper 34 as UTF-8 bytes decoded to characters, and (csvhelper-bytes) as bytes only, its best
// case. The benchmark script runs each as its own process under GNU time.
if (args.Length != 2 || args[0] is not ("sep" or "csvhelper" or "csvhelper-bytes"))
{
    Console.Error.WriteLine("usage: CsvParserBench sep|csvhelper|csvhelper-bytes FILE");
    return 2;
}

var wall = Stopwatch.StartNew();
long rows = 0, chars = 0;
if (args[0] == "sep")
{
    using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).FromFile(args[1]);
    foreach (var row in reader)
    {
        rows++;
        for (var c = 0; c < row.ColCount; c++)
        {
            chars += row[c].Span.Length;
        }
    }
}
else
{
    // CsvHelper 34 parses UTF-8 bytes with SIMD and hands out byte spans; the validator needs characters, so each field
    // is decoded as the validator would have to (Sep decodes while it reads).
    using var stream = File.OpenRead(args[1]);
    using var reader = CsvReader.Create(stream, new CsvReaderOptions { HasHeader = true }, false);
    var buffer = new char[1 << 16];
    var decode = args[0] == "csvhelper";
    while (reader.Read())
    {
        rows++;
        for (var c = 0; c < reader.FieldCount; c++)
        {
            chars += decode ? System.Text.Encoding.UTF8.GetChars(reader.GetSpan(c), buffer) : reader.GetSpan(c).Length;
        }
    }
}

Console.WriteLine($"{args[0]} rows={rows} chars={chars} wall_s={wall.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)} cpu_s={Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)}");
return 0;
