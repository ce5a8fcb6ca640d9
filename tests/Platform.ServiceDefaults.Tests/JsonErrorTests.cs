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

    public sealed record Item(string Name);
}
