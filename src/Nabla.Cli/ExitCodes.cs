namespace Nabla.Cli;

/// <summary>The exit codes of `nabla`, one per kind of failure (listed in the README).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>An unexpected internal error (a bug): the message says so.</summary>
    public const int InternalError = 1;
    /// <summary>A command-line argument is missing, malformed or out of range.</summary>
    public const int InvalidArguments = 2;
    /// <summary>An input file (data or model) is missing, unreadable or not valid.</summary>
    public const int InvalidInput = 3;
    /// <summary>An output file could not be written (nothing already there was damaged).</summary>
    public const int OutputFailed = 4;
    /// <summary>Training diverged (NaN or infinity).</summary>
    public const int Diverged = 5;
    /// <summary>Interrupted by Ctrl-C (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure with a one-line message and its exit code.</summary>
public sealed class CliException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
