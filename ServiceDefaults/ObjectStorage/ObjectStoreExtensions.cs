using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Minio;

namespace Platform.ServiceDefaults.ObjectStorage;

public static class ObjectStoreExtensions
{
    /// <summary>
    /// <c>ConnectionStrings:&lt;name&gt;</c> is either <c>Endpoint=http://…;AccessKey=…;SecretKey=…;Bucket=…</c> (S3/MinIO)
    /// or <c>Folder=/absolute/path</c> (local folder).
    /// </summary>
    public static IHostApplicationBuilder AddPlatformObjectStore(this IHostApplicationBuilder builder, string connectionName = "objects")
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured (env ConnectionStrings__{connectionName}).");
        }

        builder.Services.AddSingleton(_ => Create(connectionString));
        return builder;
    }

    public static IObjectStore Create(string connectionString)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string? Get(string key) => parts.TryGetValue(key, out var value) ? value?.ToString() : null;

        if (Get("Folder") is { Length: > 0 } folder)
        {
            return new FolderObjectStore(folder);
        }

        var endpoint = Get("Endpoint") ?? throw new InvalidOperationException("An object store connection string needs Endpoint=… or Folder=….");
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException("An object store Endpoint must be an http:// or https:// URL.");
        }

        var minio = new MinioClient()
            .WithEndpoint(uri.Host, uri.Port)
            .WithSSL(uri.Scheme == "https")
            .WithCredentials(Get("AccessKey") ?? "", Get("SecretKey") ?? "")
            .WithRegion(Get("Region") ?? "us-east-1")
            .Build();
        return new MinioObjectStore(minio, Get("Bucket") ?? "platform", $"{uri.Scheme}://{uri.Authority}");
    }
}
