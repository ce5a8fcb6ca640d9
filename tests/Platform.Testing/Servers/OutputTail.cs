namespace Platform.Testing.Servers;

/// <summary>Keeps the last lines a process printed, to explain a failed start.</summary>
public sealed class OutputTail(int capacity = 30)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity)
                _lines.Dequeue();
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
                return [.. _lines];
        }
    }

    public override string ToString() => string.Join(Environment.NewLine, Lines);
}
