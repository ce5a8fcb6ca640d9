using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults.Tests;

public sealed class JsonErrorTests : IAsyncLifetime
{
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        app = await TestApp.StartAsync([], a =>
        {
            a.MapPost("/items", (Item item) => Results.Ok(item));
            a.MapGet("/boom", string () => throw new InvalidOperationException("connection string Password=hunter2 leaked"));
            a.MapGet("/database-down", string () => throw new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111)));
        });
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    private static async Task<(HttpStatusCode Status, string Error)> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_with_an_error_message()
    {
        using var content = new StringContent("{\"name\": ", Encoding.UTF8, "application/json");

        var (status, error) = await ErrorOf(await app.Client().PostAsync("/items", content));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_path_is_a_404_json_error()
    {
        var (status, error) = await ErrorOf(await app.Client().GetAsync("/nope"));

        Assert.Equal((HttpStatusCode.NotFound, "Not found"), (status, error));
    }

    [Fact]
    public async Task An_unhandled_exception_is_a_500_that_reveals_nothing_but_the_trace_id()
    {
        var (status, error) = await ErrorOf(await app.Client().GetAsync("/boom"));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.StartsWith("Internal error (trace ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_a_503_with_retry_after_not_a_500()
    {
        using var response = await app.Client().GetAsync("/database-down");
        var (status, error) = await ErrorOf(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Service temporarily unavailable: its database cannot be reached; try again shortly", error);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }

    public sealed record Item(string Name);
}
