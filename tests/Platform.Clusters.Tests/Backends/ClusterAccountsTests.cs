using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Clusters.Backends;

namespace Platform.Clusters.Tests.Backends;

/// <summary>
/// Accounts are made with the real useradd, as root. Another program creating an account at the same moment (another
/// Clusters instance, the tests of another clone, an administrator) holds the account files' lock, and useradd then
/// fails at once; a cluster must not fail for that.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ClusterAccountsTests
{
    private const string PasswdLock = "/etc/passwd.lock";

    [Fact]
    public async Task An_account_is_created_once_another_program_releases_the_account_files_lock()
    {
        Assert.True(Environment.IsPrivilegedProcess, "creating accounts needs root, as the service does");
        var user = $"accounts-test-{Guid.NewGuid():N}";
        var name = ClusterAccounts.AccountName(user);
        using var accounts = new ClusterAccounts(NullLogger<ClusterAccounts>.Instance);
        try
        {
            Task<ClusterAccount> creating;
            await using (await PasswdLockHolder.TakeAsync())
            {
                creating = accounts.EnsureAsync(user, CancellationToken.None);
                await Task.Delay(TimeSpan.FromSeconds(1.5));
                Assert.False(creating.IsCompleted, $"EnsureAsync finished while {PasswdLock} was held: {creating.Exception}");
            }

            var account = await creating.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(name, account.Name);
            Assert.Equal(account, ClusterAccounts.Find(name));
        }
        finally
        {
            if (ClusterAccounts.Find(name) is not null)
            {
                using var userdel = Process.Start("/usr/sbin/userdel", [name])!;
                await userdel.WaitForExitAsync();
            }
        }
    }

    /// <summary>
    /// Holds /etc/passwd's lock as shadow's own tools take it: a file created only if absent, holding the live holder's
    /// PID, so useradd reports it as held rather than stale. An existing lock (a real holder) is waited for, not taken.
    /// </summary>
    private sealed class PasswdLockHolder : IAsyncDisposable
    {
        public static async Task<PasswdLockHolder> TakeAsync()
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                try
                {
                    await using var file = new FileStream(PasswdLock, FileMode.CreateNew, FileAccess.Write);
                    await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
                    return new PasswdLockHolder();
                }
                catch (IOException) when (File.Exists(PasswdLock) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            File.Delete(PasswdLock);
            return ValueTask.CompletedTask;
        }
    }
}
