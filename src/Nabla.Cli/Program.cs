using System.CommandLine;
using System.CommandLine.Help;
using Nabla.Cli;
using Nabla.Cli.Commands;

// `nabla`: a thin front end. It parses, calls the library and renders; the algorithm lives in src/Nabla.
// Under Open MPI's mpirun, stdout is a pseudo-terminal that mpirun forwards (often into a file or a pipe): with a TERM that
// has one, .NET would begin it with a terminal control sequence (keypad mode, ESC[?1h ESC=), corrupting --json output.
if (Nabla.Distributed.Mpi.LaunchedByMpirun) Environment.SetEnvironmentVariable("TERM", "dumb");
// Named "nabla" whatever the executable is called (Nabla.Cli.dll under `dotnet`, the `nabla` tool), so help says `nabla`.
var root = new Command("nabla", "nabla — feedforward networks trained with backpropagation (Nielsen, Neural Networks and Deep Learning, ch. 2)")
{
    new HelpOption(),
    new VersionOption(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    GradCheckCommand.Create(),
    ExplainCommand.Create(),
    BenchCommand.Create(),
    ExportCommand.Create(),
    PredictCommand.Create(),
    StudioCommand.Create(),
};
return CommandRunner.Invoke(root, args);
