using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Platform.Clusters.Model;

namespace Platform.Clusters.Tests.Model;

public sealed class ClusterOptionsTests
{
    private static readonly ClusterOptions Options = ClusterOptions.FromConfiguration(new ConfigurationBuilder()
        .AddJsonStream(new MemoryStream("""
            {"Options": [
              { "Field": "worker_cores", "Label": "Worker cores", "Type": "int", "Default": 1, "Min": 1, "Max": 4 },
              { "Field": "worker_memory", "Label": "Worker memory (GiB)", "Type": "float", "Default": 0.5, "Min": 0.25, "Max": 8 },
              { "Field": "worker_threads", "Type": "int", "Default": 2, "Min": 1 },
              { "Field": "environment", "Type": "mapping", "Default": { "A": "1" } },
              { "Field": "log_level", "Type": "select", "Options": [ "info", "debug" ], "Target": "env:DASK_LOGGING__DISTRIBUTED" },
              { "Field": "spill", "Type": "bool", "Default": true, "Target": "env:SPILL" },
              { "Field": "idle_timeout", "Type": "float", "Default": 0 },
              { "Field": "note", "Type": "string", "Default": "hello" }
            ]}
            """u8.ToArray()))
        .Build()
        .GetSection("Options"));

    [Fact]
    public void Configured_fields_keep_their_types_labels_defaults_and_bounds()
    {
        Assert.Equal(["worker_cores", "worker_memory", "worker_threads", "environment", "log_level", "spill", "idle_timeout", "note"], Options.Fields.Select(f => f.Field));
        var cores = Assert.IsType<IntegerOptionField>(Options.Fields[0]);
        Assert.Equal(("Worker cores", 1L, 4L), (cores.Label, cores.Min!.Value, cores.Max!.Value));
        Assert.Equal("""{"type":"int","min":1,"max":4}""", cores.Spec().ToJsonString());
        Assert.Equal("""{"type":"float","min":0.25,"max":8}""", Options.Fields[1].Spec().ToJsonString());
        Assert.Equal("""{"type":"int","min":1,"max":null}""", Options.Fields[2].Spec().ToJsonString());
        Assert.Equal("""{"type":"mapping"}""", Options.Fields[3].Spec().ToJsonString());
        Assert.Equal("""{"type":"select","options":["info","debug"]}""", Options.Fields[4].Spec().ToJsonString());
        Assert.Equal("""{"type":"bool"}""", Options.Fields[5].Spec().ToJsonString());
        Assert.Equal("""{"type":"string"}""", Options.Fields[7].Spec().ToJsonString());
        Assert.Equal("worker_threads", Options.Fields[2].Label);
        Assert.Equal("info", Options.Fields[4].DefaultValue!.GetValue<string>());
        Assert.Equal("""{"A":"1"}""", Options.Fields[3].DefaultValue!.ToJsonString());
    }

    [Fact]
    public void Missing_fields_take_their_defaults()
    {
        var validated = Options.Validate(new JsonObject { ["worker_cores"] = 2 });
        Assert.Equal("""{"worker_cores":2,"worker_memory":0.5,"worker_threads":2,"environment":{"A":"1"},"log_level":"info","spill":true,"idle_timeout":0,"note":"hello"}""", validated.ToJsonString());
    }

    [Fact]
    public void Unknown_fields_are_refused_by_name()
    {
        var refused = Assert.Throws<OptionValidationException>(() => Options.Validate(new JsonObject { ["gpus"] = 1, ["worker_cores"] = 1 }));
        Assert.Equal("Unknown fields ['gpus']", refused.Message);
        Assert.Equal("gpus", refused.Field);
    }

    [Theory]
    [InlineData("""{"worker_cores": 5}""", "worker_cores must be <= 4, got 5")]
    [InlineData("""{"worker_cores": 0}""", "worker_cores must be >= 1, got 0")]
    [InlineData("""{"worker_cores": 1.5}""", "worker_cores must be an integer, got 1.5")]
    [InlineData("""{"worker_cores": "2"}""", "worker_cores must be an integer, got \"2\"")]
    [InlineData("""{"worker_memory": 0.1}""", "worker_memory must be >= 0.25, got 0.1")]
    [InlineData("""{"worker_memory": true}""", "worker_memory must be a float, got true")]
    [InlineData("""{"log_level": "trace"}""", "'trace' is not a valid option for log_level (choose one of info, debug)")]
    [InlineData("""{"spill": "yes"}""", "spill must be a bool, got \"yes\"")]
    [InlineData("""{"note": 3}""", "note must be a string, got 3")]
    [InlineData("""{"environment": []}""", "environment must be a mapping, got []")]
    [InlineData("""{"worker_threads": null}""", "worker_threads must be an integer, got null")]
    public void Invalid_values_are_refused_with_a_message_naming_the_field(string request, string message)
    {
        var refused = Assert.Throws<OptionValidationException>(() => Options.Validate(JsonNode.Parse(request)!.AsObject()));
        Assert.Equal(message, refused.Message);
    }

    [Fact]
    public void An_integer_is_a_valid_float() =>
        Assert.Equal(2.0, Options.Validate(new JsonObject { ["worker_memory"] = 2 })["worker_memory"]!.GetValue<double>());

    [Fact]
    public void Options_map_to_worker_cores_memory_threads_environment_and_timeouts()
    {
        var validated = Options.Validate(JsonNode.Parse("""{"worker_cores": 3, "worker_memory": 1.5, "environment": {"B": 2, "C": true}, "log_level": "debug", "spill": false, "idle_timeout": 30}""")!.AsObject());
        var resources = Options.ToResources(validated, new WorkerResources());
        Assert.Equal(3, resources.Cores);
        Assert.Equal(1.5 * (1L << 30), resources.MemoryBytes);
        Assert.Equal(2, resources.Threads);
        Assert.Equal(30, resources.IdleTimeoutSeconds);
        Assert.Equal(
            new Dictionary<string, string> { ["B"] = "2", ["C"] = "True", ["DASK_LOGGING__DISTRIBUTED"] = "debug", ["SPILL"] = "False" },
            resources.Environment.OrderBy(p => p.Key).ToDictionary());
    }

    [Fact]
    public void Threads_follow_cores_when_no_option_sets_them()
    {
        var options = new ClusterOptions([new IntegerOptionField("worker_cores", null, null, 3, 1, 4)]);
        Assert.Equal(3, options.ToResources(options.Validate(null), new WorkerResources()).Threads);
    }

    [Theory]
    [InlineData("""{"environment": {"PLATFORM_CLUSTER_API_TOKEN": "x"}}""", "PLATFORM_CLUSTER_API_TOKEN")]
    [InlineData("""{"environment": {"NOT A NAME": "x"}}""", "NOT A NAME")]
    [InlineData("""{"environment": {"NESTED": {"a": 1}}}""", "NESTED")]
    public void Environment_entries_that_are_not_plain_variables_are_refused(string request, string name)
    {
        var validated = Options.Validate(JsonNode.Parse(request)!.AsObject());
        var refused = Assert.Throws<OptionValidationException>(() => Options.ToResources(validated, new WorkerResources()));
        Assert.Contains(name, refused.Message, StringComparison.Ordinal);
        Assert.Equal("environment", refused.Field);
    }

    [Fact]
    public void A_default_outside_its_bounds_is_a_configuration_error() =>
        Assert.Throws<OptionValidationException>(() => new IntegerOptionField("worker_cores", null, null, 9, 1, 4));

    [Fact]
    public void A_resource_target_on_the_wrong_field_type_is_a_configuration_error() =>
        Assert.Throws<InvalidOperationException>(() => new ClusterOptions([new StringOptionField("cores", null, "worker_cores", "")]));

    [Fact]
    public void An_unknown_field_type_is_a_configuration_error()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["O:0:Field"] = "x", ["O:0:Type"] = "complex" }).Build();
        Assert.Contains("unknown option type 'complex'", Assert.Throws<InvalidOperationException>(() => ClusterOptions.FromConfiguration(configuration.GetSection("O"))).Message, StringComparison.Ordinal);
    }
}
