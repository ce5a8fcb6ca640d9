using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Platform.ServiceDefaults.ObjectStorage;

/// <summary>S3 or MinIO through AWSSDK.S3 (path-style addressing, no chunked uploads: MinIO and s3rver need both).</summary>
public sealed class S3ObjectStore(IAmazonS3 s3, string bucket, string endpoint) : IObjectStore
{
    public string Description => $"s3 {endpoint}/{bucket}";

    public async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        await s3.PutObjectAsync(
            new PutObjectRequest { BucketName = bucket, Key = ObjectKeys.Validate(key), InputStream = content, ContentType = contentType, UseChunkEncoding = false, AutoCloseStream = false },
            cancellationToken);
    }

    public async Task<Stream?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await s3.GetObjectAsync(bucket, ObjectKeys.Validate(key), cancellationToken);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var existed = await GetMetadataAsync(key, cancellationToken);
        await s3.DeleteObjectAsync(bucket, ObjectKeys.Validate(key), cancellationToken);
        return existed;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        ListObjectsV2Response response;
        do
        {
            response = await s3.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in response.S3Objects ?? [])
            {
                yield return item.Key;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
    }

    private async Task<bool> GetMetadataAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, ObjectKeys.Validate(key), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
