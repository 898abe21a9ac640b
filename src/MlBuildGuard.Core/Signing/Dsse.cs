using System.Globalization;
using System.Text;

namespace MlBuildGuard.Core.Signing;

/// <summary>DSSE v1 pre-authentication encoding: what the ECDSA signature covers.</summary>
public static class Dsse
{
    /// <summary><c>"DSSEv1" SP len(type) SP type SP len(payload) SP payload</c>, lengths as decimal byte counts.</summary>
    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        var typeBytes = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"DSSEv1 {typeBytes.Length} {payloadType} {payload.Length} "));
        var result = new byte[header.Length + payload.Length];
        header.CopyTo(result, 0);
        payload.CopyTo(result.AsSpan(header.Length));
        return result;
    }
}
