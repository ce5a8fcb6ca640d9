namespace Platform.Plugins.Sdk;

/// <summary>The names under which the platform lists and routes what a plugin provides.</summary>
public static class PluginCapabilities
{
    public const string Handlers = "handlers";
    public const string Validators = "validators";
    public const string Routes = "routes";
    public const string Deployments = "deployments";
    public const string Authenticators = "authenticators";
    public const string Stages = "stages";
    public const string Commands = "commands";
}
