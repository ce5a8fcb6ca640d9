using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Processes;

namespace Platform.Faults.Tests;

/// <summary>
/// The Dask processes of the test's users, found as the kernel sees them: every live process running as a user's
/// cluster account (Clusters' <c>ClusterAccounts</c>: one system account per platform user). Which cluster each
/// belongs to comes from the process records the local backend keeps in each cluster's folder.
/// </summary>
public static class DaskProcesses
{
    /// <summary>The system account Clusters runs a platform user's Dask processes as (see ClusterAccounts).</summary>
    public static string AccountOf(string user) =>
        "dask-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("platform-cluster-account\n" + user)))[..16];

    /// <summary>Live processes running as any of <paramref name="users"/>' accounts, with their command lines.</summary>
    public static IReadOnlyDictionary<int, string> Of(IEnumerable<string> users)
    {
        var accounts = users.Select(AccountOf).ToHashSet(StringComparer.Ordinal);
        var uids = File.ReadAllLines("/etc/passwd").Select(l => l.Split(':'))
            .Where(f => f.Length > 2 && accounts.Contains(f[0])).Select(f => f[2]).ToHashSet(StringComparer.Ordinal);
        var result = new Dictionary<int, string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || !ProcessTable.IsRunning(pid))
            {
                continue;
            }

            try
            {
                var uid = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?
                    .Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
                if (uid is not null && uids.Contains(uid))
                {
                    result[pid] = string.Join(' ', ProcessTable.CommandLine(pid));
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        return result;
    }

    /// <summary>
    /// Kills (SIGKILL) the Dask processes of <paramref name="users"/> that a test started under
    /// <paramref name="directory"/>, and those whose working folder is gone: what a test host stopped before its
    /// clean-up (SIGTERM, blame-hang, a crash) left behind, with its data folder already deleted.
    /// </summary>
    public static IReadOnlyList<int> Sweep(IEnumerable<string> users, string directory)
    {
        var under = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        var killed = new List<int>();
        foreach (var pid in Of(users).Keys)
        {
            string? workingDirectory;
            try
            {
                workingDirectory = new FileInfo($"/proc/{pid}/cwd").LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            if (workingDirectory is null
                || workingDirectory.EndsWith(" (deleted)", StringComparison.Ordinal)
                || (workingDirectory + Path.DirectorySeparatorChar).StartsWith(under, StringComparison.Ordinal))
            {
                if (UnixSignal.Send(pid, UnixSignal.Kill))
                {
                    killed.Add(pid);
                }
            }
        }

        return killed;
    }

    /// <summary>
    /// Sweeps now (leftovers of an earlier run) and again when this test host exits, SIGTERM included, so a run
    /// interrupted mid-test does not leave its users' clusters running.
    /// </summary>
    public static void SweepNowAndOnExit(IReadOnlyList<string> users, string directory)
    {
        Sweep(users, directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Sweep(users, directory);
    }

    /// <summary>The PIDs the local backend recorded for a cluster (scheduler and workers); empty once it stopped.</summary>
    public static IReadOnlySet<int> RecordedFor(string clustersDataDirectory, string cluster)
    {
        var record = Path.Combine(clustersDataDirectory, "clusters", cluster, "processes.json");
        var result = new HashSet<int>();
        if (!File.Exists(record))
        {
            return result;
        }

        Collect(JsonDocument.Parse(File.ReadAllText(record)).RootElement, result);
        return result;

        static void Collect(JsonElement element, HashSet<int> into)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals("processId") && property.Value.ValueKind == JsonValueKind.Number)
                    {
                        into.Add(property.Value.GetInt32());
                    }
                    else
                    {
                        Collect(property.Value, into);
                    }
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, into);
                }
            }
        }
    }
}
