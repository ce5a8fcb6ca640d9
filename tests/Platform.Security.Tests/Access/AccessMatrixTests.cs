using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Security.Tests.Access;

/// <summary>
/// Every endpoint × every caller against real objects of alice's (two clusters, a webhook endpoint and its message,
/// API tokens): each cell must get exactly its expected status. Prints the matrix.
/// </summary>
[Collection(SecuritySystemCollection.Name)]
public sealed class AccessMatrixTests(SecuritySystem system, ITestOutputHelper output)
{
    private const string Owner = "alice";
    private const string Other = "bob";
    private static readonly TimeSpan ClusterTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Every_endpoint_answers_each_caller_with_the_expected_status()
    {
        var clock = Stopwatch.StartNew();
        using var forged = await ForgedAssertions.CreateAsync(system, Other);
        var forgeries = forged.All(Owner);
        var objects = await CreateObjectsAsync();
        output.WriteLine($"objects of alice's ready in {clock.Elapsed.TotalSeconds:0.0} s: clusters {objects["cluster"]}, {objects["cluster2"]}; endpoint {objects["endpoint"]}; message {objects["msg"]}");

        // Rows run 4 at a time; a row's cells one after another, the owner last (so a delete leaves nothing for the others).
        var results = new ConcurrentDictionary<AccessRow, string[]>();
        var mismatches = new ConcurrentBag<string>();
        var requests = 0;
        await Parallel.ForEachAsync(AccessMatrix.Rows, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (row, _) =>
        {
            var cells = new string[Enum.GetValues<Caller>().Length];
            foreach (var caller in new[] { Caller.Other, Caller.Anonymous, Caller.Forged, Caller.Direct, Caller.Admin, Caller.Owner })
            {
                var expected = row.Expected(caller);
                var statuses = new List<(string Variant, int Status, string Body)>();
                foreach (var (variant, request) in await RequestsAsync(row, caller, objects, forgeries))
                {
                    using (request)
                    {
                        var (status, body) = await SendAsync(request);
                        Interlocked.Increment(ref requests);
                        // An error without the JSON body counts as wrong whatever its status.
                        statuses.Add((variant, status >= 400 && !IsErrorJson(body) ? -status : status, body));
                    }
                }

                var wrong = statuses.Where(s => s.Status != expected).ToList();
                cells[(int)caller] = wrong.Count == 0 ? $"{expected}" : $"{string.Join('/', wrong.Select(w => w.Status).Distinct())}≠{expected}";
                foreach (var (variant, status, body) in wrong)
                {
                    mismatches.Add($"{row} as {caller}{variant}: {status}, expected {expected}: {(body.Length > 200 ? body[..200] : body)}");
                }
            }

            results[row] = cells;
        });

        var table = new StringBuilder();
        table.AppendLine($"{"endpoint",-72} {string.Join(' ', Enum.GetNames<Caller>().Select(n => $"{n,-9}"))}");
        foreach (var row in AccessMatrix.Rows)
        {
            table.AppendLine($"{row.Service + " " + row,-72} {string.Join(' ', results[row].Select(c => $"{c,-9}"))}");
        }

        output.WriteLine(table.ToString());
        output.WriteLine($"{AccessMatrix.Rows.Count} endpoints × {Enum.GetValues<Caller>().Length} callers, {requests} requests ({forgeries.Count} forgeries per forged cell), {clock.Elapsed.TotalSeconds:0.0} s in all");
        foreach (var mismatch in mismatches)
        {
            output.WriteLine("WRONG " + mismatch);
        }

        Assert.True(mismatches.IsEmpty, $"{mismatches.Count} cells differ from the matrix; first: {mismatches.FirstOrDefault()}");
    }

    /// <summary>The request(s) for one cell: one, or one per forgery; the other user also once more with a forged header.</summary>
    private async Task<List<(string Variant, HttpRequestMessage Request)>> RequestsAsync(AccessRow row, Caller caller, IReadOnlyDictionary<string, string> objects, IReadOnlyList<(string Name, string Value)> forgeries)
    {
        var path = await PathAsync(row, objects);
        var direct = row.Service != "proxy" && caller is (Caller.Forged or Caller.Direct);
        HttpRequestMessage Make(string? user, string? identity)
        {
            var request = new HttpRequestMessage(new HttpMethod(row.Method), new Uri((direct ? system.ServiceUris[row.Service] : system.PublicUri), path));
            if (row.Body is not null)
            {
                request.Content = new StringContent(row.Body, Encoding.UTF8, "application/json");
            }

            if (user is not null)
            {
                request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{SecuritySystem.Password}")));
            }

            if (identity is not null)
            {
                request.Headers.TryAddWithoutValidation(PlatformIdentity.HeaderName, identity);
            }

            return request;
        }

        return caller switch
        {
            Caller.Owner => [("", Make(Owner, null))],
            Caller.Admin => [("", Make(SecuritySystem.Admin, null))],
            Caller.Other => [("", Make(Other, null)), (" with a forged header", Make(Other, forgeries.First(f => f.Name == "real kid, wrong key").Value))],
            Caller.Anonymous => [("", Make(null, null))],
            Caller.Forged => [.. forgeries.Select(f => ($" ({f.Name})", Make(null, f.Value)))],
            _ => [("", Make(null, null))],
        };
    }

    private async Task<(int Status, string Body)> SendAsync(HttpRequestMessage request)
    {
        using var client = system.Anonymous(TimeSpan.FromSeconds(60));
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static bool IsErrorJson(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The row's path with alice's objects; a fresh token or endpoint for a row that deletes one.</summary>
    private async Task<string> PathAsync(AccessRow row, IReadOnlyDictionary<string, string> objects)
    {
        var path = row.Path;
        if (row.Fresh && path.Contains("{token}", StringComparison.Ordinal))
        {
            path = path.Replace("{token}", (await system.CreateTokenAsync(Owner, "matrix")).Id.ToString(), StringComparison.Ordinal);
        }

        if (row.Fresh && path.Contains("{endpoint}", StringComparison.Ordinal))
        {
            path = path.Replace("{endpoint}", await CreateEndpointAsync(), StringComparison.Ordinal);
        }

        foreach (var (name, value) in objects)
        {
            path = path.Replace($"{{{name}}}", value, StringComparison.Ordinal);
        }

        return path;
    }

    /// <summary>Two clusters of alice's (one running, with its dashboard routed), a webhook endpoint and a message sent to it.</summary>
    private async Task<Dictionary<string, string>> CreateObjectsAsync()
    {
        using var alice = system.Basic(Owner, TimeSpan.FromSeconds(60));
        var cluster = await CreateClusterAsync(alice);
        var cluster2 = await CreateClusterAsync(alice);
        var endpoint = await CreateEndpointAsync();
        using var sent = await alice.PostAsync(new Uri($"/api/webhooks/endpoints/{endpoint}/test", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var msg = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await alice.GetAsync(new Uri($"/api/v1/clusters/{cluster}?wait", UriKind.Relative));
                return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() == "RUNNING";
            },
            ClusterTimeout,
            $"alice's cluster {cluster} RUNNING");
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await alice.GetAsync(new Uri($"/clusters/{cluster}/health", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(60),
            $"the Proxy routing /clusters/{cluster}/ to its dashboard");
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await alice.GetAsync(new Uri($"/api/webhooks/endpoints/{endpoint}/messages/{msg}", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(30),
            $"test message {msg}");
        return new() { ["cluster"] = cluster, ["cluster2"] = cluster2, ["endpoint"] = endpoint, ["msg"] = msg };
    }

    private static async Task<string> CreateClusterAsync(HttpClient alice)
    {
        using var created = await alice.PostAsJsonAsync(new Uri("/api/v1/clusters/", UriKind.Relative), new { cluster_options = new { } });
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating a cluster: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!;
    }

    private async Task<string> CreateEndpointAsync()
    {
        using var alice = system.Basic(Owner);
        var created = await Eventually.GetAsync(
            async () =>
            {
                var response = await alice.PostAsJsonAsync(new Uri("/api/webhooks/endpoints", UriKind.Relative), new { url = "http://127.0.0.1:9/alice", description = "alice's" });
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    // Seen once right after start-up: Webhooks refused alice's valid assertion (401) for a few seconds.
                    output.WriteLine($"creating a webhook endpoint: {(int)response.StatusCode} {body}");
                }

                response.Dispose();
                return (response.StatusCode, Body: body);
            },
            r => r.StatusCode != HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(30),
            "Webhooks to accept alice's identity");
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"creating a webhook endpoint: {(int)created.StatusCode} {created.Body}");
        using var document = JsonDocument.Parse(created.Body);
        return document.RootElement.GetProperty("id").GetString()!;
    }
}
