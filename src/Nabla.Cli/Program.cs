using System.CommandLine;
using Nabla.Cli;
using Nabla.Cli.Commands;

// `nabla`: a thin front end. It parses, calls the library and renders; the algorithm lives in src/Nabla.
WidestVectors.Ensure(); // on cores with full-width 512-bit FMA, restarts itself once with 512-bit Vector<T>
var root = new RootCommand("nabla — feedforward networks trained with backpropagation (Nielsen, Neural Networks and Deep Learning, ch. 2)")
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    GradCheckCommand.Create(),
    ExplainCommand.Create(),
    BenchCommand.Create(),
    ExportCommand.Create(),
};
return CommandRunner.Invoke(root, args);
