using Platform.ServiceDefaults.ObjectStorage;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.ServiceDefaults.Tests.ObjectStorage;

/// <summary>A real S3 server (MinIO if on PATH, else s3rver) started by the launcher the AppHost uses.</summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    private readonly TestDirectory directory = new("objectstore");

    public ObjectStoreServer Server { get; private set; } = null!;

    public string DataDirectory => directory.Path;

    public async Task InitializeAsync() =>
        Server = await ObjectStoreServer.StartAsync(new ObjectStoreServerOptions(directory.Path));

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        directory.Dispose();
    }

    /// <summary>Starts the server again on the same data and port, after a test stopped it.</summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = await ObjectStoreServer.StartAsync(new ObjectStoreServerOptions(directory.Path) { Port = Server.Port });
    }

    public MinioObjectStore NewStore() => (MinioObjectStore)ObjectStoreExtensions.Create(Server.ConnectionString);
}
