using MassTransit;

namespace Platform.Plugins.Tests.Support;

/// <summary>A bare MassTransit bus on the test broker, standing in for another service that publishes while Plugins is down.</summary>
public sealed class TestBus : IAsyncDisposable
{
    private readonly IBusControl bus;

    private TestBus(IBusControl bus) => this.bus = bus;

    public static async Task<TestBus> StartAsync(string amqpUri)
    {
        var uri = new Uri(amqpUri);
        var credentials = uri.UserInfo.Split(':', 2);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(uri.Host, (ushort)uri.Port, "/", host =>
        {
            host.Username(Uri.UnescapeDataString(credentials[0]));
            host.Password(Uri.UnescapeDataString(credentials[1]));
        }));
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        return new TestBus(bus);
    }

    public Task PublishAsync<T>(T message, Guid? messageId = null)
        where T : class => bus.Publish(message, context =>
        {
            if (messageId is { } id)
            {
                context.MessageId = id;
            }
        });

    public async ValueTask DisposeAsync() => await bus.StopAsync(TimeSpan.FromSeconds(15));
}
