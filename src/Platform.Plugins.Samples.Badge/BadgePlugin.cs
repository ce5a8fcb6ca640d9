using Platform.Auth.Abstractions;
using Platform.Plugins.Samples.Badge;
using Platform.Plugins.Sdk;

[assembly: PlatformPlugin(typeof(BadgePlugin))]

namespace Platform.Plugins.Samples.Badge;

/// <summary>Offers the <see cref="BadgeAuthenticator"/> to Auth; its settings are <c>Plugins:Settings:badge:*</c> of the Auth service.</summary>
public sealed class BadgePlugin : IPlugin
{
    public string Name => "badge";

    public Task InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddAuthenticator(new BadgeAuthenticator(new AuthenticatorSettings(context.Settings)));
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
