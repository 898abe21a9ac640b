using System.Buffers.Binary;

namespace MlBuildGuard.Core.Reproducibility;

/// <summary>
/// The CRC-32 zip headers carry (IEEE 802.3, reflected polynomial 0xEDB88320). Written here because the repository does not
/// reference System.IO.Hashing. Slicing by eight keeps it fast enough to run over every byte of a multi-gigabyte model twice
/// (once to check the source entry, once over what is written).
/// </summary>
internal static class ZipCrc32
{
    private static readonly uint[][] Tables = BuildTables();

    /// <summary>Extends the CRC of what came before (0 for nothing) with <paramref name="data"/>, like zlib's <c>crc32</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        var t = Tables;
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ c;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            c = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24]
                ^ t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^ t[1][(high >> 16) & 0xFF] ^ t[0][high >> 24];
            data = data[8..];
        }

        foreach (var b in data)
        {
            c = t[0][(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return ~c;
    }

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        tables[0] = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            tables[0][i] = c;
        }

        for (var n = 1; n < 8; n++)
        {
            tables[n] = new uint[256];
            for (var i = 0; i < 256; i++)
            {
                var previous = tables[n - 1][i];
                tables[n][i] = tables[0][previous & 0xFF] ^ (previous >> 8);
            }
        }

        return tables;
    }
}
