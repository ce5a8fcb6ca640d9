using System.Text.Json.Nodes;
using Platform.Hosting.Publishing;

namespace Platform.Hosting.Tests.Publishing;

public sealed class YamlWriterTests
{
    [Fact]
    public void Strings_that_look_like_numbers_booleans_or_null_stay_strings()
    {
        var yaml = YamlWriter.Write(new JsonObject { ["a"] = "0", ["b"] = "true", ["c"] = "null", ["d"] = 5, ["e"] = false });

        Assert.Equal("a: \"0\"\nb: \"true\"\nc: \"null\"\nd: 5\ne: false\n", yaml);
    }

    [Fact]
    public void Lists_of_maps_align_under_the_dash()
    {
        var yaml = YamlWriter.Write(new JsonObject
        {
            ["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["value"] = "1" }, new JsonObject { ["name"] = "B", ["value"] = "2" }),
        });

        Assert.Equal("env:\n- name: \"A\"\n  value: \"1\"\n- name: \"B\"\n  value: \"2\"\n", yaml);
    }

    [Fact]
    public void Multi_line_strings_become_literal_blocks_keeping_their_final_newline()
    {
        var yaml = YamlWriter.Write(new JsonObject { ["sql"] = "CREATE DATABASE a;\nCREATE DATABASE b;\n", ["patch"] = "- op: add\n  path: /x" });

        Assert.Equal("sql: |\n  CREATE DATABASE a;\n  CREATE DATABASE b;\npatch: |-\n  - op: add\n    path: /x\n", yaml);
    }
}
