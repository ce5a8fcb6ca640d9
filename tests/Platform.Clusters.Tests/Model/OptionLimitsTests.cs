using System.Text.Json.Nodes;
using Platform.Clusters.Model;

namespace Platform.Clusters.Tests.Model;

/// <summary>Option values PostgreSQL or a process environment cannot hold, and sizes past the limits, are refused naming the field and limit.</summary>
public sealed class OptionLimitsTests
{
    private static readonly StringOptionField Description = new("description", null, null, "");
    private static readonly MappingOptionField Environment = new("environment", null, null, null);

    [Fact]
    public void A_string_with_a_lone_surrogate_is_refused_not_thrown()
    {
        var value = JsonNode.Parse("\"\\ud800\"");

        var refused = Assert.Throws<OptionValidationException>(() => Description.Validate(value));

        Assert.Equal("description is not valid text (it holds a lone surrogate)", refused.Message);
    }

    [Fact]
    public void A_string_at_its_limit_passes_and_one_character_more_is_refused()
    {
        Assert.Equal(4096, Description.Validate(JsonValue.Create(new string('a', 4096)))!.GetValue<string>().Length);

        var refused = Assert.Throws<OptionValidationException>(() => Description.Validate(JsonValue.Create(new string('a', 4097))));

        Assert.Equal("description is longer than the limit of 4096 characters", refused.Message);
    }

    [Fact]
    public void A_mapping_key_with_nul_is_refused()
    {
        var refused = Assert.Throws<OptionValidationException>(() => Environment.Validate(new JsonObject { ["A\0"] = "1" }));

        Assert.Equal("environment: a key must not contain NUL characters", refused.Message);
    }

    [Fact]
    public void A_mapping_over_its_total_size_is_refused_naming_the_limit()
    {
        var mapping = new JsonObject();
        for (var i = 0; i < 5; i++)
        {
            mapping[$"V{i}"] = new string('x', 30_000);
        }

        var refused = Assert.Throws<OptionValidationException>(() => Environment.Validate(mapping));

        Assert.Equal("environment holds 150010 characters, more than the limit of 131072", refused.Message);
    }

    [Fact]
    public void Nested_strings_in_a_mapping_are_checked_too()
    {
        var refused = Assert.Throws<OptionValidationException>(() => Environment.Validate(new JsonObject { ["A"] = new JsonArray("ok", "b\0") }));

        Assert.Equal("environment: the value of 'A' must not contain NUL characters", refused.Message);
    }
}
