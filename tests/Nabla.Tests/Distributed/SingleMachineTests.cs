using Nabla.Cli;
using Nabla.Tests.Cli;

namespace Nabla.Tests.Distributed;

/// <summary>Nothing of MPI on one machine: a plain run never loads Open MPI, and `--distributed mpi` without it is one line and exit 2.</summary>
public class SingleMachineTests
{
    /// <summary>
    /// The shared libraries a real `nabla train` process has mapped once its first epoch is done (from /proc/PID/maps; the
    /// process id is the one started: `nabla` restarts itself in place).
    /// </summary>
    internal static List<string> MappedLibraries(params string[] extra)
    {
        // Epochs of 8,334 examples, more than the test waits for: the process is still training when its maps are read.
        using var process = CliProcess.Start(["train", "--data", TestFiles.SampleDirectory, "--epochs", "100000", "--threads", "1", .. extra]);
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("Epoch 0:")) { }
            if (line is null) Assert.Fail("nabla train ended before its first epoch: " + stderr.Result); // (stderr ends only with the process)
            // "address perms offset device inode path": the path is what follows the first '/'.
            return File.ReadAllLines($"/proc/{process.Id}/maps").Where(l => l.Contains('/')).Select(l => l[l.IndexOf('/')..].Trim()).Distinct().ToList();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    [Fact]
    public void A_single_machine_run_never_loads_MPI()
    {
        var libraries = MappedLibraries();
        Assert.Contains(libraries, path => path.EndsWith("libcoreclr.so")); // the list is the real one
        Assert.DoesNotContain(libraries, path => path.Contains("libmpi") || path.Contains("libopen-pal") || path.Contains("libopen-rte"));
    }

    [Fact]
    public void Distributed_mpi_without_Open_MPI_says_so_in_one_line_and_exits_2()
    {
        // The loader fails as on a machine without Open MPI: NABLA_MPI_LIBRARY names a library that exists nowhere.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll"), "train", "--distributed", "mpi", "--data", TestFiles.SampleDirectory, "--epochs", "1" })
            start.ArgumentList.Add(arg);
        start.Environment["NABLA_MPI_LIBRARY"] = "libmpi-not-installed.so.40";
        using var process = System.Diagnostics.Process.Start(start)!;
        var result = CliProcess.Finish(process);
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Equal("", result.Stdout);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: error: --distributed: distributed training needs Open MPI, and libmpi-not-installed.so.40 could not be loaded", line);
        Assert.Contains("apt-get install openmpi-bin", line);
    }

    [Fact]
    public void Distributed_takes_mpi_or_none()
    {
        var result = CliProcess.Run("train", "--distributed", "slurm", "--epochs", "1");
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("--distributed", result.Stderr);
        Assert.Contains("mpi", result.Stderr);
    }
}
