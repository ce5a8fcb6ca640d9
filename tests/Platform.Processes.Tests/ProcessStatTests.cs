namespace Platform.Processes.Tests;

public sealed class ProcessStatTests
{
    // A real stat line's shape: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    // stime cutime cstime priority nice num_threads itrealvalue starttime ...
    private const string Fields = "S 10 20 30 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 300";

    [Fact]
    public void Fields_are_counted_after_the_last_parenthesis_so_a_name_with_spaces_and_parentheses_parses()
    {
        var stat = ProcessStat.Parse(42, $"42 (a) b (c)) {Fields}");

        Assert.Equal(new ProcessStat(42, 'S', 10, 20, 30, 987654), stat);
        Assert.True(stat!.Value.IsAlive);
    }

    [Theory]
    [InlineData('Z')]
    [InlineData('X')]
    public void A_zombie_or_dead_process_is_not_alive(char state)
    {
        var stat = ProcessStat.Parse(42, $"42 (dask-worker) {state}{Fields[1..]}");

        Assert.False(stat!.Value.IsAlive);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42 (sleep")]
    [InlineData("42 (sleep) S 1 2")]
    public void A_line_cut_short_is_no_stat(string text) => Assert.Null(ProcessStat.Parse(42, text));

    [Fact]
    public void This_process_reads_as_alive_with_its_own_parent_and_a_stable_start_time()
    {
        var first = ProcessStat.Read(Environment.ProcessId);
        var second = ProcessStat.Read(Environment.ProcessId);

        Assert.NotNull(first);
        Assert.True(first.Value.IsAlive);
        Assert.True(first.Value.StartTime > 0);
        Assert.Equal(first, second);
        Assert.Equal(File.ReadAllText("/proc/self/stat").Split(' ')[3], first.Value.ParentId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_process_that_does_not_exist_has_no_stat() => Assert.Null(ProcessStat.Read(int.MaxValue));
}
