namespace MlBuildGuard.Core.Models.Containers;

/// <summary>Keeping read-once content (archive members, decompressed streams) readable again, within bounds.</summary>
internal static class Spooling
{
    /// <summary>Reads a stream to its end into memory, failing with MLG307 past <paramref name="max"/> bytes.</summary>
    public static byte[] ReadBounded(Stream data, long max)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = data.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > max)
            {
                throw new ScanLimitException("a configuration is larger than allowed", max);
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    /// <summary>Keeps read-once content seekable: in memory up to 64 MiB, then in a temporary file deleted on close.</summary>
    public static Stream Spool(byte[] head, int count, Stream rest)
    {
        Stream target = new MemoryStream();
        try
        {
            target.Write(head, 0, count);
            var chunk = new byte[1 << 16];
            int n;
            while ((n = rest.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (target is MemoryStream memory && memory.Length > (64L << 20))
                {
                    var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
                    memory.Position = 0;
                    memory.CopyTo(file);
                    target = file;
                }

                target.Write(chunk, 0, n);
            }

            target.Position = 0;
            return target;
        }
        catch
        {
            // A scan limit or a damaged stream stops the copy: the temporary file goes with it.
            target.Dispose();
            throw;
        }
    }

    /// <summary>Copies a seekable stream to a temporary file (formats that need a path: ONNX resolves files beside it).</summary>
    public static string Spill(Stream stream, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), "mlguard-" + Guid.NewGuid().ToString("N") + extension);
        stream.Position = 0;
        using var file = File.Create(path);
        stream.CopyTo(file);
        return path;
    }
}

/// <summary>The bytes already read followed by the rest of the stream.</summary>
internal sealed class ConcatStream(byte[] head, int headCount, Stream rest) : ReadOnlyStream
{
    private int _at;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_at < headCount)
        {
            var n = Math.Min(count, headCount - _at);
            Array.Copy(head, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        return rest.Read(buffer, offset, count);
    }
}
