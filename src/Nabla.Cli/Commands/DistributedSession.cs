using System.CommandLine;
using System.CommandLine.Parsing;
using Nabla.Distributed;

namespace Nabla.Cli.Commands;

/// <summary>
/// `--distributed` of `train` and `bench`, and the MPI job a command runs in. Under Open MPI's mpirun the job is found from
/// its environment; `--distributed mpi` asks for it anywhere (one process, when not started by mpirun), `--distributed none`
/// refuses it. Process 0 prints and writes files; the others print only their errors, tagged with their rank. An error on
/// any process ends the whole job (MPI_Abort) with its exit code, so that no process waits for one that has failed; a
/// command that returns ends it with MPI_Finalize (<see cref="Finish"/>, from <see cref="CommandRunner"/>, never while an
/// exception unwinds: finalising waits for every process, and one may be waiting in a collective for this one). A
/// single-machine run never loads MPI.
/// </summary>
internal sealed class DistributedSession
{
    private readonly TextWriter _error;

    /// <summary>The job this process belongs to, while a command runs in one.</summary>
    public static DistributedSession? Current { get; private set; }

    public Mpi Mpi { get; }
    public int Rank => Mpi.Rank;
    public int Size => Mpi.Size;
    /// <summary>Process 0: the one that prints, evaluates and writes.</summary>
    public bool IsRoot => Mpi.Rank == 0;

    private DistributedSession(Mpi mpi)
    {
        Mpi = mpi;
        _error = Console.Error;
        if (!IsRoot)
        {
            Console.SetOut(TextWriter.Null);
            Console.SetError(TextWriter.Null);
        }
    }

    /// <summary>The cores of this node divided among the processes of an MPI job on it (OMPI_COMM_WORLD_LOCAL_SIZE), at least 1; all of them outside a job.</summary>
    public static int CoresPerProcess =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int local) && local > 1
            ? Math.Max(1, Environment.ProcessorCount / local)
            : Environment.ProcessorCount;

    public static Option<string?> Option() => new("--distributed")
    {
        Description = "Data-parallel training over MPI: `mpi` (the default under Open MPI's mpirun, which it is found from), or `none`. " +
                      "Each of N processes trains on its m examples of every mini-batch of N·m and the gradients are summed (see docs/distributed.md)",
        Arity = ArgumentArity.ZeroOrOne,
        HelpName = "mpi|none",
    };

    /// <summary>Whether the command line asks for MPI: `--distributed` or `--distributed mpi`; `none`; else whether mpirun started this process.</summary>
    public static bool Wanted(ParseResult parse, Option<string?> option)
    {
        if (parse.GetResult(option) is not { Implicit: false }) return Mpi.LaunchedByMpirun;
        return parse.GetValue(option)?.ToLowerInvariant() switch
        {
            null or "mpi" => true,
            "none" => false,
            var other => throw CommonOptions.NotOneOf("--distributed", other, ["mpi", "none"]),
        };
    }

    /// <summary>Joins the MPI job (null when <paramref name="wanted"/> is false); MPI that cannot be loaded is one line and exit 2.</summary>
    public static DistributedSession? Start(bool wanted)
    {
        if (!wanted) return null;
        if (Current is not null) return Current;
        try
        {
            return Current = new DistributedSession(Mpi.Initialize());
        }
        catch (NablaException e)
        {
            throw new CliException($"--distributed: {e.Message}", ExitCodes.InvalidArguments);
        }
    }

    /// <summary>
    /// A command failed on this process: process 0 has printed its line as every run does; another process prints its own,
    /// tagged with its rank (its failure may be its own, such as data its node cannot read). Then the job ends: MPI_Abort
    /// makes mpirun stop every process and exit with <paramref name="exitCode"/>.
    /// </summary>
    public static void AbortAfter(string message, int exitCode)
    {
        if (Current is not { } session) return;
        if (!session.IsRoot)
        {
            session._error.WriteLine($"nabla: rank {session.Rank}: error: {message}");
            session._error.Flush();
            // An error every process meets (an argument, a missing file) is aborted by process 0 alone: Open MPI 4.1's mpirun
            // garbles its report when several processes abort at once. A process that fails alone aborts the job itself.
            Thread.Sleep(TimeSpan.FromSeconds(1));
        }
        Console.Out.Flush();
        Console.Error.Flush();
        session.Mpi.Abort(exitCode);
    }

    /// <summary>
    /// MPI_Finalize, after the command returned (every process of the job does the same); not after an interruption:
    /// mpirun, which passed Ctrl-C on, is ending the job and would leave a finalising process waiting until it kills it
    /// (measured: 18 s with odls_base_sigkill_timeout 10), so the processes simply exit.
    /// </summary>
    public static void Finish(bool interrupted)
    {
        if (Current is not { } session) return;
        Current = null;
        if (!interrupted) session.Mpi.Dispose();
    }
}
