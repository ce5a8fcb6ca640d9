using System.Buffers;
using System.Text;

namespace Platform.Proxy.Sni;

public enum ClientHelloStatus
{
    /// <summary>The bytes so far are a plausible start of a ClientHello; read more.</summary>
    Incomplete,

    /// <summary>Not a TLS ClientHello (e.g. HTTP), or a malformed one.</summary>
    NotClientHello,

    /// <summary>A whole ClientHello was read; <see cref="ClientHello.ServerName"/> is its SNI, if any.</summary>
    Complete,
}

public readonly record struct ClientHello(ClientHelloStatus Status, string? ServerName)
{
    public static readonly ClientHello Incomplete = new(ClientHelloStatus.Incomplete, null);
    public static readonly ClientHello NotClientHello = new(ClientHelloStatus.NotClientHello, null);
}

/// <summary>
/// Reads the server name (SNI) from the first bytes of a TLS connection without consuming or decrypting anything,
/// so the connection can be spliced to whoever holds the certificate. The handshake message may span several
/// TLS records (large key shares do that), so records are reassembled up to <see cref="MaximumHelloLength"/>.
/// </summary>
public static class ClientHelloParser
{
    /// <summary>More than any real ClientHello; a peer sending more before we decide is not a TLS client we serve.</summary>
    public const int MaximumHelloLength = 64 * 1024;

    private const byte HandshakeRecord = 0x16;
    private const byte ClientHelloType = 0x01;
    private const ushort ServerNameExtension = 0x0000;
    private const byte HostNameType = 0x00;
    private const int RecordHeaderLength = 5;

    /// <summary>True when the first byte already says this connection is not TLS (HTTP starts with a letter).</summary>
    public static bool CannotBeTls(byte first) => first != HandshakeRecord;

    public static ClientHello Parse(ReadOnlySequence<byte> input)
    {
        if (input.IsSingleSegment)
        {
            return Parse(input.FirstSpan);
        }

        // Multi-segment buffers are rare (a hello is usually one read); copy at most what a hello may take.
        var length = (int)Math.Min(input.Length, MaximumHelloLength + (RecordHeaderLength * 16));
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            input.Slice(0, length).CopyTo(rented);
            return Parse(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static ClientHello Parse(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return ClientHello.Incomplete;
        }

        if (CannotBeTls(input[0]))
        {
            return ClientHello.NotClientHello;
        }

        // Gather handshake bytes record by record until the ClientHello's declared length is present.
        byte[]? assembled = null;
        var assembledLength = 0;
        var offset = 0;
        var needed = -1;
        try
        {
            while (true)
            {
                if (input.Length - offset < RecordHeaderLength)
                {
                    return ClientHello.Incomplete;
                }

                var header = input.Slice(offset, RecordHeaderLength);
                if (header[0] != HandshakeRecord || header[1] != 0x03)
                {
                    return ClientHello.NotClientHello;
                }

                var recordLength = (header[3] << 8) | header[4];
                if (recordLength == 0 || recordLength > (1 << 14) + 2048)
                {
                    return ClientHello.NotClientHello;
                }

                if (input.Length - offset - RecordHeaderLength < recordLength)
                {
                    return ClientHello.Incomplete;
                }

                var fragment = input.Slice(offset + RecordHeaderLength, recordLength);
                offset += RecordHeaderLength + recordLength;

                if (assembled is null && needed < 0 && fragment.Length >= 4)
                {
                    if (fragment[0] != ClientHelloType)
                    {
                        return ClientHello.NotClientHello;
                    }

                    needed = 4 + ((fragment[1] << 16) | (fragment[2] << 8) | fragment[3]);
                    if (needed > MaximumHelloLength)
                    {
                        return ClientHello.NotClientHello;
                    }

                    if (fragment.Length >= needed)
                    {
                        return ParseHandshake(fragment[..needed]);
                    }
                }

                assembled ??= ArrayPool<byte>.Shared.Rent(MaximumHelloLength + (1 << 14) + 2048);
                fragment.CopyTo(assembled.AsSpan(assembledLength));
                assembledLength += fragment.Length;
                if (needed < 0 && assembledLength >= 4)
                {
                    if (assembled[0] != ClientHelloType)
                    {
                        return ClientHello.NotClientHello;
                    }

                    needed = 4 + ((assembled[1] << 16) | (assembled[2] << 8) | assembled[3]);
                    if (needed > MaximumHelloLength)
                    {
                        return ClientHello.NotClientHello;
                    }
                }

                if (needed >= 0 && assembledLength >= needed)
                {
                    return ParseHandshake(assembled.AsSpan(0, needed));
                }

                if (assembledLength > MaximumHelloLength)
                {
                    return ClientHello.NotClientHello;
                }
            }
        }
        finally
        {
            if (assembled is not null)
            {
                ArrayPool<byte>.Shared.Return(assembled);
            }
        }
    }

    /// <summary>A whole handshake message: type(1) length(3) version(2) random(32) session_id cipher_suites compression extensions.</summary>
    private static ClientHello ParseHandshake(ReadOnlySpan<byte> message)
    {
        var reader = new HelloReader(message[4..]);
        if (!reader.Skip(2 + 32) || !reader.SkipVector(1) || !reader.SkipVector(2) || !reader.SkipVector(1))
        {
            return ClientHello.NotClientHello;
        }

        if (reader.Remaining == 0)
        {
            return new ClientHello(ClientHelloStatus.Complete, null);
        }

        if (!reader.TryReadVector(2, out var extensions) || reader.Remaining != 0)
        {
            return ClientHello.NotClientHello;
        }

        var list = new HelloReader(extensions);
        while (list.Remaining > 0)
        {
            if (!list.TryReadUInt16(out var type) || !list.TryReadVector(2, out var body))
            {
                return ClientHello.NotClientHello;
            }

            if (type == ServerNameExtension)
            {
                return ParseServerName(body);
            }
        }

        return new ClientHello(ClientHelloStatus.Complete, null);
    }

    private static ClientHello ParseServerName(ReadOnlySpan<byte> extension)
    {
        var reader = new HelloReader(extension);
        if (!reader.TryReadVector(2, out var names) || reader.Remaining != 0)
        {
            return ClientHello.NotClientHello;
        }

        var list = new HelloReader(names);
        while (list.Remaining > 0)
        {
            if (!list.TryReadByte(out var nameType) || !list.TryReadVector(2, out var name))
            {
                return ClientHello.NotClientHello;
            }

            if (nameType == HostNameType)
            {
                // RFC 6066: ASCII host name, no trailing dot; anything else cannot match a route.
                foreach (var b in name)
                {
                    if (b is < 0x21 or > 0x7E)
                    {
                        return ClientHello.NotClientHello;
                    }
                }

                return name.IsEmpty ? ClientHello.NotClientHello : new ClientHello(ClientHelloStatus.Complete, Encoding.ASCII.GetString(name));
            }
        }

        return new ClientHello(ClientHelloStatus.Complete, null);
    }

    private ref struct HelloReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> rest = data;

        public readonly int Remaining => rest.Length;

        public bool Skip(int count)
        {
            if (rest.Length < count)
            {
                return false;
            }

            rest = rest[count..];
            return true;
        }

        public bool TryReadByte(out byte value)
        {
            value = 0;
            if (rest.IsEmpty)
            {
                return false;
            }

            value = rest[0];
            rest = rest[1..];
            return true;
        }

        public bool TryReadUInt16(out ushort value)
        {
            value = 0;
            if (rest.Length < 2)
            {
                return false;
            }

            value = (ushort)((rest[0] << 8) | rest[1]);
            rest = rest[2..];
            return true;
        }

        public bool TryReadVector(int lengthBytes, out ReadOnlySpan<byte> vector)
        {
            vector = default;
            if (rest.Length < lengthBytes)
            {
                return false;
            }

            var length = lengthBytes == 1 ? rest[0] : (rest[0] << 8) | rest[1];
            if (rest.Length - lengthBytes < length)
            {
                return false;
            }

            vector = rest.Slice(lengthBytes, length);
            rest = rest[(lengthBytes + length)..];
            return true;
        }

        public bool SkipVector(int lengthBytes) => TryReadVector(lengthBytes, out _);
    }
}
