using Microsoft.Extensions.Logging;
using Platform.Auth.Abstractions;
using Platform.Plugins.Sdk;
using Platform.Plugins.Sdk.Commands;
using Platform.Plugins.Sdk.Deployments;
using Platform.Plugins.Sdk.Handlers;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.Sdk.Stages;
using Platform.Plugins.Sdk.Validation;

namespace Platform.Plugins.Loading;

/// <summary>The <see cref="IPluginContext"/> a plugin initializes against: it records registrations and refuses duplicates.</summary>
internal sealed class PluginContext(IReadOnlyDictionary<string, string> settings, ILogger logger, IPluginState state) : IPluginContext
{
    private static readonly HashSet<string> Methods = new(StringComparer.OrdinalIgnoreCase) { "GET", "POST", "PUT", "PATCH", "DELETE" };
    private bool frozen;

    public PluginRegistrations Registrations { get; } = new();

    public IReadOnlyDictionary<string, string> Settings => settings;

    public ILogger Logger => logger;

    public IPluginState State => state;

    public void Freeze() => frozen = true;

    public void OnClusterEvent(string name, ClusterEvents events, ClusterFilter filter, ClusterHandler handler, HandlerOptions? options = null)
    {
        if (events == ClusterEvents.None)
        {
            throw new ArgumentException("A handler needs at least one event.", nameof(events));
        }

        AddHandler(new HandlerRegistration(name, events, null, null, null, filter, handler, options ?? HandlerOptions.Default));
    }

    public void OnTransition(string name, ClusterPhase? fromPhase, ClusterPhase toPhase, ClusterFilter filter, ClusterHandler handler, HandlerOptions? options = null) =>
        AddHandler(new HandlerRegistration(name, ClusterEvents.None, fromPhase, toPhase, null, filter, handler, options ?? HandlerOptions.Default));

    public void OnTimer(string name, TimeSpan interval, ClusterFilter filter, ClusterHandler handler, HandlerOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromSeconds(1));
        AddHandler(new HandlerRegistration(name, ClusterEvents.None, null, null, interval, filter, handler, options ?? HandlerOptions.Default));
    }

    public void AddValidator(string name, ClusterValidator validator, TimeSpan? timeout = null)
    {
        EnsureOpen();
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(validator);
        if (Registrations.Validators.Any(v => v.Name == name))
        {
            throw new ArgumentException($"A validator named {name} is already registered.", nameof(name));
        }

        Registrations.Validators.Add(new ValidatorRegistration(name, validator, timeout));
    }

    public void MapRoute(string method, string pattern, PluginRouteHandler handler)
    {
        EnsureOpen();
        ArgumentNullException.ThrowIfNull(handler);
        if (!Methods.Contains(method))
        {
            throw new ArgumentException($"Method {method} is not one of {string.Join(", ", Methods)}.", nameof(method));
        }

        var segments = (pattern ?? "").Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            throw new ArgumentException("A route needs at least one path segment below the plugin's prefix.", nameof(pattern));
        }

        Registrations.Routes.Add(new RouteRegistration(method.ToUpperInvariant(), segments, handler));
    }

    public void AddDeployment(IDeploymentPlugin deployment)
    {
        EnsureOpen();
        ArgumentNullException.ThrowIfNull(deployment);
        Registrations.Deployments.Add(deployment);
    }

    public void AddAuthenticator(IAuthenticator authenticator)
    {
        EnsureOpen();
        ArgumentNullException.ThrowIfNull(authenticator);
        Registrations.Authenticators.Add(authenticator);
    }

    public void AddDeploymentStage(IDeploymentStage stage)
    {
        EnsureOpen();
        ArgumentNullException.ThrowIfNull(stage);
        EnsureName(stage.Name, "stage", Registrations.Stages.Select(s => s.Name));
        Registrations.Stages.Add(stage);
    }

    public void AddCommand(ICliCommand command)
    {
        EnsureOpen();
        ArgumentNullException.ThrowIfNull(command);
        EnsureName(command.Name, "command", Registrations.Commands.Select(c => c.Name));
        var arguments = command.Arguments ?? throw new ArgumentException($"Command {command.Name} has no argument list.", nameof(command));
        if (arguments.GroupBy(a => a.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"Command {command.Name} names argument {twice.Key} twice.", nameof(command));
        }

        // Positional arguments: once one has a default, every later one needs one too, or the command line is ambiguous.
        if (arguments.SkipWhile(a => a.Required).FirstOrDefault(a => a.Required) is { } late)
        {
            throw new ArgumentException($"Command {command.Name}: required argument {late.Name} follows an optional one.", nameof(command));
        }

        Registrations.Commands.Add(command);
    }

    private static void EnsureName(string name, string what, IEnumerable<string> taken)
    {
        if (!PluginNames.IsValid(name))
        {
            throw new ArgumentException($"A {what} name is lower-case letters, digits and dashes; got '{name}'.", nameof(name));
        }

        if (taken.Contains(name, StringComparer.Ordinal))
        {
            throw new ArgumentException($"A {what} named {name} is already registered.", nameof(name));
        }
    }

    private void AddHandler(HandlerRegistration registration)
    {
        EnsureOpen();
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.Name);
        ArgumentNullException.ThrowIfNull(registration.Handler);
        ArgumentNullException.ThrowIfNull(registration.Filter);
        if (Registrations.Handlers.Any(h => h.Name == registration.Name))
        {
            throw new ArgumentException($"A handler named {registration.Name} is already registered.", nameof(registration));
        }

        Registrations.Handlers.Add(registration);
    }

    private void EnsureOpen()
    {
        if (frozen)
        {
            throw new InvalidOperationException("Capabilities are registered during InitializeAsync only.");
        }
    }
}
