using System.Diagnostics;
using Nabla.Tests.Cli;

namespace Nabla.Tests.Distributed;

/// <summary>A [Fact] that is skipped, saying why, when Open MPI's mpirun is not installed (.ci/run installs openmpi-bin).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        Skip = MpiProcess.SkipReason;
    }
}

/// <summary>A [Theory] skipped like <see cref="MpiFactAttribute"/>.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        Skip = MpiProcess.SkipReason;
    }
}

/// <summary>The built `nabla` run as an MPI job: `mpirun --allow-run-as-root --oversubscribe -np N dotnet Nabla.Cli.dll ARGS`.</summary>
internal static class MpiProcess
{
    /// <summary>mpirun's full path, or null when it is not on PATH.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Why the MPI tests are skipped, or null when mpirun is there.</summary>
    public static string? SkipReason => Mpirun is null ? "MPI test skipped: Open MPI's mpirun is not on PATH; `apt-get install openmpi-bin` (.ci/run does)" : null;

    private static readonly string CliPath = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");

    /// <summary>Starts the job with stdout and stderr redirected (mpirun forwards every process's streams).</summary>
    public static Process Start(int processes, IEnumerable<string> args, params (string Name, string Value)[] environment) =>
        Start([(processes, args)], environment);

    /// <summary>
    /// Starts one job of several programs (mpirun's `-np 1 A : -np 1 B`): each group's processes run `nabla` with their own
    /// arguments, ranks numbered in order.
    /// </summary>
    public static Process Start(IEnumerable<(int Processes, IEnumerable<string> Args)> groups, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(Mpirun ?? throw new InvalidOperationException("mpirun is not installed"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        start.ArgumentList.Add("--allow-run-as-root");
        start.ArgumentList.Add("--oversubscribe");
        bool first = true;
        foreach (var (processes, args) in groups)
        {
            if (!first) start.ArgumentList.Add(":");
            first = false;
            foreach (var arg in new[] { "-np", processes.ToString(), "dotnet", CliPath }) start.ArgumentList.Add(arg);
            foreach (var arg in args) start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Containers often forbid the cross-memory attach that shared memory's single copy uses; copying through the segment always works.
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs the job to its end (at most 2 minutes).</summary>
    public static CliProcess.Result Run(int processes, params string[] args)
    {
        using var process = Start(processes, args);
        return CliProcess.Finish(process);
    }

    /// <summary>The process ids of the job's ranks (children of mpirun, which is their local daemon), by rank.</summary>
    public static Dictionary<int, int> Ranks(Process mpirun)
    {
        var ranks = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                // /proc/PID/stat: "pid (name) state ppid ..."; the name may hold spaces, so read after its closing parenthesis.
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (ppid != mpirun.Id) continue;
                string? rank = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0')
                    .FirstOrDefault(v => v.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal));
                if (rank is not null) ranks[int.Parse(rank["OMPI_COMM_WORLD_RANK=".Length..])] = pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { } // gone meanwhile
        }
        return ranks;
    }
}
