using Platform.ServiceDefaults.Data;

namespace Platform.ServiceDefaults.Tests;

public sealed class DatabaseMigrationSourceTests
{
    [Fact]
    public void The_platform_component_ships_the_outbox_and_inbox_tables_as_migration_one()
    {
        var migrations = new DatabaseMigrationSource("platform", typeof(DatabaseMigrator).Assembly).Load();

        var first = Assert.Single(migrations, m => m.Version == 1);
        Assert.Equal("messaging", first.Name);
        Assert.Contains("create table outbox_messages", first.Sql, StringComparison.Ordinal);
        Assert.Contains("create table inbox_messages", first.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrations_load_in_version_order()
    {
        var migrations = new DatabaseMigrationSource("platform", typeof(DatabaseMigrator).Assembly).Load();

        Assert.Equal(migrations.OrderBy(m => m.Version).Select(m => m.Version), migrations.Select(m => m.Version));
    }
}
