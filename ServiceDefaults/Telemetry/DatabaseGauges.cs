using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// A gauge of the platform's meter whose values come from the service's database. <paramref name="Sql"/> returns
/// rows of (value) or (value, label); with a label, <paramref name="LabelName"/> names the attribute.
/// </summary>
public sealed record DatabaseGauge(string Name, string Unit, string Description, string Sql, string? LabelName = null);

public static class DatabaseGaugeExtensions
{
    /// <summary>Samples the gauge every <c>Telemetry:DatabaseGaugeInterval</c> (default 10 s).</summary>
    public static IServiceCollection AddDatabaseGauge(this IServiceCollection services, DatabaseGauge gauge)
    {
        services.AddSingleton(gauge);
        if (!services.Any(d => d.ImplementationType == typeof(DatabaseGaugeSampler)))
        {
            services.AddHostedService<DatabaseGaugeSampler>();
        }

        return services;
    }
}

/// <summary>Reads every database gauge periodically, so a scrape never waits on the database.</summary>
internal sealed class DatabaseGaugeSampler : BackgroundService
{
    private readonly NpgsqlDataSource database;
    private readonly IReadOnlyList<DatabaseGauge> gauges;
    private readonly TimeSpan interval;
    private readonly ILogger<DatabaseGaugeSampler> logger;
    private readonly IHostApplicationLifetime lifetime;
    private readonly Dictionary<DatabaseGauge, Measurement<double>[]> latest = [];
    private readonly Lock gate = new();

    public DatabaseGaugeSampler(
        NpgsqlDataSource database, IEnumerable<DatabaseGauge> gauges, IMeterFactory meters, IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<DatabaseGaugeSampler> logger)
    {
        this.database = database;
        this.lifetime = lifetime;
        this.gauges = [.. gauges];
        this.logger = logger;
        interval = configuration.GetValue("Telemetry:DatabaseGaugeInterval", TimeSpan.FromSeconds(10));
        var meter = meters.Create(PlatformTelemetry.SourceName);
        foreach (var gauge in this.gauges)
        {
            meter.CreateObservableGauge(gauge.Name, () => Observe(gauge), gauge.Unit, gauge.Description);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Sampling starts once start-up has finished: the migrations run during it, and a query before them fills
        // PostgreSQL's log with "relation does not exist" errors.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }

        using var timer = new PeriodicTimer(interval);
        do
        {
            foreach (var gauge in gauges)
            {
                await SampleAsync(gauge, stoppingToken);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SampleAsync(DatabaseGauge gauge, CancellationToken cancellationToken)
    {
        try
        {
            var measurements = new List<Measurement<double>>();
            await using var command = database.CreateCommand(gauge.Sql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var value = reader.IsDBNull(0) ? 0 : Convert.ToDouble(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                measurements.Add(gauge.LabelName is { } label && reader.FieldCount > 1
                    ? new Measurement<double>(value, new KeyValuePair<string, object?>(label, reader.GetString(1)))
                    : new Measurement<double>(value));
            }

            lock (gate)
            {
                latest[gauge] = [.. measurements];
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // Before migrations or while the database is away: the gauge reports nothing rather than a stale value.
            logger.LogDebug("Could not sample {Gauge}: {Error}", gauge.Name, e.Message);
            lock (gate)
            {
                latest.Remove(gauge);
            }
        }
    }

    private Measurement<double>[] Observe(DatabaseGauge gauge)
    {
        lock (gate)
        {
            return latest.TryGetValue(gauge, out var measurements) ? measurements : [];
        }
    }
}
