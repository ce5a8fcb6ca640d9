using MassTransit;
using Npgsql;
using Platform.Auth.Infrastructure;
using Platform.Auth.IntegrationEvents.EventHandling;
using Platform.Contracts.Authentication;
using Platform.Contracts.Plugins;

namespace Platform.Auth.Tests;

/// <summary>The one generic consumer of the plugin registry's events keeps the queues the four consumers it replaced had.</summary>
public sealed class PluginEventConsumerTests
{
    // The service's formatter (MessagingExtensions); a renamed queue would leave the old one bound and filling on the broker.
    private static readonly KebabCaseEndpointNameFormatter Formatter = new("auth", includeNamespace: false);

    [Fact]
    public void Each_registry_event_keeps_its_own_queue_named_after_the_event()
    {
        Assert.Equal(
            ["auth-plugin-installed", "auth-plugin-enabled", "auth-plugin-disabled", "auth-plugin-removed"],
            [
                Formatter.Consumer<PluginEventConsumer<PluginInstalled>>(),
                Formatter.Consumer<PluginEventConsumer<PluginEnabled>>(),
                Formatter.Consumer<PluginEventConsumer<PluginDisabled>>(),
                Formatter.Consumer<PluginEventConsumer<PluginRemoved>>(),
            ]);
    }

    [Fact]
    public async Task A_message_that_is_no_registry_event_is_refused_before_anything_is_written()
    {
        // No server behind it: the refusal comes before any connection is opened.
        await using var database = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
        var store = new PluginPackageStore(database);

        await Assert.ThrowsAsync<ArgumentException>(() => store.RecordAsync(new AuthenticationFailed("alice", "simple", "wrong password", "127.0.0.1", DateTimeOffset.UtcNow), CancellationToken.None));
    }
}
