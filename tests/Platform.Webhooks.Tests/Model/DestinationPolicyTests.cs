using System.Net;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Tests.Model;

public sealed class DestinationPolicyTests
{
    private static readonly DestinationPolicy Strict = DestinationPolicy.FromSetting("");
    private static readonly DestinationPolicy Local = DestinationPolicy.FromSetting(" 127.0.0.1 , receiver.internal");

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fc00::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a00:1")]
    public void Internal_addresses_are_not_public(string address) =>
        Assert.False(DestinationPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700::1111")]
    public void Internet_addresses_are_public(string address) =>
        Assert.True(DestinationPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://example.com/hook", "https")]
    [InlineData("ftp://example.com/hook", "scheme")]
    [InlineData("https://user:pass@example.com/hook", "credentials")]
    [InlineData("https://10.0.0.1/hook", "private")]
    [InlineData("https://[::1]/hook", "loopback")]
    [InlineData("/relative", "scheme")] // on Unix a rooted path parses as file://
    [InlineData("", "absolute")]
    public void Unsafe_urls_are_refused_with_a_reason(string url, string reason)
    {
        var verdict = Strict.CheckUrl(url, out var uri);
        Assert.False(verdict.Allowed);
        Assert.Null(uri);
        Assert.Contains(reason, verdict.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Allowed_hosts_may_use_http_and_internal_addresses()
    {
        Assert.True(Local.CheckUrl("http://127.0.0.1:8080/hook", out _).Allowed);
        Assert.True(Local.CheckAddresses("receiver.internal", [IPAddress.Parse("10.0.0.5")]).Allowed);
        Assert.False(Local.CheckUrl("http://localhost:8080/hook", out _).Allowed);
        Assert.False(Local.CheckAddresses("localhost", [IPAddress.Loopback]).Allowed);
    }

    [Fact]
    public void A_name_is_refused_if_any_address_it_resolves_to_is_internal()
    {
        var verdict = Strict.CheckAddresses("rebind.example", [IPAddress.Parse("93.184.215.14"), IPAddress.Parse("127.0.0.1")]);
        Assert.False(verdict.Allowed);
        Assert.False(Strict.CheckAddresses("nowhere.example", []).Allowed);
        Assert.True(Strict.CheckAddresses("example.com", [IPAddress.Parse("93.184.215.14")]).Allowed);
    }
}
