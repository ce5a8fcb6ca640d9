using System.Text;

namespace Platform.Hosting.Orchestration;

/// <summary>The table printed once everything is healthy: what runs where, under which PID, keeping data where.</summary>
internal static class StatusTable
{
    public static string Render(IReadOnlyList<Resource> resources, string dataDirectory)
    {
        string[] headers = ["Resource", "State", "Endpoint", "PID", "Data"];
        var rows = resources.Select(r => new[]
        {
            r.Name,
            r.State.ToString(),
            r.DisplayEndpoint,
            r.ProcessIds.Count == 0 ? "-" : string.Join(",", r.ProcessIds),
            r.DataDirectory is { } data ? Path.GetRelativePath(dataDirectory, data) + "/" : "-",
        }).ToList();
        var widths = headers.Select((h, i) => rows.Select(row => row[i].Length).Append(h.Length).Max()).ToArray();

        var text = new StringBuilder();
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        text.AppendLine(rule);
        text.AppendLine(Row(headers, widths));
        text.AppendLine(rule);
        foreach (var row in rows)
            text.AppendLine(Row(row, widths));
        text.AppendLine(rule);
        text.Append($"Data folder: {dataDirectory}");
        foreach (var resource in resources.Where(r => r.Note is not null))
            text.Append($"{Environment.NewLine}  {resource.Name}: {resource.Note}");
        return text.ToString();
    }

    private static string Row(IReadOnlyList<string> cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
}
