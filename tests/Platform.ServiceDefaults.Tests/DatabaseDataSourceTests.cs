using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Data;

namespace Platform.ServiceDefaults.Tests;

public sealed class DatabaseDataSourceTests
{
    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(DatabaseExtensions.AutoPreparedStatements, AutoPrepared("Host=127.0.0.1;Database=db;Username=u"));
        Assert.Equal(0, AutoPrepared("Host=127.0.0.1;Database=db;Username=u;Max Auto Prepare=0"));
        Assert.Equal(5, AutoPrepared("Host=127.0.0.1;Database=db;Username=u;Max Auto Prepare=5"));
    }

    [Fact]
    public void Gss_encryption_is_not_attempted_unless_the_connection_string_asks_for_it()
    {
        Assert.Equal(GssEncryptionMode.Disable, Effective("Host=127.0.0.1;Database=db;Username=u").GssEncryptionMode);
        Assert.Equal(GssEncryptionMode.Prefer, Effective("Host=127.0.0.1;Database=db;Username=u;GSS Encryption Mode=Prefer").GssEncryptionMode);
        Assert.Equal(GssEncryptionMode.Require, Effective("Host=127.0.0.1;Database=db;Username=u;GssEncryptionMode=Require").GssEncryptionMode);
    }

    private static int AutoPrepared(string connectionString) => Effective(connectionString).MaxAutoPrepare;

    private static NpgsqlConnectionStringBuilder Effective(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:db", connectionString)]);
        builder.AddPlatformDatabase("db", typeof(DatabaseDataSourceTests).Assembly);
        using var host = builder.Build();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        return new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
    }
}
