using System.Buffers.Binary;
using System.Text;

namespace Platform.Security.Tests.Fuzz;

/// <summary>A TLS ClientHello record with the SNI an attacker chooses (any bytes, several names, none), for the public port's SNI router.</summary>
public static class TlsHello
{
    public static byte[] Build(string? hostName, int? recordLength = null, IReadOnlyList<string>? hostNames = null)
    {
        var names = hostNames ?? (hostName is null ? [] : [hostName]);
        var extensions = new List<byte>();
        if (names.Count > 0)
        {
            var list = new List<byte>();
            foreach (var name in names)
            {
                var bytes = Encoding.UTF8.GetBytes(name);
                list.Add(0);
                list.AddRange(Length16(bytes.Length));
                list.AddRange(bytes);
            }

            extensions.AddRange([0x00, 0x00]);
            extensions.AddRange(Length16(list.Count + 2));
            extensions.AddRange(Length16(list.Count));
            extensions.AddRange(list);
        }

        var hello = new List<byte> { 0x03, 0x03 };
        hello.AddRange(new byte[32]);
        hello.Add(0);
        hello.AddRange([0x00, 0x02, 0x13, 0x01]);
        hello.AddRange([0x01, 0x00]);
        hello.AddRange(Length16(extensions.Count));
        hello.AddRange(extensions);

        var handshake = new List<byte> { 0x01, (byte)(hello.Count >> 16), (byte)(hello.Count >> 8), (byte)hello.Count };
        handshake.AddRange(hello);
        var record = new List<byte> { 0x16, 0x03, 0x01 };
        record.AddRange(Length16(recordLength ?? handshake.Count));
        record.AddRange(handshake);
        return [.. record];
    }

    private static byte[] Length16(int length)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)length);
        return bytes;
    }
}
