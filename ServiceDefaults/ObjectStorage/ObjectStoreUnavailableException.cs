namespace Platform.ServiceDefaults.ObjectStorage;

/// <summary>The object server did not answer: a clear, secret-free message instead of the SDK's transport error.</summary>
public sealed class ObjectStoreUnavailableException : IOException
{
    public ObjectStoreUnavailableException()
    {
    }

    public ObjectStoreUnavailableException(string message)
        : base(message)
    {
    }

    public ObjectStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
