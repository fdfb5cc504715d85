using System.Diagnostics;

namespace Nabla.Tests.Cli;

/// <summary>The built `nabla` (Nabla.Cli.dll, copied beside the tests by the project reference), run as a process.</summary>
internal static class CliProcess
{
    /// <summary>
    /// The signal a test sends for Ctrl-C: SIGINT, or SIGTERM (which `nabla` handles the same way) when this test run
    /// ignores SIGINT, as anything started in the background of a non-interactive shell does (`cmd &`, nohup): its children
    /// inherit the ignored SIGINT, and a Ctrl-C sent to them would never arrive.
    /// </summary>
    public static string CtrlC { get; } = SigIntIgnored() ? "TERM" : "INT";

    private static bool SigIntIgnored()
    {
        if (!OperatingSystem.IsLinux()) return false;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:"));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0; // bit of signal 2
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static readonly string CliPath = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");

    /// <summary>Starts `nabla ARGS` with stdout and stderr redirected.</summary>
    public static Process Start(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(start)!;
    }

    /// <summary>Reads what is left of the output and waits (at most 2 minutes) for the process to end.</summary>
    public static Result Finish(Process process, string stdoutSoFar = "")
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("nabla did not finish in 2 minutes");
        }
        return new Result(process.ExitCode, stdoutSoFar + stdout.Result, stderr.Result);
    }

    /// <summary>Runs `nabla ARGS` to the end.</summary>
    public static Result Run(params string[] args)
    {
        using var process = Start(args);
        return Finish(process);
    }
}
