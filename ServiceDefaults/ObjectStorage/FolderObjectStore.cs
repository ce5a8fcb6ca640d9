using System.Runtime.CompilerServices;

namespace Platform.ServiceDefaults.ObjectStorage;

/// <summary>An object store in a local folder: same contract as S3, for machines with no MinIO.</summary>
public sealed class FolderObjectStore(string root) : IObjectStore
{
    private readonly string root = Path.GetFullPath(root);

    public string Description => $"folder {root}";

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Write then rename, so a reader never sees half an object.
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".partial";
        await using (var file = File.Create(temporary))
        {
            await content.CopyToAsync(file, cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public Task<Stream?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        return Task.FromResult<Stream?>(File.Exists(path) ? File.OpenRead(path) : null);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        var existed = File.Exists(path);
        File.Delete(path);
        return Task.FromResult(existed);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!key.EndsWith(".partial", StringComparison.Ordinal) && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return key;
            }
        }

        await Task.CompletedTask;
    }

    private string PathOf(string key) => Path.Combine(root, ObjectKeys.Validate(key).Replace('/', Path.DirectorySeparatorChar));
}
