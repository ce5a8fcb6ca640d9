using Platform.ServiceDefaults.Messaging;

namespace Platform.ServiceDefaults.Tests;

public sealed class BrokerAddressTests
{
    [Fact]
    public void An_amqp_uri_yields_host_port_vhost_and_unescaped_credentials()
    {
        var address = BrokerAddress.Parse("amqp://platform:p%40ss%3Aword@127.0.0.1:5772/tenant");

        Assert.Equal(("127.0.0.1", (ushort)5772, "tenant", "platform", "p@ss:word"), (address.Host, address.Port, address.VirtualHost, address.UserName, address.Password));
    }

    [Fact]
    public void Defaults_are_the_root_vhost_and_the_amqp_port()
    {
        var address = BrokerAddress.Parse("amqp://localhost");

        Assert.Equal(("/", (ushort)5672), (address.VirtualHost, address.Port));
    }

    [Fact]
    public void The_printable_form_never_contains_the_password()
    {
        var address = BrokerAddress.Parse("amqp://platform:hunter2@127.0.0.1:5772/");

        Assert.DoesNotContain("hunter2", address.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=localhost")]
    [InlineData("http://127.0.0.1:15672")]
    public void Anything_but_an_amqp_uri_is_refused_without_echoing_it(string connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BrokerAddress.Parse(connectionString));

        Assert.DoesNotContain(connectionString, error.Message, StringComparison.Ordinal);
    }
}
