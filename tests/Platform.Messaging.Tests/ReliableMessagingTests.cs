using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts.Clusters;

namespace Platform.Messaging.Tests;

/// <summary>One collection: a test here stops the shared broker, which the others must not see mid-flight.</summary>
[CollectionDefinition(nameof(ReliableMessagingTests), DisableParallelization = true)]
public sealed class ReliableMessagingCollection : ICollectionFixture<TwoServices>;

[Collection(nameof(ReliableMessagingTests))]
public sealed class ReliableMessagingTests(TwoServices services)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string NewName() => "c-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<HttpResponseMessage> CreateAsync(string name, bool failAfterWrite = false, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/clusters/{name}?failAfterWrite={failAfterWrite}");
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        return await services.Publisher.GetTestClient().SendAsync(request);
    }

    private async Task<int?> TimesAppliedAsync(string name, string? database = null)
    {
        await using var connection = new NpgsqlConnection(database ?? services.WatcherDatabase);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("select times_applied from test_effects where cluster_name = $1", connection);
        query.Parameters.Add(new() { Value = name });
        return await query.ExecuteScalarAsync() as int?;
    }

    private async Task<int> WaitUntilAppliedAsync(string name, string? database = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await TimesAppliedAsync(name, database) is { } times)
            {
                return times;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The watcher never applied ClusterCreated for {name} within {Patience}.");
    }

    private static async Task<long> ScalarAsync(string database, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            query.Parameters.Add(new() { Value = parameter });
        }

        return Convert.ToInt64(await query.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Events relay in commit order, so once a later sentinel is applied, anything earlier that was going to arrive has arrived.</summary>
    private async Task DrainAsync()
    {
        var sentinel = NewName();
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(sentinel)).StatusCode);
        await WaitUntilAppliedAsync(sentinel);
    }

    /// <summary>The bus notices a lost broker asynchronously; readiness follows within seconds.</summary>
    private async Task<HttpStatusCode> EventualHealthAsync(HttpStatusCode expected, WebApplication? service = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        do
        {
            status = (await (service ?? services.Publisher).GetTestClient().GetAsync("/health")).StatusCode;
        }
        while (status != expected && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));
        return status;
    }

    [Fact]
    public async Task An_event_committed_with_a_state_change_reaches_a_consumer_in_another_service_and_is_applied_once()
    {
        var name = NewName();

        var response = await CreateAsync(name);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, await WaitUntilAppliedAsync(name));
        await DrainAsync();
        Assert.Equal(1, await TimesAppliedAsync(name));
        Assert.Equal(0, await ScalarAsync(services.PublisherDatabase, "select count(*) from outbox_messages where dispatched_at is null and body->>'clusterName' = $1", name));
    }

    [Fact]
    public async Task A_state_change_whose_transaction_rolls_back_publishes_nothing()
    {
        var name = NewName();

        var response = await CreateAsync(name, failAfterWrite: true);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(0, await ScalarAsync(services.PublisherDatabase, "select count(*) from test_clusters where name = $1", name));
        Assert.Equal(0, await ScalarAsync(services.PublisherDatabase, "select count(*) from outbox_messages where body->>'clusterName' = $1", name));
        await DrainAsync();
        Assert.Null(await TimesAppliedAsync(name));
    }

    [Fact]
    public async Task A_redelivered_message_has_no_second_effect()
    {
        var name = NewName();
        var messageId = Guid.NewGuid();
        var bus = services.Publisher.Services.GetRequiredService<IBus>();
        var created = new ClusterCreated(name, "alice", new Dictionary<string, string>(), DateTimeOffset.UtcNow);

        await bus.Publish(created, context => context.MessageId = messageId);
        await bus.Publish(created, context => context.MessageId = messageId);
        await bus.Publish(created, context => context.MessageId = messageId);

        Assert.Equal(1, await WaitUntilAppliedAsync(name));
        await DrainAsync();
        Assert.Equal(1, await TimesAppliedAsync(name));
        Assert.Equal(1, await ScalarAsync(services.WatcherDatabase, "select count(*) from inbox_messages where message_id = $1", messageId));
    }

    [Fact]
    public async Task An_event_committed_while_the_broker_is_down_is_delivered_once_when_it_is_back()
    {
        var broker = services.Infrastructure.RabbitMq;
        var name = NewName();

        // An outage of a running system: both services are up and their buses connected before the broker goes.
        await DrainAsync();
        await broker.StopAsync();
        try
        {
            var response = await CreateAsync(name);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);

            // Committed, waiting in the outbox; the relay keeps retrying while the broker is away.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal(1, await ScalarAsync(services.PublisherDatabase, "select count(*) from outbox_messages where dispatched_at is null and body->>'clusterName' = $1", name));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await EventualHealthAsync(HttpStatusCode.ServiceUnavailable));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await EventualHealthAsync(HttpStatusCode.ServiceUnavailable, services.Watcher));
        }
        finally
        {
            await broker.StartAgainAsync();
        }

        // The broker restarted: both buses reconnect by themselves, consume again and report ready again.
        Assert.Equal(1, await WaitUntilAppliedAsync(name));
        await DrainAsync();
        Assert.Equal(1, await TimesAppliedAsync(name));
        Assert.Equal(HttpStatusCode.OK, await EventualHealthAsync(HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.OK, await EventualHealthAsync(HttpStatusCode.OK, services.Watcher));
    }

    [Fact]
    public async Task A_service_whose_broker_goes_away_while_it_starts_is_never_up_half_started_and_consumes_once_started_again()
    {
        var broker = services.Infrastructure.RabbitMq;
        var database = await services.Infrastructure.CreateDatabaseAsync("latecomer");
        var name = NewName();

        // The broker's shutdown takes seconds; the service starts connecting its bus meanwhile.
        var starting = services.StartWatcherAsync("latecomer", database);
        try
        {
            await broker.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        finally
        {
            await broker.StartAgainAsync();
        }

        WebApplication latecomer;
        try
        {
            latecomer = await starting.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (RabbitMqConnectionException)
        {
            // Its start failed instead of leaving a dead bus behind a live service: the orchestrator starts it again.
            latecomer = await services.StartWatcherAsync("latecomer", database);
        }

        await using (latecomer)
        {
            Assert.Equal(HttpStatusCode.OK, await EventualHealthAsync(HttpStatusCode.OK, latecomer));
            Assert.Equal(HttpStatusCode.Created, (await CreateAsync(name)).StatusCode);
            Assert.Equal(1, await WaitUntilAppliedAsync(name, database));
        }
    }

    [Fact]
    public async Task The_consumer_runs_in_the_trace_of_the_request_that_committed_the_event()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "MassTransit" or "Npgsql" or "Platform" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId == traceId)
                {
                    spans.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var name = NewName();

        await CreateAsync(name, traceParent: $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        await WaitUntilAppliedAsync(name);
        await Task.Delay(500);

        Assert.Contains(spans, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.Kind == ActivityKind.Client);
        Assert.Contains(spans, s => s.Source.Name == "Platform" && s.DisplayName.StartsWith("outbox relay", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer);
        Assert.Contains(spans, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer);
    }

    [Fact]
    public async Task Health_reports_ready_with_database_and_bus_checks()
    {
        var deadline = DateTime.UtcNow + Patience;
        HttpResponseMessage response;
        do
        {
            response = await services.Watcher.GetTestClient().GetAsync("/health");
        }
        while (response.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"db\":\"Healthy\"", body, StringComparison.Ordinal);
        Assert.Contains("masstransit", body, StringComparison.OrdinalIgnoreCase);
    }
}
