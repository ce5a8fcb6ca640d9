using System.Buffers;
using System.Text;
using Platform.Proxy.Sni;
using Platform.Proxy.Tests.Support;

namespace Platform.Proxy.Tests.Sni;

public class ClientHelloParserTests
{
    private static readonly byte[] Hello = TlsClientHellos.Capture("daskgateway-abc123");

    [Fact]
    public void A_real_client_hello_yields_its_server_name()
    {
        var hello = ClientHelloParser.Parse(Hello);

        Assert.Equal(ClientHelloStatus.Complete, hello.Status);
        Assert.Equal("daskgateway-abc123", hello.ServerName);
    }

    [Fact]
    public void Every_prefix_of_a_hello_asks_for_more_bytes()
    {
        for (var length = 0; length < Hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.Incomplete, ClientHelloParser.Parse(Hello.AsSpan(0, length)).Status);
        }
    }

    [Fact]
    public void Bytes_after_the_hello_do_not_matter()
    {
        var hello = ClientHelloParser.Parse([.. Hello, .. new byte[100]]);

        Assert.Equal("daskgateway-abc123", hello.ServerName);
    }

    [Fact]
    public void A_hello_without_server_name_is_complete_with_no_name()
    {
        var hello = ClientHelloParser.Parse(TlsClientHellos.Capture(null));

        Assert.Equal(ClientHelloStatus.Complete, hello.Status);
        Assert.Null(hello.ServerName);
    }

    [Fact]
    public void A_hello_split_over_several_tls_records_is_reassembled()
    {
        var fragmented = Fragment(Hello, 7);

        var hello = ClientHelloParser.Parse(fragmented);

        Assert.Equal("daskgateway-abc123", hello.ServerName);
        Assert.Equal(ClientHelloStatus.Incomplete, ClientHelloParser.Parse(fragmented.AsSpan(0, fragmented.Length - 1)).Status);
    }

    [Fact]
    public void A_hello_spread_over_buffer_segments_is_read_across_them()
    {
        var sequence = Segments(Hello, 3);

        Assert.False(sequence.IsSingleSegment);
        Assert.Equal("daskgateway-abc123", ClientHelloParser.Parse(sequence).ServerName);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0000")]
    public void Http_and_short_input_are_told_apart(string text)
    {
        var status = ClientHelloParser.Parse(Encoding.Latin1.GetBytes(text)).Status;

        Assert.Equal(text.StartsWith('\u0016') ? ClientHelloStatus.Incomplete : ClientHelloStatus.NotClientHello, status);
    }

    [Fact]
    public void A_tls_record_that_is_not_a_client_hello_is_refused()
    {
        var serverHello = (byte[])Hello.Clone();
        serverHello[5] = 0x02;

        Assert.Equal(ClientHelloStatus.NotClientHello, ClientHelloParser.Parse(serverHello).Status);
    }

    [Fact]
    public void Lengths_that_overrun_the_message_are_refused()
    {
        var broken = (byte[])Hello.Clone();
        // The session id length (after 5 record + 4 handshake + 2 version + 32 random bytes) now claims more than the message holds.
        broken[5 + 4 + 2 + 32] = 0xFF;

        Assert.Equal(ClientHelloStatus.NotClientHello, ClientHelloParser.Parse(broken).Status);
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 600)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0)
            {
                bytes[0] = 0x16;
            }

            _ = ClientHelloParser.Parse(bytes);
        }
    }

    [Fact]
    public void Mutated_hellos_never_throw()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])Hello.Clone();
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            _ = ClientHelloParser.Parse(bytes);
        }
    }

    /// <summary>Re-frames the handshake message into records of at most <paramref name="size"/> bytes each.</summary>
    private static byte[] Fragment(byte[] hello, int size)
    {
        var message = hello.AsSpan(5, (hello[3] << 8) | hello[4]).ToArray();
        var output = new List<byte>();
        for (var offset = 0; offset < message.Length; offset += size)
        {
            var chunk = message.AsSpan(offset, Math.Min(size, message.Length - offset));
            output.AddRange([0x16, hello[1], hello[2], (byte)(chunk.Length >> 8), (byte)chunk.Length]);
            output.AddRange(chunk.ToArray());
        }

        return [.. output];
    }

    private static ReadOnlySequence<byte> Segments(byte[] bytes, int count)
    {
        var size = (bytes.Length / count) + 1;
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var memory = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
