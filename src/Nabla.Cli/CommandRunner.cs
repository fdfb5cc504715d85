using System.CommandLine;
using System.Text.Json;

namespace Nabla.Cli;

/// <summary>
/// Runs a parsed command and turns every failure into one line on stderr and a distinct exit code
/// (<see cref="ExitCodes"/>); the stack trace only with --verbose. With --json a failure is also one
/// JSON object on stdout, so scripts always get JSON.
/// </summary>
internal static class CommandRunner
{
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object on stdout instead of prose (progress goes to stderr)", Recursive = true };
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Show stack traces of errors", Recursive = true };

    public static int Invoke(Command root, string[] args)
    {
        root.Options.Add(Json);
        root.Options.Add(Verbose);
        var parse = root.Parse(args);
        bool json = args.Contains("--json");
        if (parse.Errors.Count > 0)
        {
            string where = parse.CommandResult.Command == root ? "nabla" : $"nabla {parse.CommandResult.Command.Name}";
            return Fail(json, Suggestions.Explain(parse) ?? $"{parse.Errors[0].Message} (see '{where} --help')", ExitCodes.InvalidArguments);
        }
        try
        {
            int code = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            Commands.DistributedSession.Finish(interrupted: code == ExitCodes.Interrupted); // in an MPI job: MPI_Finalize, which every process reaches
            return code;
        }
        catch (Exception e) when (Classify(e) is var (code, message))
        {
            if (args.Contains("--verbose")) Console.Error.WriteLine(e);
            int failed = Fail(json, message, code);
            Commands.DistributedSession.AbortAfter(message, code); // in an MPI job: ends every process of it (returns only outside one)
            return failed;
        }
    }

    private static (int Code, string Message) Classify(Exception e) => e switch
    {
        CliException c => (c.ExitCode, c.Message),
        InvalidFileException f => (ExitCodes.InvalidInput, f.Message),
        TrainingDivergedException d => (ExitCodes.Diverged, d.Message),
        NablaException n => (ExitCodes.InvalidArguments, n.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted"),
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => (ExitCodes.InvalidInput, e.Message),
        _ => (ExitCodes.InternalError, $"internal error: {e.GetType().Name}: {e.Message} (run with --verbose for details; please report it)"),
    };

    private static int Fail(bool json, string message, int code)
    {
        Console.Error.WriteLine($"nabla: error: {message}");
        if (json) Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message, exit_code = code }));
        return code;
    }

    /// <summary>Writes one JSON object, snake_case keys, on stdout.</summary>
    public static void WriteJson(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>snake_case keys; NaN and infinities as strings.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
