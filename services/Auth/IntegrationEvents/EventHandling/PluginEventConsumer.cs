using MassTransit;
using Platform.Auth.Authenticators;
using Platform.Auth.Infrastructure;

namespace Platform.Auth.IntegrationEvents.EventHandling;

/// <summary>
/// One thin consumer per registry event (<c>PluginEventConsumer&lt;PluginInstalled&gt;</c> and its siblings, each on its
/// own queue, named after the event): record it, then bring the loaded plugins in line. Both steps are idempotent
/// (the row keeps the newest event; applying compares versions), so a redelivered event changes nothing.
/// </summary>
public sealed class PluginEventConsumer<TEvent>(PluginPackageStore store, AuthenticatorPlugins plugins) : IConsumer<TEvent>
    where TEvent : class
{
    public async Task Consume(ConsumeContext<TEvent> context)
    {
        var name = await store.RecordAsync(context.Message, context.CancellationToken);
        await plugins.ApplyAsync(name, context.CancellationToken);
    }
}
