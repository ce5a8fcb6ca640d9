namespace Platform.Proxy.Tests.Support;

public static class FreePort
{
    public static int Next() => Platform.Hosting.Infrastructure.FreePort.Pick();
}
