namespace Platform.Hosting.Orchestration;

/// <summary>
/// The AppHost's console: every resource's lines prefixed with its padded name in its own colour,
/// plus the AppHost's own messages. Colour only on a terminal, and never when NO_COLOR is set.
/// </summary>
public sealed class ConsoleOutput
{
    private static readonly string[] Palette = ["\e[36m", "\e[33m", "\e[32m", "\e[35m", "\e[34m", "\e[96m", "\e[93m", "\e[92m", "\e[95m", "\e[94m"];
    private const string Reset = "\e[0m";
    private const string Bold = "\e[1m";
    private const string Red = "\e[31m";
    private const string AppHostName = "apphost";

    private readonly TextWriter _writer;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _colours = [];
    private int _width = AppHostName.Length;

    public ConsoleOutput(TextWriter writer, bool useColour)
    {
        _writer = writer;
        UseColour = useColour;
    }

    public bool UseColour { get; }

    public static ConsoleOutput ForConsole() =>
        new(Console.Out, !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") != "dumb");

    /// <summary>Gives each resource a stable colour and widens the name column to fit every name.</summary>
    public void Register(IEnumerable<string> resourceNames)
    {
        lock (_gate)
        {
            foreach (var name in resourceNames)
            {
                _colours.TryAdd(name, _colours.Count % Palette.Length);
                _width = Math.Max(_width, name.Length);
            }
        }
    }

    public void ResourceLine(string resource, string line) => Write(Format(resource, line));

    public void Info(string message) => Write(Format(AppHostName, message, emphasis: UseColour ? Bold : null));

    public void Error(string message) => Write(Format(AppHostName, message, emphasis: UseColour ? Red : null));

    /// <summary>Raw text (the status table), written as one block so resource lines cannot interleave with it.</summary>
    public void Block(string text) => Write(text);

    internal string Format(string resource, string line, string? emphasis = null)
    {
        var prefix = resource.PadRight(_width);
        if (!UseColour)
            return $"{prefix} | {line}";
        var colour = _colours.TryGetValue(resource, out var index) ? Palette[index] : Bold;
        return emphasis is null ? $"{colour}{prefix} |{Reset} {line}" : $"{colour}{prefix} |{Reset} {emphasis}{line}{Reset}";
    }

    private void Write(string text)
    {
        lock (_gate)
        {
            _writer.WriteLine(text);
            _writer.Flush();
        }
    }
}
