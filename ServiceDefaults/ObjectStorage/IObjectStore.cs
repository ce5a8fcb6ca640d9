namespace Platform.ServiceDefaults.ObjectStorage;

/// <summary>Blobs (plugin packages, logs): S3/MinIO in production, a local folder when no object server exists.</summary>
public interface IObjectStore
{
    /// <summary>What backs this store, for start-up messages ("s3 http://…/platform" or "folder /data/objects").</summary>
    string Description { get; }

    Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>The object's content, or null when there is no such key.</summary>
    Task<Stream?> GetAsync(string key, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default);
}

internal static class ObjectKeys
{
    /// <summary>Keys are relative, slash-separated, and never climb out of the store.</summary>
    public static string Validate(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.StartsWith('/') || key.Contains('\\', StringComparison.Ordinal) || key.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new ArgumentException($"Invalid object key '{key}'.", nameof(key));
        }

        return key;
    }
}
