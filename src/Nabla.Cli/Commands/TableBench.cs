using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla bench --read FILE`: how fast a table file reads into a <see cref="Table"/> (MB/s of file, rows/s), min and median
/// of several reads; also per second of CPU time used by the process, which a busy shared machine disturbs less than the wall clock.
/// </summary>
internal static class TableBench
{
    public static readonly Option<string?> Read = new("--read") { Description = "Instead of training, time reading this table (.csv, .tsv, .parquet) --epochs times: MB/s and rows/s" };

    public static int Run(string path, int rounds, bool json)
    {
        if (rounds < 1) throw new CliException($"--epochs: the number of reads must be at least 1, got {rounds}", ExitCodes.InvalidArguments);
        long bytes = new FileInfo(path) is { Exists: true } file ? file.Length : throw new CliException($"--read: {path}: no such file", ExitCodes.InvalidInput);
        var seconds = new List<double>();
        var cpu = new List<double>();
        Table? table = null;
        for (int r = 0; r < rounds; r++)
        {
            table = null;
            GC.Collect();
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            table = TableTraining.ReadTable(path, "--read", TableReadOptions.Default);
            seconds.Add(clock.Elapsed.TotalSeconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
            if (!json) System.Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read {r}: {seconds[^1]:F3} s, {bytes / 1e6 / seconds[^1]:F0} MB/s; CPU {cpu[^1]:F3} s"));
        }
        seconds.Sort();
        cpu.Sort();
        double min = seconds[0], median = seconds[seconds.Count / 2], cpuMedian = cpu[cpu.Count / 2];
        int rows = table!.RowCount, columns = table.Columns.Count;
        if (json)
            CommandRunner.WriteJson(new { command = "bench", read = path, bytes, rows, columns, rounds, min_seconds = min, median_seconds = median, mb_per_second_best = bytes / 1e6 / min, mb_per_second_median = bytes / 1e6 / median, rows_per_second_median = rows / median, cpu_seconds_median = cpuMedian, mb_per_cpu_second_median = bytes / 1e6 / cpuMedian });
        else
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {bytes / 1e6:F1} MB, {rows:N0} rows × {columns} columns; read in {min:F3} s best, {median:F3} s median ({bytes / 1e6 / min:F0} / {bytes / 1e6 / median:F0} MB/s, {rows / median:N0} rows/s) over {rounds} reads; median CPU time {cpuMedian:F3} s ({bytes / 1e6 / cpuMedian:F0} MB per CPU second)"));
        return ExitCodes.Success;
    }
}
