using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Tests.Support;

namespace Platform.Clusters.Tests.Integration;

/// <summary>A cluster's TLS private key is sealed in clustersdb, gone once the cluster stops, and finished clusters are purged.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class SecretsAtRestTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task A_clusters_key_is_stored_sealed_while_it_runs_and_erased_when_it_stops()
    {
        var user = service.As("sealed-keys");
        var name = await user.CreateAsync();
        var running = await user.WaitForStatusAsync(name, "RUNNING");

        var stored = await StoredKeyAsync(name);
        Assert.StartsWith("sealed:v1:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", stored, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", running.GetProperty("tls_key").GetString(), StringComparison.Ordinal);

        await user.StopAsync(name);
        await user.WaitForStatusAsync(name, "STOPPED");

        Assert.Null(await StoredKeyAsync(name));
    }

    [Fact]
    public async Task A_key_stored_in_clear_by_an_earlier_version_is_sealed_and_still_read()
    {
        var user = service.As("clear-keys");
        var name = await user.CreateAsync();
        var running = await user.WaitForStatusAsync(name, "RUNNING");
        var key = running.GetProperty("tls_key").GetString()!;
        await ExecuteAsync("update clusters set tls_key = $2 where name = $1", name, key);

        Assert.Equal(key, (await user.GetAsync(name)).GetProperty("tls_key").GetString());
        Assert.True(await service.Host.Services.GetRequiredService<ClusterStore>().SealClearKeysAsync(CancellationToken.None) >= 1);

        Assert.StartsWith("sealed:v1:", await StoredKeyAsync(name), StringComparison.Ordinal);
        Assert.Equal(key, (await user.GetAsync(name)).GetProperty("tls_key").GetString());
        await user.StopAsync(name);
    }

    [Fact]
    public async Task Finished_clusters_are_purged_after_the_retention_with_their_timeline_and_logs()
    {
        var user = service.As("purged");
        var old = await user.CreateAsync();
        var recent = await user.CreateAsync();
        await user.WaitForStatusAsync(old, "RUNNING");
        await user.WaitForStatusAsync(recent, "RUNNING");
        await user.StopAsync(old);
        await user.StopAsync(recent);
        await user.WaitForStatusAsync(old, "STOPPED");
        await user.WaitForStatusAsync(recent, "STOPPED");
        Assert.True(Directory.Exists(Path.Combine(service.Data.Path, "clusters", old, "logs")));
        await ExecuteAsync("update clusters set stopped_at = now() - interval '8 days' where name = $1", old);

        var purged = await service.Host.Services.GetRequiredService<FinishedClusterPurge>().PurgeAsync(CancellationToken.None);

        Assert.Contains(old, purged);
        Assert.DoesNotContain(recent, purged);
        await user.JsonAsync(HttpMethod.Get, $"/api/v1/clusters/{old}", expected: System.Net.HttpStatusCode.NotFound);
        Assert.Equal(0L, await ScalarAsync("select count(*) from cluster_events where cluster_name = $1", old));
        Assert.False(Directory.Exists(Path.Combine(service.Data.Path, "clusters", old)));
        Assert.Equal("STOPPED", (await user.GetAsync(recent)).GetProperty("status").GetString());
    }

    private async Task<string?> StoredKeyAsync(string name) =>
        await ScalarAsync("select tls_key from clusters where name = $1", name) as string;

    private async Task<object?> ScalarAsync(string sql, string name)
    {
        await using var connection = new NpgsqlConnection(service.Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = name });
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private async Task ExecuteAsync(string sql, string name, string? value = null)
    {
        await using var connection = new NpgsqlConnection(service.Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = name });
        if (value is not null)
        {
            command.Parameters.Add(new() { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
