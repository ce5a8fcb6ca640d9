using System.Reflection;
using System.Text.RegularExpressions;

namespace Platform.ServiceDefaults.Data;

/// <summary>A versioned SQL script embedded as <c>migrations/NNNN_name.sql</c> in an assembly.</summary>
public sealed record DatabaseMigration(string Component, int Version, string Name, string Sql);

/// <summary>The migrations of one component (the platform's messaging tables, or a service's own).</summary>
public sealed partial record DatabaseMigrationSource(string Component, Assembly Assembly)
{
    public IReadOnlyList<DatabaseMigration> Load()
    {
        var migrations = new List<DatabaseMigration>();
        foreach (var resource in Assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = Assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new DatabaseMigration(Component, int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["name"].Value, reader.ReadToEnd()));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Component '{Component}' has two migrations numbered {duplicate.Key}.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    [GeneratedRegex(@"^migrations/(?<version>\d{4})_(?<name>[A-Za-z0-9_\-]+)\.sql$")]
    private static partial Regex ResourceName();
}
