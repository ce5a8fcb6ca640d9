namespace Platform.Testing.Servers;

/// <summary>Keeps the last lines a process printed, to explain a failed start.</summary>
public sealed class OutputTail(int capacity = 30)
{
    private readonly Queue<string> lines = new();
    private readonly Lock gate = new();

    public void Add(string line)
    {
        lock (gate)
        {
            this.lines.Enqueue(line);
            while (this.lines.Count > capacity)
            {
                this.lines.Dequeue();
            }
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (gate)
            {
                return [.. this.lines];
            }
        }
    }

    public override string ToString() => string.Join(Environment.NewLine, Lines);
}
