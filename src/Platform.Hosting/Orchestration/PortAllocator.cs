using Microsoft.Extensions.Configuration;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Stable ports, so bookmarks and connection strings survive restarts: each resource has a default,
/// <c>Platform:PortBase</c> shifts every default (tests run a second copy beside a developer's), and
/// <c>Platform:Ports:&lt;name&gt;</c> pins one resource.
/// </summary>
public sealed class PortAllocator(IConfiguration configuration)
{
    public const int FirstProjectPort = 5101;

    private int _nextProjectPort = FirstProjectPort;

    public int PortBase => configuration.GetValue("Platform:PortBase", 0);

    public int Resolve(string resourceName, int defaultPort)
    {
        var pinned = configuration.GetValue<int?>($"Platform:Ports:{resourceName}");
        var port = pinned ?? defaultPort + PortBase;
        if (port is < 1 or > 65535)
            throw new InvalidOperationException($"Port {port} for '{resourceName}' is out of range (default {defaultPort} + Platform:PortBase {PortBase}).");
        return port;
    }

    /// <summary>Projects get consecutive defaults in declaration order (5101, 5102, ...) unless given one.</summary>
    public int NextProjectDefault() => _nextProjectPort++;
}
