using System.Text.RegularExpressions;
using Platform.Clusters.Backends;

namespace Platform.Clusters.Tests.Backends;

public sealed partial class ClusterIsolationTests
{
    [Theory]
    [InlineData(true, "local", ClusterIsolationMode.Isolated)]
    [InlineData(false, "local", ClusterIsolationMode.Refused)]
    [InlineData(false, "unsafe-local", ClusterIsolationMode.Unsafe)]
    [InlineData(true, "unsafe-local", ClusterIsolationMode.Unsafe)]
    public void Clusters_are_isolated_as_root_refused_otherwise_unless_the_unsafe_backend_was_chosen(bool isRoot, string backend, ClusterIsolationMode expected)
    {
        var isolation = ClusterIsolation.Decide(isRoot, backend);

        Assert.Equal(expected, isolation.Mode);
        if (expected == ClusterIsolationMode.Refused)
        {
            Assert.Contains("Clusters:Backend=unsafe-local", isolation.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("Ünïcode user with spaces and ../ and :")]
    [InlineData("")]
    public void Account_names_are_valid_system_user_names_that_do_not_reveal_the_user(string user)
    {
        var name = ClusterAccounts.AccountName(user);

        Assert.Matches(AccountName(), name);
        Assert.True(name.Length <= 32);
        Assert.Equal(name, ClusterAccounts.AccountName(user));
        if (user.Length > 0)
        {
            Assert.DoesNotContain(user, name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Different_users_get_different_accounts() =>
        Assert.NotEqual(ClusterAccounts.AccountName("alice"), ClusterAccounts.AccountName("alicf"));

    [Fact]
    public void The_users_environment_reaches_only_the_dask_process_after_the_switch_to_its_account()
    {
        var launch = new ProcessLaunch(
            "/usr/bin/dask-worker",
            ["tls://127.0.0.1:1"],
            "/data/clusters/c/logs/worker-1.log",
            "/data/clusters/c/home",
            new Dictionary<string, string> { ["LD_PRELOAD"] = "/tmp/evil.so", ["PATH"] = "/tmp/bin", ["A=B"] = "x" })
        {
            Account = new ClusterAccount("dask-0123456789abcdef", 990, 985),
            PrivateTmp = "/data/clusters/c/home",
            ReadyFile = "/data/clusters/c/scheduler.json",
        };

        var (fileName, arguments) = ClusterProcess.CommandLine(launch);

        Assert.Equal("/usr/bin/setsid", fileName);
        var switchAt = arguments.ToList().IndexOf("/usr/bin/setpriv");
        var envAt = arguments.ToList().IndexOf("/usr/bin/env");
        Assert.True(switchAt > 0 && envAt > switchAt);
        Assert.Equal(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c"], arguments.Take(6));
        Assert.Equal(
            ["--reuid=990", "--regid=985", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"],
            arguments.Skip(switchAt + 1).Take(7));
        Assert.Equal(["-i", "--", "LD_PRELOAD=/tmp/evil.so", "PATH=/tmp/bin", "/usr/bin/dask-worker", "tls://127.0.0.1:1"], arguments.Skip(envAt + 1));
        Assert.DoesNotContain(arguments.Take(switchAt), a => a.Contains("evil", StringComparison.Ordinal));
    }

    [Fact]
    public void The_unsafe_backend_runs_the_process_as_the_services_own_account_with_the_same_clean_environment()
    {
        var launch = new ProcessLaunch("/usr/bin/dask-scheduler", [], "/d/logs/scheduler.log", "/d/home", new Dictionary<string, string> { ["X"] = "1" });

        var (_, arguments) = ClusterProcess.CommandLine(launch);

        Assert.DoesNotContain("/usr/bin/setpriv", arguments);
        Assert.DoesNotContain("/usr/bin/unshare", arguments);
        Assert.Equal(["/usr/bin/env", "-i", "--", "X=1", "/usr/bin/dask-scheduler"], arguments.Skip(arguments.ToList().IndexOf("/usr/bin/env")));
    }

    [GeneratedRegex("^dask-[0-9a-f]{16}$")]
    private static partial Regex AccountName();
}
