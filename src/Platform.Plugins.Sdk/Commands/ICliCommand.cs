namespace Platform.Plugins.Sdk.Commands;

/// <summary>
/// A subcommand a plugin adds to the platform's CLI (Nebari's <c>nebari_subcommand</c>), as
/// <c>platform {plugin} {Name} [arguments]</c>. The platform records registered commands; the CLI that runs them is a
/// later issue.
/// </summary>
public interface ICliCommand
{
    /// <summary>Lower-case letters, digits and dashes; unique within the plugin.</summary>
    string Name { get; }

    /// <summary>One line for the CLI's help.</summary>
    string Description { get; }

    /// <summary>The command's arguments, in the order they are given on the command line.</summary>
    IReadOnlyList<CommandArgument> Arguments { get; }

    /// <summary>Runs the command; the result is the process's exit code (0: success).</summary>
    Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken);
}

/// <summary>One argument of a command: positional, required unless it has a default.</summary>
public sealed record CommandArgument(string Name, string Description, string? DefaultValue = null)
{
    public bool Required => DefaultValue is null;
}

/// <summary>What a command runs with: its arguments' values by name (defaults filled in), and where to write.</summary>
public sealed record CommandContext(IReadOnlyDictionary<string, string> Arguments, TextWriter Output, TextWriter Error);
