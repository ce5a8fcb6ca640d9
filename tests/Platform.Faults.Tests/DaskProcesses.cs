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
    /// Kills (SIGKILL) every process of <paramref name="users"/>' cluster accounts: what a test host stopped before its
    /// clean-up (SIGTERM, blame-hang, a failed test whose AppHost did not stop its clusters) left behind. The accounts
    /// are the suite's own (<c>fault-*</c> users); their processes seen from outside run in a private /tmp, so they
    /// cannot be told apart by folder, and the suite's runs cannot share a machine anyway (they count these processes).
    /// </summary>
    public static IReadOnlyList<int> Sweep(IEnumerable<string> users) =>
        [.. Of(users).Keys.Where(pid => UnixSignal.Send(pid, UnixSignal.Kill))];

    /// <summary>Sweeps now (leftovers of an earlier run) and again when this test host exits, SIGTERM included.</summary>
    public static void SweepNowAndOnExit(IReadOnlyList<string> users)
    {
        Sweep(users);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Sweep(users);
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
