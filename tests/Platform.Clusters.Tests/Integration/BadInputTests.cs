using System.Net;
using System.Text;
using System.Text.Json;
using Platform.Clusters.Tests.Support;

namespace Platform.Clusters.Tests.Integration;

/// <summary>Input a client can send that once gave a 500 or a cluster that could never start: each is a 4xx naming the problem.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class BadInputTests(ClustersServiceFixture service)
{
    [Theory]
    [InlineData("""{"cluster_options": {"description": "a\u0000b"}}""", "description must not contain NUL characters")]
    [InlineData("""{"cluster_options": {"environment": {"A": "x\u0000y"}}}""", "environment: the value of 'A' must not contain NUL characters")]
    public async Task A_nul_in_an_option_string_is_a_422(string body, string message)
    {
        var error = await service.As("bad-nul").JsonAsync(HttpMethod.Post, "/api/v1/clusters/", body, HttpStatusCode.UnprocessableEntity);

        Assert.Equal(message, error.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("""{"cluster_options": {"description": "\ud800"}}""")]
    [InlineData("""{"cluster_options": {"worker_cores": 1, "worker_cores": "x"}}""")]
    public async Task A_lone_surrogate_or_a_repeated_key_is_a_400(string body)
    {
        var error = await service.As("bad-json").JsonAsync(HttpMethod.Post, "/api/v1/clusters/", body, HttpStatusCode.BadRequest);

        Assert.StartsWith("Invalid JSON body", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_key_on_scale_is_a_400()
    {
        var error = await service.As("bad-scale").JsonAsync(HttpMethod.Post, "/api/v1/clusters/0123456789abcdef/scale", """{"count":0,"count":"x"}""", HttpStatusCode.BadRequest);

        Assert.StartsWith("Invalid JSON body", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_in_an_unknown_charset_is_a_415()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clusters/");
        var (name, value) = service.Identity.Header("bad-charset");
        request.Headers.Add(name, value);
        request.Content = new ByteArrayContent("""{"cluster_options":{}}"""u8.ToArray());
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=bogus");

        using var response = await service.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("bogus", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_megabyte_description_is_refused_naming_the_limit()
    {
        var error = await service.As("bad-big").JsonAsync(
            HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { description = new string('d', 1_000_000) } }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("description is longer than the limit of 4096 characters", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Twenty_thousand_environment_variables_are_refused_naming_the_limit()
    {
        var environment = Enumerable.Range(0, 20_000).ToDictionary(i => $"V{i}", i => "1");

        var error = await service.As("bad-env").JsonAsync(
            HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { environment } }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("environment has 20000 entries, more than the limit of 100", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_three_megabyte_variable_is_refused_naming_the_limit()
    {
        var body = new StringBuilder("""{"cluster_options":{"environment":{"BIG":" """.TrimEnd()).Append('x', 3_000_000).Append("\"}}}").ToString();

        var error = await service.As("bad-env-size").JsonAsync(HttpMethod.Post, "/api/v1/clusters/", body, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("environment: the value of 'BIG' is longer than the limit of 32768 characters", error.GetProperty("error").GetString());
    }
}
