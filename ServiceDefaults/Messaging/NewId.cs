namespace Platform.ServiceDefaults.Messaging;

/// <summary>Time-ordered ids (UUID v7): message ids sort roughly by creation, which keeps the inbox index compact.</summary>
internal static class NewId
{
    public static Guid NextGuid() => Guid.CreateVersion7();
}
