using System.Buffers.Binary;

namespace MlBuildGuard.Testing;

/// <summary>
/// Byte-level fuzz inputs from a sample: random bytes, or the sample with a few typical corruptions. Shared by the model
/// scanner's fuzz tests and the parser fuzz tests (tests/MlBuildGuard.Fuzz.Tests), which add structure-aware mutations.
/// </summary>
internal static class InputMutator
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x03, 0x07, 0x08, 0x09, 0x0A, 0x7F, 0x80, 0xFF, (byte)'{', (byte)'"', (byte)'.', (byte)'/'];

    /// <summary>Random bytes, or the sample with a few random mutations (flip, overwrite, 64-bit splice, cut, insert, delete).</summary>
    public static byte[] Mutate(Random random, byte[] sample, byte[]? prefix = null)
    {
        if (random.Next(5) == 0)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            if (prefix is not null && bytes.Length >= prefix.Length && random.Next(2) == 0)
            {
                prefix.CopyTo(bytes, 0);
            }

            return bytes;
        }

        var data = new List<byte>(sample);
        var mutations = 1 + random.Next(4);
        for (var m = 0; m < mutations && data.Count > 0; m++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    var value = random.Next(4) switch
                    {
                        0 => ulong.MaxValue,
                        1 => 1UL << random.Next(64),
                        2 => (ulong)random.Next(0, 1000),
                        _ => (ulong)random.NextInt64(),
                    };
                    var b = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(b, value);
                    for (var i = 0; i < 8 && at + i < data.Count; i++)
                    {
                        data[at + i] = b[i];
                    }

                    break;
                case 3:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 4:
                    data.Insert(at, (byte)random.Next(256));
                    break;
                case 5:
                    data.RemoveAt(at);
                    break;
                default:
                    // Duplicate a slice (repeats keys, fields, tensor infos).
                    var len = random.Next(1, Math.Min(40, data.Count - at) + 1);
                    data.InsertRange(at, data.GetRange(at, len));
                    break;
            }
        }

        return data.ToArray();
    }
}
