using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Auth.Abstractions;
using Platform.Auth.Apis;
using Platform.Auth.Authenticators;
using Platform.Auth.Infrastructure;
using Platform.Auth.IntegrationEvents;
using Platform.Auth.IntegrationEvents.EventHandling;
using Platform.Auth.Model;
using Platform.Contracts.Plugins;
using Platform.Plugins.Loading;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Identity;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.ObjectStorage;
using Platform.ServiceDefaults.Secrets;

namespace Platform.Auth.Extensions;

/// <summary>The Auth service owns users, groups, API tokens and sessions; answers the Proxy's "who is this?".</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Named explicitly: under a test host the entry assembly is the test runner, not this service.
        builder.AddPlatformDatabase("authdb", typeof(Extensions).Assembly);
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<PluginEventConsumer<PluginInstalled>>();
            bus.AddConsumer<PluginEventConsumer<PluginEnabled>>();
            bus.AddConsumer<PluginEventConsumer<PluginDisabled>>();
            bus.AddConsumer<PluginEventConsumer<PluginRemoved>>();
        });

        // Plugin authenticators are fetched from the object store the Plugins service writes; without one, only extensions load.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("objects")))
        {
            builder.AddPlatformObjectStore("objects");
        }

        builder.AddPluginLoading();

        var configuration = builder.Configuration;
        var options = AuthOptions.FromConfiguration(configuration);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(configuration.GetSection("Auth:RateLimit").Get<LoginThrottleOptions>() ?? new LoginThrottleOptions());
        var signingKeys = configuration.GetSection("Auth:SigningKeys").Get<SigningKeyOptions>() ?? new SigningKeyOptions();
        if (signingKeys.ActivationDelay < TimeSpan.Zero || signingKeys.RotationCheckInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Auth:SigningKeys:ActivationDelay must not be negative and RotationCheckInterval must be positive.");
        }

        services.AddSingleton(signingKeys);
        builder.AddSecretSealer();
        services.AddSingleton(sp => new SigningKeyProtection(sp.GetRequiredService<SecretSealer>(), configuration["Auth:SigningKeys:ProtectionKey"]));
        services.AddSingleton(configuration.GetSection("Auth:Tokens").Get<ApiTokenOptions>() ?? new ApiTokenOptions());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, AuthJsonContext.Default));

        services.AddSingleton<SessionStore>();
        services.AddSingleton<ApiTokenStore>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<AuthenticationAudit>();
        services.AddSingleton<PlatformMemberships>();
        services.AddSingleton<ClientAddress>();
        services.AddSingleton<CallerAuthentication>();

        // Auth verifies assertions for its own endpoints against its key table, not over HTTP to itself.
        services.AddSingleton<SigningKeyRing>();
        services.Replace(ServiceDescriptor.Singleton<IIdentityKeyStore>(sp => sp.GetRequiredService<SigningKeyRing>()));

        builder.AddAuthenticators(options);
        services.AddSingleton<PluginPackageStore>();
        services.AddSingleton<AuthenticatorPlugins>();
        services.AddHostedService<AuthenticatorPluginStartup>();
        services.AddHostedService<SigningKeyRotation>();
        services.AddHostedService<ExpiredRecordsCleanup>();
    }

    private static void AddAuthenticators(this IHostApplicationBuilder builder, AuthOptions options)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        if (options.Types.Contains("jupyterhub"))
        {
            var hub = configuration.GetSection("Auth:JupyterHub").Get<JupyterHubAuthenticatorOptions>() ?? new JupyterHubAuthenticatorOptions();
            services.AddSingleton(hub);
            services.AddHttpClient(JupyterHubAuthenticator.HttpClientName, c => c.Timeout = hub.Timeout)
                .RedactLoggedHeaders(_ => true);
            services.AddSingleton<JupyterHubAuthenticator>();
        }

        if (options.Types.Contains("simple"))
        {
            SimpleAuthenticator.EnsureSafeFor(builder.Environment, configuration);
        }

        // The platform's own API tokens (plat_…) are always accepted: where Auth:Type lists "token" (which also adds its
        // Bearer challenge to 401s), else first, unadvertised, so no other authenticator sees them.
        var advertised = options.Types.Contains("token");
        IReadOnlyList<string> types = advertised ? options.Types : ["token", .. options.Types];
        services.AddSingleton(sp =>
        {
            var builtIn = new Dictionary<string, IAuthenticator>(StringComparer.Ordinal)
            {
                ["token"] = new TokenAuthenticator(sp.GetRequiredService<ApiTokenStore>(), advertised),
            };
            if (types.Contains("simple"))
            {
                builtIn["simple"] = SimpleAuthenticator.FromConfiguration(configuration);
            }

            if (types.Contains("jupyterhub"))
            {
                builtIn["jupyterhub"] = sp.GetRequiredService<JupyterHubAuthenticator>();
            }

            return new AuthenticatorChain(types, builtIn, sp.GetRequiredService<PluginHost>(),
                sp.GetRequiredService<ILogger<AuthenticatorChain>>());
        });
    }
}
