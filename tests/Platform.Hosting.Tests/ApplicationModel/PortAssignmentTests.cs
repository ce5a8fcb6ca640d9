using static Platform.Hosting.Tests.ApplicationModel.TestApplication;

namespace Platform.Hosting.Tests.ApplicationModel;

public sealed class PortAssignmentTests
{
    [Fact]
    public void Default_ports_are_stable_and_projects_are_numbered_in_declaration_order()
    {
        var builder = Builder();

        Assert.Equal(5532, builder.AddPostgres("postgres").Resource.Port);
        Assert.Equal(5772, builder.AddRabbitMQ("messaging").Resource.Port);
        Assert.Equal(5101, builder.AddProject("auth", "a.csproj").Resource.Port);
        Assert.Equal(5102, builder.AddProject("clusters", "c.csproj").Resource.Port);
        Assert.Equal(8000, builder.AddProject("proxy", "p.csproj").WithHttpPort(8000).Resource.Port);
    }

    [Fact]
    public void Port_base_shifts_every_port()
    {
        var builder = Builder("--Platform:PortBase=30000");

        Assert.Equal(35532, builder.AddPostgres("postgres").Resource.Port);
        Assert.Equal(35772, builder.AddRabbitMQ("messaging").Resource.Port);
        Assert.Equal(35101, builder.AddProject("auth", "a.csproj").Resource.Port);
        Assert.Equal(38000, builder.AddProject("proxy", "p.csproj").WithHttpPort(8000).Resource.Port);
        Assert.Equal("http://127.0.0.1:35101", ((ProjectResource)builder.Resources[2]).Url);
    }

    [Fact]
    public void A_port_pinned_for_one_resource_wins_over_default_and_base()
    {
        var builder = Builder("--Platform:PortBase=30000", "--Platform:Ports:proxy=9999");

        Assert.Equal(9999, builder.AddProject("proxy", "p.csproj").WithHttpPort(8000).Resource.Port);
    }

    [Fact]
    public void External_infrastructure_takes_no_local_port()
    {
        var builder = WithExternalInfrastructure();

        Assert.Null(builder.AddPostgres("postgres").Resource.Port);
        Assert.Null(builder.AddRabbitMQ("messaging").Resource.Port);
    }

    [Fact]
    public void Two_resources_on_one_port_are_rejected_when_building()
    {
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "a.csproj"), "<Project />");
            var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { AppHostDirectory = directory.FullName, Args = ["--Platform:Ports:b=5101"] });
            builder.AddProject("a", "a.csproj");
            builder.AddProject("b", "a.csproj");

            var error = Assert.Throws<InvalidOperationException>(() => builder.Build());

            Assert.Contains("5101", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_port_shifted_out_of_range_is_rejected()
    {
        var builder = Builder("--Platform:PortBase=60000");

        Assert.Throws<InvalidOperationException>(() => builder.AddProject("proxy", "p.csproj").WithHttpPort(8000));
    }
}
