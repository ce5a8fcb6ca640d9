using Platform.Hosting.Orchestration;
using static Platform.Hosting.Tests.ApplicationModel.TestApplication;

namespace Platform.Hosting.Tests.ApplicationModel;

public sealed class ResourceGraphTests
{
    [Fact]
    public void Resources_start_after_what_they_wait_for_and_independent_ones_start_together()
    {
        var builder = Builder();
        var postgres = builder.AddPostgres("postgres");
        var authDb = postgres.AddDatabase("authdb");
        var clustersDb = postgres.AddDatabase("clustersdb");
        var messaging = builder.AddRabbitMQ("messaging");
        var auth = builder.AddProject("auth", "a.csproj").WithReference(authDb).WaitFor(authDb).WaitFor(messaging);
        var clusters = builder.AddProject("clusters", "c.csproj").WithReference(clustersDb).WithReference(auth).WaitFor(auth);
        builder.AddProject("proxy", "p.csproj").WithReference(auth).WithReference(clusters).WaitFor(clusters);

        var layers = Names(ResourceGraph.Build(builder.Resources).Layers);

        Assert.Equal([["postgres", "messaging"], ["authdb", "clustersdb"], ["auth"], ["clusters"], ["proxy"]], layers);
    }

    [Fact]
    public void A_connection_reference_alone_orders_the_start()
    {
        var builder = Builder();
        var messaging = builder.AddRabbitMQ("messaging");
        builder.AddProject("auth", "a.csproj").WithReference(messaging);

        var layers = Names(ResourceGraph.Build(builder.Resources).Layers);

        Assert.Equal([["messaging"], ["auth"]], layers);
    }

    [Fact]
    public void A_project_reference_alone_does_not_order_the_start()
    {
        var builder = Builder();
        var auth = builder.AddProject("auth", "a.csproj");
        builder.AddProject("clusters", "c.csproj").WithReference(auth);

        var layers = Names(ResourceGraph.Build(builder.Resources).Layers);

        Assert.Equal([["auth", "clusters"]], layers);
    }

    [Fact]
    public void Stopping_walks_the_layers_in_reverse()
    {
        var builder = Builder();
        var postgres = builder.AddPostgres("postgres");
        var db = postgres.AddDatabase("authdb");
        builder.AddProject("auth", "a.csproj").WithReference(db).WaitFor(db);

        var stop = Names(ResourceGraph.Build(builder.Resources).StopLayers);

        Assert.Equal([["auth"], ["authdb"], ["postgres"]], stop);
    }

    [Fact]
    public void Resources_waiting_for_each_other_are_rejected_by_name()
    {
        var builder = Builder();
        var a = builder.AddProject("first", "a.csproj");
        var b = builder.AddProject("second", "b.csproj").WaitFor(a);
        a.WaitFor(b);

        var error = Assert.Throws<InvalidOperationException>(() => ResourceGraph.Build(builder.Resources));

        Assert.Contains("first", error.Message, StringComparison.Ordinal);
        Assert.Contains("second", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Waiting_for_a_resource_of_another_application_is_rejected()
    {
        var other = Builder().AddRabbitMQ("elsewhere");
        var builder = Builder();
        builder.AddProject("auth", "a.csproj").WaitFor(other);

        var error = Assert.Throws<InvalidOperationException>(() => ResourceGraph.Build(builder.Resources));

        Assert.Contains("elsewhere", error.Message, StringComparison.Ordinal);
    }

    private static string[][] Names(IEnumerable<IReadOnlyList<Resource>> layers) =>
        [.. layers.Select(layer => layer.Select(r => r.Name).ToArray())];
}
