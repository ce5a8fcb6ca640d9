using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Configuration;

namespace Platform.ServiceDefaults.Tests;

/// <summary>Aspire's convention, through Microsoft.Extensions.ServiceDiscovery: <c>http://auth/...</c> goes to <c>services:auth:http:0</c>.</summary>
public sealed class ServiceDiscoveryTests
{
    [Fact]
    public async Task A_service_name_resolves_to_its_configured_http_endpoint_keeping_path_and_query()
    {
        await using var target = await StartEchoAsync();
        using var host = ClientHost(("services:auth:http:0", target.Address));

        var answer = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient().GetStringAsync(new Uri("http://auth/api/identity/keys?x=1"));

        Assert.Equal("/api/identity/keys?x=1", answer);
    }

    [Fact]
    public async Task The_https_plus_http_scheme_falls_back_to_http_when_only_http_is_configured()
    {
        await using var target = await StartEchoAsync();
        using var host = ClientHost(("services:auth:http:0", target.Address));

        var answer = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient().GetStringAsync(new Uri("https+http://auth/x"));

        Assert.Equal("/x", answer);
    }

    [Fact]
    public async Task Hosts_that_name_no_configured_service_pass_through_unchanged()
    {
        await using var target = await StartEchoAsync();
        using var host = ClientHost(("services:auth:http:0", "http://127.0.0.1:9"));

        var answer = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient().GetStringAsync(new Uri(target.Address + "/direct"));

        Assert.Equal("/direct", answer);
    }

    [Fact]
    public void Environment_style_keys_name_a_configured_service_like_aspire_injects_them()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create<string, string?>("services__clusters__http__0".Replace("__", ":", StringComparison.Ordinal), "http://127.0.0.1:5102")])
            .Build();

        Assert.True(configuration.HasServiceEndpoint("clusters"));
        Assert.False(configuration.HasServiceEndpoint("auth"));
    }

    private static IHost ClientHost(params (string Key, string Value)[] entries)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development", ApplicationName = "Platform.TestClient" });
        builder.Configuration.AddInMemoryCollection(entries.Select(e => KeyValuePair.Create<string, string?>(e.Key, e.Value)));
        builder.AddServiceDefaults(verifyPlatformIdentity: false);
        return builder.Build();
    }

    /// <summary>A real loopback server answering every request with its path and query.</summary>
    private static async Task<Echo> StartEchoAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync(context.Request.Path + context.Request.QueryString, context.RequestAborted));
        await app.StartAsync();
        return new Echo(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private sealed record Echo(WebApplication App, string Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
