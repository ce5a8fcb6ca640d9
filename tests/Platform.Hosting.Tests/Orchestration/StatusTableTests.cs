using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;
using static Platform.Hosting.Tests.ApplicationModel.TestApplication;

namespace Platform.Hosting.Tests.Orchestration;

public sealed class StatusTableTests
{
    [Fact]
    public void The_table_lists_every_resource_and_never_a_whole_password()
    {
        var builder = WithExternalInfrastructure();
        builder.AddPostgres("postgres").AddDatabase("authdb");
        builder.AddRabbitMQ("messaging");
        builder.AddObjectStore("objects");
        builder.AddProject("auth", "a.csproj");

        var table = StatusTable.Render(builder.Resources, "/data");

        foreach (var name in new[] { "postgres", "authdb", "messaging", "objects", "auth", "http://127.0.0.1:5101", "Data folder: /data" })
            Assert.Contains(name, table, StringComparison.Ordinal);
        foreach (var secret in new[] { "s3cretPassw0rdValue", "brokerSecretValue1", "objectSecretValue1" })
            Assert.DoesNotContain(secret, table, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=h;Password=abcdefghijkl;Database=d", "Host=h;Password=ab****kl;Database=d")]
    [InlineData("amqp://user:abcdefghijkl@127.0.0.1:5772/", "amqp://user:ab****kl@127.0.0.1:5772/")]
    [InlineData("Endpoint=http://x:9000;AccessKey=k;SecretKey=abcdefghijkl;Bucket=b", "Endpoint=http://x:9000;AccessKey=k;SecretKey=ab****kl;Bucket=b")]
    [InlineData("Folder=/data/objects", "Folder=/data/objects")]
    public void Connection_strings_are_shown_with_secrets_masked(string connectionString, string shown)
    {
        Assert.Equal(shown, SecretMask.ConnectionString(connectionString));
    }
}
