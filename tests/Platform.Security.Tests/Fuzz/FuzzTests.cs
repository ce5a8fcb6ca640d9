using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Security.Tests.Fuzz;

/// <summary>
/// Thousands of malformed requests, 8 at a time, to the public port and to each service's own port, as a signed-in
/// user (so they reach the handlers) and as forgers. Seeded: <c>PLATFORM_FUZZ_SEED</c> replays a run.
/// </summary>
[Collection(SecuritySystemCollection.Name)]
public sealed class FuzzTests(SecuritySystem system, ITestOutputHelper output)
{
    private const int PerTarget = 1_100;
    private const int Concurrency = 8;
    private const int DefaultSeed = 13_0007;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Malformed_requests_never_get_a_5xx_or_a_non_JSON_error_or_hang_and_the_system_answers_after()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : DefaultSeed;
        output.WriteLine($"fuzz seed {seed} (PLATFORM_FUZZ_SEED={seed} replays it)");
        using var forged = await ForgedAssertions.CreateAsync(system, SecuritySystem.Fuzzer);
        var token = (await system.CreateTokenAsync(SecuritySystem.Fuzzer, "fuzz")).Token;
        var credentials = new Credentials(system, token);

        var cases = new FuzzCases(seed, forged.All(SecuritySystem.Fuzzer)).Generate(PerTarget);
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (fuzz, _) =>
        {
            var (outcome, problem) = await SendAsync(fuzz, credentials);
            statuses.AddOrUpdate($"{fuzz.Target} {outcome}", 1, (_, n) => n + 1);
            if (problem is not null)
            {
                failures.Add($"{problem} ← {fuzz}");
            }
        });
        clock.Stop();

        output.WriteLine($"{cases.Count} requests in {clock.Elapsed.TotalSeconds:0.0} s ({cases.Count / clock.Elapsed.TotalSeconds:0} per second, {Concurrency} at a time)");
        foreach (var group in cases.GroupBy(c => c.Target))
        {
            output.WriteLine($"  {group.Key}: {group.Count()} requests; {string.Join(", ", group.GroupBy(c => c.Kind).Select(k => $"{k.Key} {k.Count()}"))}");
        }

        output.WriteLine("  outcomes: " + string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value}")));
        foreach (var failure in failures.Take(60))
        {
            output.WriteLine("FAIL " + failure);
        }

        await AssertStillAnswersAsync();
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} malformed requests failed (seed {seed}); first: {failures.FirstOrDefault()}");
        Assert.True(cases.Count >= 5_000, $"only {cases.Count} requests");
    }

    /// <summary>The outcome ("404", "closed", "hang") and, when the case failed, why.</summary>
    private static async Task<(string Outcome, string? Problem)> SendAsync(FuzzCase fuzz, Credentials credentials)
    {
        var server = fuzz.Target == FuzzSurface.Public ? credentials.System.PublicUri : credentials.System.ServiceUris[fuzz.Target];
        var request = await credentials.FillAsync(fuzz);
        using var timeout = new CancellationTokenSource(RequestTimeout);
        RawResponse? response;
        try
        {
            response = await RawHttp.SendAsync(server, request, fuzz.Padding, fuzz.HalfClose, fuzz.Head, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return ("hang", $"no answer within {RequestTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or SocketException)
        {
            return ("broken", fuzz.MayClose ? null : $"{e.GetType().Name}: {e.Message}");
        }

        if (response is null)
        {
            return ("closed", fuzz.MayClose ? null : "closed without an answer");
        }

        var outcome = response.Status.ToString(CultureInfo.InvariantCulture);

        // 505 is HTTP's own answer to a version it does not speak ("GET / HTTP/9.9"): about the request, not a server fault.
        var unsupportedVersion = response.Status == 505 && !Encoding.ASCII.GetString(request).Split("\r\n")[0].EndsWith(" HTTP/1.1", StringComparison.Ordinal);
        if (response.Status >= 500 && !unsupportedVersion)
        {
            return (outcome, $"{response.Status} {Snippet(response)}");
        }

        if (response.Status < 400 || fuzz.Head)
        {
            return (outcome, null);
        }

        if (response.Body.Length == 0)
        {
            return (outcome, $"{response.Status} with an empty body");
        }

        try
        {
            using var body = JsonDocument.Parse(response.Body);
            return body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                ? (outcome, null)
                : (outcome, $"{response.Status} without an error string: {Snippet(response)}");
        }
        catch (JsonException)
        {
            return (outcome, $"{response.Status} not JSON ({response.Headers.GetValueOrDefault("Content-Type")}): {Snippet(response)}");
        }
    }

    private async Task AssertStillAnswersAsync()
    {
        using var alice = system.Basic("alice");
        using var listed = await alice.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        foreach (var service in RunningSystem<Projects.Platform_AppHost>.Services)
        {
            using var client = system.Service(service);
            using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"{service} /health after the fuzz: {(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}");
        }
    }

    private static string Snippet(RawResponse response)
    {
        var text = response.BodyText;
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    /// <summary>
    /// The fuzzer's credential header: its API token on the public port; on a service's own port a genuine assertion
    /// from Auth (they live 2 minutes, so a fresh one each minute).
    /// </summary>
    private sealed class Credentials(SecuritySystem system, string token)
    {
        private static readonly byte[] Marker = Encoding.UTF8.GetBytes(FuzzCase.CredentialMarker);
        private readonly SemaphoreSlim gate = new(1, 1);
        private (string Assertion, DateTimeOffset FetchedAt)? assertion;

        public SecuritySystem System => system;

        public async Task<byte[]> FillAsync(FuzzCase fuzz)
        {
            var at = fuzz.Request.AsSpan().IndexOf(Marker);
            if (at < 0)
            {
                return fuzz.Request;
            }

            var line = fuzz.Target == FuzzSurface.Public
                ? $"Authorization: Bearer {token}\r\n"
                : $"{PlatformIdentity.HeaderName}: {await AssertionAsync()}\r\n";
            return [.. fuzz.Request.AsSpan(0, at), .. Encoding.ASCII.GetBytes(line), .. fuzz.Request.AsSpan(at + Marker.Length)];
        }

        private async Task<string> AssertionAsync()
        {
            await gate.WaitAsync();
            try
            {
                if (assertion is not { } current || DateTimeOffset.UtcNow - current.FetchedAt > TimeSpan.FromMinutes(1))
                {
                    using var auth = system.Service("auth");
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/auth/identity", UriKind.Relative));
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    using var response = await auth.SendAsync(request);
                    response.EnsureSuccessStatusCode();
                    current = (response.Headers.GetValues(PlatformIdentity.HeaderName).Single(), DateTimeOffset.UtcNow);
                    assertion = current;
                }

                return current.Assertion;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
