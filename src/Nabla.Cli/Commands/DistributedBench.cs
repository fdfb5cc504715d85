using System.Numerics;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla bench --distributed` (under mpirun): training epochs across the processes of the job, then one more epoch timed
/// phase by phase on every process, which splits a step into its compute, the wait for the slowest process (a barrier,
/// only in this epoch) and the all-reduce itself. The scaling efficiency is compute / (compute + wait + all-reduce): the
/// share of N processes' time spent on the arithmetic one process would do alone.
/// </summary>
internal static class DistributedBench
{
    public static int Run<T>(Sgd<T> sgd, Dataset training, string dataDescription, string recipe, int epochs, int threads, bool json, DistributedSession session)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = session.Size, m = sgd.MiniBatchSize;
        int parameters = Gradient<T>.ParameterCount(sgd.Network.Sizes);
        long reduceBytes = (parameters + 1L) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (!json)
        {
            Console.WriteLine($"Data: {dataDescription}");
            Console.WriteLine($"Network {recipe}");
            Console.WriteLine($"Distributed: {Words.Count(n, "process", "processes")} (Open MPI) × {Words.Count(threads, "thread")} for the products; " +
                              $"m = {m} each, global mini-batch {n * m}; one all-reduce of {parameters + 1:N0} {Words.Precision<T>()} values ({reduceBytes / 1e6:F2} MB) a step");
        }

        var seconds = BenchCommand.TimeEpochs(sgd, training, epochs, json);

        // One more epoch, phase by phase; each process's seconds summed over the job, then averaged.
        var timing = BenchCommand.TimedEpoch(sgd, training);
        double compute = timing.Seconds(StepPhase.Load) + timing.Seconds(StepPhase.FeedForward) + timing.Seconds(StepPhase.BackpropagateError) +
                         timing.Seconds(StepPhase.Gradient) + timing.Seconds(StepPhase.Update);
        Span<double> totals = [compute, timing.Seconds(StepPhase.Wait), timing.Seconds(StepPhase.AllReduce)];
        session.Mpi.AllReduceSum<double>(totals);
        int steps = timing.Steps;
        double computeStep = totals[0] / n / steps, waitStep = totals[1] / n / steps, reduceStep = totals[2] / n / steps;
        double step = computeStep + waitStep + reduceStep;
        double efficiency = computeStep / step;
        // Ring all-reduce: each process sends and receives 2(N−1)/N of the buffer.
        double busBandwidth = n > 1 ? 2.0 * (n - 1) / n * reduceBytes / reduceStep : double.NaN;
        double min = seconds.Min(), median = BenchCommand.Median(seconds);
        if (json)
        {
            CommandRunner.WriteJson(new
            {
                command = "bench",
                distributed = true,
                processes = n,
                threads_per_process = threads,
                batch_per_process = m,
                global_batch = n * m,
                data = new { description = dataDescription, examples = training.Count },
                recipe,
                precision = Words.Precision<T>(),
                parameters,
                all_reduce_bytes = reduceBytes,
                epoch_seconds = seconds,
                min_seconds = min,
                median_seconds = median,
                examples_per_second = training.Count / min,
                steps,
                step_seconds = step,
                compute_seconds_per_step = computeStep,
                wait_seconds_per_step = waitStep,
                all_reduce_seconds_per_step = reduceStep,
                all_reduce_bus_bytes_per_second = double.IsNaN(busBandwidth) ? (double?)null : busBandwidth,
                scaling_efficiency = efficiency,
            });
            return ExitCodes.Success;
        }
        Console.WriteLine($"Seconds per epoch: min {min:F3}, median {median:F3} over {Words.Count(epochs, "epoch")} of {Words.Count(training.Count, "example")}: " +
                          $"{training.Count / min:N0} examples/s for the job");
        Console.WriteLine($"Per step, one more epoch timed phase by phase ({steps:N0} steps; mean of the processes; a barrier before each all-reduce tells the wait apart):");
        Console.WriteLine($"  {"compute (load, forward, backward, gradient, update)",-52} {computeStep * 1e6,10:F1} µs {computeStep / step,7:P1}");
        Console.WriteLine($"  {"wait for the slowest process",-52} {waitStep * 1e6,10:F1} µs {waitStep / step,7:P1}");
        Console.WriteLine($"  {$"all-reduce of {reduceBytes / 1e6:F2} MB",-52} {reduceStep * 1e6,10:F1} µs {reduceStep / step,7:P1}" +
                          (n > 1 ? $"  ({busBandwidth / 1e9:F2} GB/s through each process, ring-equivalent)" : ""));
        Console.WriteLine($"Scaling efficiency: {efficiency:P1} (compute / step: the share of each process's time spent on what one process alone would compute; " +
                          $"{Words.Count(n, "process", "processes")} {(n == 1 ? "does" : "do")} the work of {efficiency * n:F2})");
        return ExitCodes.Success;
    }
}
