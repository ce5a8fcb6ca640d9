using System.Security.Cryptography;
using System.Text;
using Platform.ServiceDefaults.ObjectStorage;

namespace Platform.ServiceDefaults.Tests.ObjectStorage;

/// <summary>One collection: the last tests stop and restart the server the others use.</summary>
[CollectionDefinition(nameof(MinioObjectStoreTests), DisableParallelization = true)]
public sealed class MinioObjectStoreCollection : ICollectionFixture<S3ServerFixture>;

[Collection(nameof(MinioObjectStoreTests))]
public sealed class MinioObjectStoreTests(S3ServerFixture s3) : IDisposable
{
    private readonly MinioObjectStore store = s3.NewStore();
    private readonly string prefix = "t-" + Guid.NewGuid().ToString("N")[..8] + "/";

    public void Dispose() => store.Dispose();

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    private async Task<List<string>> ListAsync(string listPrefix)
    {
        var keys = new List<string>();
        await foreach (var key in store.ListAsync(listPrefix))
        {
            keys.Add(key);
        }

        return keys;
    }

    [Fact]
    public void The_launcher_runs_a_real_S3_server_not_the_folder_store()
    {
        Assert.False(s3.Server.IsFolder);
        Assert.True(s3.Server.ProcessId > 0);
        Assert.StartsWith("s3 http://127.0.0.1:", store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_put_object_reads_back_byte_for_byte_and_is_listed_under_its_prefix()
    {
        var content = Encoding.UTF8.GetBytes("plugin package bytes");

        await store.PutAsync(prefix + "packages/a.zip", new MemoryStream(content), "application/zip");
        await store.PutAsync(prefix + "packages/b.zip", new MemoryStream(content), "application/zip");
        await store.PutAsync(prefix + "logs/c.txt", new MemoryStream(content), "text/plain");

        Assert.Equal(content, await ReadAllAsync((await store.GetAsync(prefix + "packages/a.zip"))!));
        Assert.Equal([prefix + "packages/a.zip", prefix + "packages/b.zip"], await ListAsync(prefix + "packages/"));
        Assert.Equal(3, (await ListAsync(prefix)).Count);
    }

    [Fact]
    public async Task A_put_replaces_the_object_under_the_same_key()
    {
        await store.PutAsync(prefix + "k", new MemoryStream([1, 2, 3]), "application/octet-stream");
        await store.PutAsync(prefix + "k", new MemoryStream([4]), "application/octet-stream");

        Assert.Equal([4], await ReadAllAsync((await store.GetAsync(prefix + "k"))!));
    }

    [Fact]
    public async Task Delete_removes_the_object_and_says_whether_it_existed()
    {
        await store.PutAsync(prefix + "gone", new MemoryStream([1]), "application/octet-stream");

        Assert.True(await store.DeleteAsync(prefix + "gone"));
        Assert.Null(await store.GetAsync(prefix + "gone"));
        Assert.Empty(await ListAsync(prefix));
        Assert.False(await store.DeleteAsync(prefix + "gone"));
    }

    [Fact]
    public async Task A_missing_key_reads_as_null_and_lists_nothing()
    {
        Assert.Null(await store.GetAsync(prefix + "never-written"));
        Assert.Empty(await ListAsync(prefix));
        Assert.False(await store.DeleteAsync(prefix + "never-written"));
    }

    [Fact]
    public async Task An_invalid_key_is_refused_before_any_request()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync("../escape", new MemoryStream([1]), "text/plain"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync("/absolute"));
    }

    [Fact]
    public async Task A_50_MB_object_round_trips_intact()
    {
        var content = RandomNumberGenerator.GetBytes(50 * 1024 * 1024);

        await store.PutAsync(prefix + "big.bin", new MemoryStream(content), "application/octet-stream");
        var back = await ReadAllAsync((await store.GetAsync(prefix + "big.bin"))!);

        Assert.Equal(content.Length, back.Length);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
    }

    [Fact]
    public async Task A_stream_of_unknown_length_is_uploaded_in_parts_and_reads_back_intact()
    {
        var content = RandomNumberGenerator.GetBytes(12 * 1024 * 1024);

        await store.PutAsync(prefix + "streamed.bin", new UnseekableStream(new MemoryStream(content)), "application/octet-stream");

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAllAsync((await store.GetAsync(prefix + "streamed.bin"))!)));
    }

    [Fact]
    public async Task With_the_server_down_calls_fail_with_a_clear_error_and_after_it_returns_nothing_is_half_written()
    {
        var keep = prefix + "kept.bin";
        await store.PutAsync(keep, new MemoryStream([7, 7, 7]), "application/octet-stream");

        // The server dies while a 50 MB upload is in flight.
        var content = RandomNumberGenerator.GetBytes(50 * 1024 * 1024);
        var dying = new ActionAfterStream(new MemoryStream(content), 10 * 1024 * 1024, () => s3.Server.StopAsync().GetAwaiter().GetResult());
        var midUpload = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.PutAsync(prefix + "half.bin", dying, "application/octet-stream"));

        // And while it is down, every call says so, without credentials in the message.
        var put = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.PutAsync(prefix + "later.bin", new MemoryStream([1]), "application/octet-stream"));
        var get = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.GetAsync(keep));
        await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.DeleteAsync(keep));
        await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => ListAsync(prefix));

        foreach (var error in new[] { midUpload, put, get })
        {
            Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
            Assert.Contains(store.Description, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("SecretKey", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        await s3.RestartAsync();
        Assert.Equal([keep], await ListAsync(prefix));
        Assert.Null(await store.GetAsync(prefix + "half.bin"));
        Assert.Null(await store.GetAsync(prefix + "later.bin"));
        Assert.Equal([7, 7, 7], await ReadAllAsync((await store.GetAsync(keep))!));
    }
}
