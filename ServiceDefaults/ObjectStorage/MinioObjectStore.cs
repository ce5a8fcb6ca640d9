using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace Platform.ServiceDefaults.ObjectStorage;

/// <summary>S3 (MinIO, s3rver, AWS) through the MinIO SDK: path-style addressing and signature v4, as both servers need.</summary>
public sealed class MinioObjectStore(IMinioClient minio, string bucket, string endpoint) : IObjectStore, IDisposable
{
    private readonly SemaphoreSlim bucketGate = new(1, 1);
    private volatile bool bucketReady;

    public string Description => $"s3 {endpoint}/{bucket}";

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var args = new PutObjectArgs()
            .WithBucket(bucket)
            .WithObject(ObjectKeys.Validate(key))
            .WithStreamData(content)
            // An unknown length makes the SDK upload in parts; the object appears only when the last part is committed.
            .WithObjectSize(content.CanSeek ? content.Length - content.Position : -1)
            .WithContentType(contentType);
        await CallAsync(async () =>
        {
            await EnsureBucketAsync(cancellationToken);
            await minio.PutObjectAsync(args, cancellationToken);
        });
    }

    public async Task<Stream?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);

        // The SDK lends its response stream only inside a callback: spool to a temporary file, not to memory.
        var spool = new FileStream(
            Path.Combine(Path.GetTempPath(), "platform-object-" + Guid.NewGuid().ToString("N")),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            81920,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            var args = new GetObjectArgs()
                .WithBucket(bucket)
                .WithObject(key)
                .WithCallbackStream((stream, token) => stream.CopyToAsync(spool, token));
            var found = await CallAsync(async () =>
            {
                try
                {
                    await minio.GetObjectAsync(args, cancellationToken);
                    return true;
                }
                catch (Exception e) when (IsMissing(e))
                {
                    return false;
                }
            });
            if (!found)
            {
                await spool.DisposeAsync();
                return null;
            }

            spool.Position = 0;
            return spool;
        }
        catch
        {
            await spool.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);
        return await CallAsync(async () =>
        {
            // S3 deletes answer 204 whether or not the key existed: ask first, for the caller's "existed".
            try
            {
                await minio.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken);
            }
            catch (Exception e) when (IsMissing(e))
            {
                return false;
            }

            await minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken);
            return true;
        });
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var args = new ListObjectsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true);
        await using var items = minio.ListObjectsEnumAsync(args, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var more = await CallAsync(async () =>
            {
                try
                {
                    return await items.MoveNextAsync();
                }
                catch (Exception e) when (e is BucketNotFoundException)
                {
                    return false;
                }
            });
            if (!more)
            {
                yield break;
            }

            yield return items.Current.Key;
        }
    }

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (bucketReady)
        {
            return;
        }

        await bucketGate.WaitAsync(cancellationToken);
        try
        {
            if (!bucketReady && !await minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), cancellationToken))
            {
                await minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket), cancellationToken);
            }

            bucketReady = true;
        }
        finally
        {
            bucketGate.Release();
        }
    }

    public void Dispose()
    {
        bucketGate.Dispose();
        minio.Dispose();
    }

    private static bool IsMissing(Exception e) => e is ObjectNotFoundException or BucketNotFoundException;

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new ObjectStoreUnavailableException($"The object store {Description} is unreachable: {Innermost(e).Message}", e);
        }
    }

    private async Task CallAsync(Func<Task> call) =>
        await CallAsync(async () =>
        {
            await call();
            return true;
        });

    private static bool IsUnreachable(Exception e) =>
        e is ConnectionException or HttpRequestException or SocketException || (e.InnerException is { } inner && IsUnreachable(inner));

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
