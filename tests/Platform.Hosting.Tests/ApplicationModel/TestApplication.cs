using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting.Tests.ApplicationModel;

/// <summary>Builders for model tests: configuration from command-line style arguments, no files needed.</summary>
internal static class TestApplication
{
    public const string PostgresConnectionString = "Host=db.example;Port=5432;Username=app;Password=s3cretPassw0rdValue;Database=postgres";
    public const string RabbitConnectionString = "amqp://app:brokerSecretValue1@mq.example:5672/";
    public const string ObjectStoreConnectionString = "Endpoint=http://s3.example:9000;AccessKey=platform;SecretKey=objectSecretValue1;Bucket=platform";

    public static DistributedApplicationBuilder Builder(params string[] args) =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = args,
            AppHostDirectory = "/repo/AppHost",
            BuildConfiguration = "Debug",
        });

    /// <summary>External infrastructure, so connection strings are known without starting anything.</summary>
    public static DistributedApplicationBuilder WithExternalInfrastructure(params string[] more) =>
        Builder([
            $"--ConnectionStrings:postgres={PostgresConnectionString}",
            $"--ConnectionStrings:messaging={RabbitConnectionString}",
            $"--ConnectionStrings:objects={ObjectStoreConnectionString}",
            .. more,
        ]);

    public static RunContext Context(DistributedApplicationBuilder builder) =>
        new(builder, new ConsoleOutput(TextWriter.Null, useColour: false), new PidFile(Path.Combine(Path.GetTempPath(), $"unused-{Guid.NewGuid():N}.pids")));
}
