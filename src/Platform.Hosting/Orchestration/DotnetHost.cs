namespace Platform.Hosting.Orchestration;

/// <summary>The dotnet host (muxer) to start projects with: the one running us when possible, so versions match.</summary>
internal static class DotnetHost
{
    public static string Path
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
                return hostPath;
            if (Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet")
                return self;
            return Infrastructure.ExecutableSearch.OnPath("dotnet") ?? "dotnet";
        }
    }
}
