namespace Platform.Plugins.TestPlugins.Greeting;

public static class Greeter
{
    public static string Version => "2";
}
