using MassTransit;
using Platform.Auth.Authenticators;
using Platform.Auth.Infrastructure;
using Platform.Contracts.Plugins;

namespace Platform.Auth.IntegrationEvents.EventHandling;

// One thin consumer per registry event: record it, then bring the loaded plugins in line. Both steps are idempotent
// (the row keeps the newest event; applying compares versions), so a redelivered event changes nothing.

public sealed class PluginInstalledConsumer(PluginPackageStore store, AuthenticatorPlugins plugins) : IConsumer<PluginInstalled>
{
    public async Task Consume(ConsumeContext<PluginInstalled> context)
    {
        await store.RecordAsync(context.Message, context.CancellationToken);
        await plugins.ApplyAsync(context.Message.Name, context.CancellationToken);
    }
}

public sealed class PluginEnabledConsumer(PluginPackageStore store, AuthenticatorPlugins plugins) : IConsumer<PluginEnabled>
{
    public async Task Consume(ConsumeContext<PluginEnabled> context)
    {
        await store.RecordAsync(context.Message, context.CancellationToken);
        await plugins.ApplyAsync(context.Message.Name, context.CancellationToken);
    }
}

public sealed class PluginDisabledConsumer(PluginPackageStore store, AuthenticatorPlugins plugins) : IConsumer<PluginDisabled>
{
    public async Task Consume(ConsumeContext<PluginDisabled> context)
    {
        await store.RecordAsync(context.Message, context.CancellationToken);
        await plugins.ApplyAsync(context.Message.Name, context.CancellationToken);
    }
}

public sealed class PluginRemovedConsumer(PluginPackageStore store, AuthenticatorPlugins plugins) : IConsumer<PluginRemoved>
{
    public async Task Consume(ConsumeContext<PluginRemoved> context)
    {
        await store.RecordAsync(context.Message, context.CancellationToken);
        await plugins.ApplyAsync(context.Message.Name, context.CancellationToken);
    }
}
