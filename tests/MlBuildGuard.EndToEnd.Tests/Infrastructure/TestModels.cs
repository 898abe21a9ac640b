using System.IO.Compression;

namespace MlBuildGuard.EndToEnd.Tests.Infrastructure;

/// <summary>Small model files the scanner accepts, for scenarios about what happens to models around the scan.</summary>
public static class TestModels
{
    /// <summary>{"w": value} as a protocol-2 pickle.</summary>
    public static byte[] DataPickle(byte value) => [0x80, 0x02, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w', (byte)'K', value, (byte)'s', (byte)'.'];

    /// <summary>A PyTorch-style checkpoint: a zip whose archive/data.pkl is the given pickle.</summary>
    public static void WriteCheckpoint(string path, byte[] dataPkl)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl").Open())
        {
            s.Write(dataPkl);
        }

        using (var s = zip.CreateEntry("archive/version").Open())
        {
            s.Write("3\n"u8);
        }
    }
}
