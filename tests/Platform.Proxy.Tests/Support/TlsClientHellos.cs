using System.Net.Security;

namespace Platform.Proxy.Tests.Support;

/// <summary>Real ClientHello bytes, as .NET's TLS stack writes them, captured without any server.</summary>
public static class TlsClientHellos
{
    public static byte[] Capture(string? serverName)
    {
        var capture = new CaptureStream();
        using var tls = new SslStream(capture, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "127.0.0.1",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        };
        try
        {
            tls.AuthenticateAsClient(options);
        }
        catch (IOException)
        {
            // The capture stream ends the handshake after the hello: that is all we want.
        }

        return capture.Written.ToArray();
    }

    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
