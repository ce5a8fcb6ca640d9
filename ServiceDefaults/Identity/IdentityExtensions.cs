using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Configuration;

namespace Platform.ServiceDefaults.Identity;

public static class IdentityExtensions
{
    /// <summary>
    /// Verifies Auth's signed assertions. Keys come from <c>Identity:PublicKeys</c> and, when Auth is reachable
    /// (<c>Identity:KeysUrl</c>, or <c>http://auth/api/identity/keys</c> when <c>services:auth</c> is configured), its published set.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformIdentity(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IIdentityKeyStore>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var stores = new List<IIdentityKeyStore> { new ConfiguredIdentityKeys(configuration) };
            var keysUrl = configuration["Identity:KeysUrl"];
            if (string.IsNullOrWhiteSpace(keysUrl) && configuration.HasServiceEndpoint("auth"))
            {
                keysUrl = "http://auth/api/identity/keys";
            }

            if (!string.IsNullOrWhiteSpace(keysUrl))
            {
                stores.Add(new RemoteIdentityKeys(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient("identity-keys"),
                    new Uri(keysUrl),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<RemoteIdentityKeys>>()));
            }

            return new CompositeIdentityKeys(stores);
        });
        builder.Services.AddHttpClient("identity-keys", c => c.Timeout = TimeSpan.FromSeconds(10)).AddServiceResilience(TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IdentityAssertionVerifier>();
        builder.Services
            .AddAuthentication(PlatformIdentityAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, PlatformIdentityAuthentication>(PlatformIdentityAuthentication.SchemeName, null);
        builder.Services.RemoveDataProtectionWarmUp();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PlatformPolicies.Admin, p => p.RequireRole(PlatformIdentityAuthentication.AdminRole));
        return builder;
    }

    /// <summary>
    /// AddAuthentication brings ASP.NET data protection and a hosted service that loads, or first creates and writes,
    /// its XML key ring at start. Nothing here protects data with it (the platform's scheme checks Auth's signed
    /// assertions; no cookies), so the warm-up only costs memory: XML, the key ring, their code (bench/Memory).
    /// </summary>
    private static void RemoveDataProtectionWarmUp(this IServiceCollection services)
    {
        var warmUp = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService");
        if (warmUp is not null)
        {
            services.Remove(warmUp);
        }
    }
}

public static class PlatformPolicies
{
    public const string Admin = "platform-admin";
}
