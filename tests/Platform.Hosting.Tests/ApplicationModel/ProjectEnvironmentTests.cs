using Npgsql;
using static Platform.Hosting.Tests.ApplicationModel.TestApplication;

namespace Platform.Hosting.Tests.ApplicationModel;

public sealed class ProjectEnvironmentTests
{
    [Fact]
    public void A_generated_secret_is_32_random_bytes_in_hex_kept_with_the_data_and_injected_by_value()
    {
        var data = Path.Combine(Path.GetTempPath(), $"secret-test-{Guid.NewGuid():N}");
        try
        {
            var builder = Builder($"--Platform:DataDirectory={data}");
            var token = builder.AddSecret("proxy-token");
            var proxy = builder.AddProject("proxy", "../services/Proxy/Platform.Proxy.csproj").WithEnvironment("Proxy__Token", token);

            var injected = proxy.Resource.BuildEnvironment(Context(builder))["Proxy__Token"];
            var again = Builder($"--Platform:DataDirectory={data}").AddSecret("proxy-token").Value;

            Assert.Matches("^[0-9a-f]{64}$", injected);
            Assert.Equal(injected, again);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "secrets", "proxy-token")));
            Assert.NotEqual(injected, Builder($"--Platform:DataDirectory={data}-other").AddSecret("proxy-token").Value);
        }
        finally
        {
            foreach (var folder in new[] { data, data + "-other" }.Where(Directory.Exists))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Local_environment_reaches_the_project_when_run_here()
    {
        var builder = Builder();
        var clusters = builder.AddProject("clusters", "../services/Clusters/Platform.Clusters.csproj").WithLocalEnvironment("Clusters__StopClustersOnShutdown", "true");

        Assert.Equal("true", clusters.Resource.BuildEnvironment(Context(builder))["Clusters__StopClustersOnShutdown"]);
    }

    [Fact]
    public void A_database_reference_injects_that_database_s_connection_string()
    {
        var builder = WithExternalInfrastructure();
        var authDb = builder.AddPostgres("postgres").AddDatabase("authdb");
        var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj").WithReference(authDb);

        var environment = auth.Resource.BuildEnvironment(Context(builder));

        var injected = new NpgsqlConnectionStringBuilder(environment["ConnectionStrings__authdb"]);
        Assert.Equal("authdb", injected.Database);
        Assert.Equal("db.example", injected.Host);
        Assert.Equal("s3cretPassw0rdValue", injected.Password);
    }

    [Fact]
    public void Broker_and_object_store_references_inject_their_connection_strings_by_resource_name()
    {
        var builder = WithExternalInfrastructure();
        var messaging = builder.AddRabbitMQ("messaging");
        var objects = builder.AddObjectStore("objects");
        var plugins = builder.AddProject("plugins", "../services/Plugins/Platform.Plugins.csproj").WithReference(messaging).WithReference(objects);

        var environment = plugins.Resource.BuildEnvironment(Context(builder));

        Assert.Equal(RabbitConnectionString, environment["ConnectionStrings__messaging"]);
        Assert.Equal(ObjectStoreConnectionString, environment["ConnectionStrings__objects"]);
    }

    [Fact]
    public void A_project_reference_injects_the_service_discovery_url()
    {
        var builder = Builder();
        var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj");
        var clusters = builder.AddProject("clusters", "../services/Clusters/Platform.Clusters.csproj").WithReference(auth);

        var environment = clusters.Resource.BuildEnvironment(Context(builder));

        Assert.Equal("http://127.0.0.1:5101", environment["services__auth__http__0"]);
        Assert.False(environment.ContainsKey("services__clusters__http__0"));
    }

    [Fact]
    public void Every_project_gets_its_url_environment_and_service_name()
    {
        var builder = Builder();
        var proxy = builder.AddProject("proxy", "../services/Proxy/Platform.Proxy.csproj").WithHttpPort(8000);

        var environment = proxy.Resource.BuildEnvironment(Context(builder));

        Assert.Equal("http://127.0.0.1:8000", environment["ASPNETCORE_URLS"]);
        Assert.Equal("Development", environment["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("proxy", environment["OTEL_SERVICE_NAME"]);
        Assert.False(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }

    [Fact]
    public void An_otlp_endpoint_given_to_the_apphost_is_passed_to_every_project()
    {
        var builder = Builder("--Dashboard:OtlpEndpoint=http://127.0.0.1:4318");
        var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj");

        var environment = auth.Resource.BuildEnvironment(Context(builder));

        Assert.Equal("http://127.0.0.1:4318", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
    }

    [Fact]
    public void Explicit_environment_overrides_the_defaults()
    {
        var builder = Builder();
        var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Staging")
            .WithEnvironment("Auth__Simple__Enabled", "true");

        var environment = auth.Resource.BuildEnvironment(Context(builder));

        Assert.Equal("Staging", environment["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("true", environment["Auth__Simple__Enabled"]);
    }

    [Fact]
    public void Inherited_port_settings_are_removed_so_the_apphost_owns_the_port()
    {
        var builder = Builder();
        var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj");

        var environment = auth.Resource.BuildEnvironment(Context(builder));

        Assert.Null(environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Null(environment["HTTP_PORTS"]);
    }

    [Fact]
    public void Referencing_infrastructure_that_has_not_started_is_an_error_naming_it()
    {
        var builder = Builder();
        var messaging = builder.AddRabbitMQ("messaging");
        var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj").WithReference(messaging);

        var error = Assert.Throws<InvalidOperationException>(() => auth.Resource.BuildEnvironment(Context(builder)));

        Assert.Contains("'messaging'", error.Message, StringComparison.Ordinal);
    }
}
