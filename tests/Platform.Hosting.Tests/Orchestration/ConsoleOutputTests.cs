using Platform.Hosting.Orchestration;

namespace Platform.Hosting.Tests.Orchestration;

public sealed class ConsoleOutputTests
{
    [Fact]
    public void Lines_are_prefixed_with_the_resource_name_padded_to_the_longest()
    {
        var writer = new StringWriter();
        var output = new ConsoleOutput(writer, useColour: false);
        output.Register(["postgres", "webhooksdb", "auth"]);

        output.ResourceLine("auth", "listening");
        output.ResourceLine("webhooksdb", "created");

        Assert.Equal(["auth       | listening", "webhooksdb | created"], Lines(writer));
    }

    [Fact]
    public void Each_resource_gets_its_own_colour_when_colour_is_on()
    {
        var writer = new StringWriter();
        var output = new ConsoleOutput(writer, useColour: true);
        output.Register(["auth", "proxy"]);

        output.ResourceLine("auth", "a");
        output.ResourceLine("proxy", "p");

        var lines = Lines(writer);
        var colours = lines.Select(l => l[..l.IndexOf('m', StringComparison.Ordinal)]).ToList();
        Assert.All(lines, l => Assert.StartsWith("\e[", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Contains("\e[0m", l, StringComparison.Ordinal));
        Assert.NotEqual(colours[0], colours[1]);
    }

    [Fact]
    public void No_escape_codes_are_written_without_colour()
    {
        var writer = new StringWriter();
        var output = new ConsoleOutput(writer, useColour: false);
        output.Register(["auth"]);

        output.ResourceLine("auth", "a");
        output.Error("failed");
        output.Info("ready");

        Assert.DoesNotContain('\e', writer.ToString());
    }

    private static string[] Lines(StringWriter writer) =>
        writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
