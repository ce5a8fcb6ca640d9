using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Polly;
using Polly.Retry;

namespace Platform.Clusters.Backends;

/// <summary>The unprivileged system account a platform user's clusters run as.</summary>
public sealed record ClusterAccount(string Name, int UserId, int GroupId);

/// <summary>
/// One system account per platform user, created on demand with <c>useradd</c> (as dask-gateway's LocalBackend runs
/// clusters as their user's account). Per user rather than per cluster: a user's clusters may share files as they
/// would on one machine, the account list stays as long as the user list, and no uid is ever freed and reused.
/// </summary>
/// <remarks>
/// useradd takes the lock files of /etc/passwd, /etc/group and /etc/shadow and fails at once ("cannot lock …; try
/// again later") while any other program holds one: another Clusters instance on the node, an administrator's
/// adduser, a package's postinst. That is retried with backoff for about 20 s rather than failing the cluster.
/// </remarks>
public sealed class ClusterAccounts(ILogger<ClusterAccounts> logger) : IDisposable
{
    public const string UserAdd = "/usr/sbin/useradd";
    private const string Prefix = "dask-";
    private readonly ConcurrentDictionary<string, ClusterAccount> known = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim creating = new(1, 1);
    private readonly ResiliencePipeline whileLocked = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<AccountFilesLockedException>(),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            MaxRetryAttempts = 14,
            OnRetry = args =>
            {
                logger.LogInformation("useradd found the account files locked by another program; attempt {Attempt} in {Delay} ms", args.AttemptNumber + 2, (int)args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>
    /// The account name of a platform user: platform names may hold any character, so the name is a hash of it
    /// (safe for useradd, 21 characters, never naming the user in /etc/passwd, which every account can read).
    /// </summary>
    public static string AccountName(string user) =>
        Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("platform-cluster-account\n" + user)))[..16];

    public async Task<ClusterAccount> EnsureAsync(string user, CancellationToken cancellationToken)
    {
        var name = AccountName(user);
        if (known.TryGetValue(name, out var account))
        {
            return account;
        }

        // useradd locks /etc/passwd and fails when another useradd holds it: one at a time.
        await creating.WaitAsync(cancellationToken);
        try
        {
            if (Find(name) is not { } existing)
            {
                await whileLocked.ExecuteAsync(static (name, token) => new ValueTask(CreateAsync(name, token)), name, cancellationToken);
                existing = Find(name) ?? throw new InvalidOperationException($"useradd reported success but account {name} does not exist.");
                logger.LogInformation("Created cluster account {Account} (uid {Uid})", name, existing.UserId);
            }

            return known[name] = existing;
        }
        finally
        {
            creating.Release();
        }
    }

    public void Dispose() => creating.Dispose();

    /// <summary>An account by name from /etc/passwd (where useradd writes), or null.</summary>
    public static ClusterAccount? Find(string name)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && fields[0] == name
                && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var uid)
                && int.TryParse(fields[3], CultureInfo.InvariantCulture, out var gid))
            {
                return new ClusterAccount(name, uid, gid);
            }
        }

        return null;
    }

    private static async Task CreateAsync(string name, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(UserAdd)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Its messages in English whatever the node's locale: a lock is told apart by its message.
            Environment = { ["LC_ALL"] = "C" },
        };
        foreach (var argument in new[] { "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment", "Platform cluster account", name })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {UserAdd}.");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        // 9: the name exists (made by another instance meanwhile), which is what we wanted.
        if (process.ExitCode is 0 or 9)
        {
            return;
        }

        var message = $"useradd {name} failed with exit code {process.ExitCode}: {(await errors).Trim()}";
        // 1 and 10: the password or group file could not be updated; "cannot lock" says another program holds it.
        throw process.ExitCode is 1 or 10 && message.Contains("cannot lock", StringComparison.Ordinal)
            ? new AccountFilesLockedException(message)
            : new InvalidOperationException(message);
    }

    /// <summary>useradd could not lock the account files because another program held them: worth another try.</summary>
    private sealed class AccountFilesLockedException(string message) : InvalidOperationException(message);
}
