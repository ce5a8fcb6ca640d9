using Microsoft.Extensions.Logging;

namespace Platform.Plugins.Samples.Hello;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "hello is ready to greet clusters labelled hello=yes")]
    public static partial void LogHelloLoaded(this ILogger logger);
}
