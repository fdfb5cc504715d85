using System.CommandLine;
using System.Diagnostics;
using System.Numerics;
using Nabla.Kernels;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla bench`: how fast one epoch of SGD trains (evaluation excluded), against the machine's arithmetic limit.
/// Uses the 50,000 real training examples when installed, else synthetic data of the same shape.
/// </summary>
internal static class BenchCommand
{
    private const int SyntheticCount = 50_000;

    private sealed record Settings(int[] Layers, int Batch, int Epochs, int Threads, double Eta, int Seed, string? Data,
        string Precision, double PeakGflops, bool Breakdown, bool Json, bool LoadAhead)
    {
        public IdxLimits? IdxLimits { get; init; }
    }

    public static Command Create()
    {
        var layers = CommonOptions.Layers();
        var batch = new Option<int>("--batch") { Description = "Mini-batch size m", DefaultValueFactory = _ => 10 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs to time", DefaultValueFactory = _ => 3 };
        var threads = ThreadsOption();
        var loadAhead = LoadAheadOption();
        var eta = new Option<double>("--eta") { Description = "Learning rate η", DefaultValueFactory = _ => 3.0 };
        var seed = CommonOptions.Seed();
        var data = CommonOptions.Data();
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var precision = new Option<string>("--precision") { Description = "float32 or float64", DefaultValueFactory = _ => "float32" };
        var peak = new Option<double>("--peak-gflops") { Description = "The machine's arithmetic limit in float32 GFLOP/s, all cores (default: 2 Zen 3 cores × 2 FMA × 8 lanes × 2 × 2.445 GHz)", DefaultValueFactory = _ => 156.5 };
        var breakdown = new Option<bool>("--breakdown") { Description = "Also time each phase of a step (load, feedforward, backpropagate, update) in an extra epoch" };

        var command = new Command("bench", "Time SGD training epochs and compare with the machine's arithmetic limit")
        {
            layers, batch, epochs, threads, loadAhead, eta, seed, data, maxIdxSize, precision, peak, breakdown, TableBench.Read,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(TableBench.Read) is string table) return TableBench.Run(table, parse.GetValue(epochs), parse.GetValue(CommandRunner.Json));
            var s = new Settings(CommonOptions.ParseLayers(parse.GetValue(layers)!), parse.GetValue(batch), parse.GetValue(epochs),
                parse.GetValue(threads), parse.GetValue(eta), parse.GetValue(seed), parse.GetValue(data),
                parse.GetValue(precision)!, parse.GetValue(peak), parse.GetValue(breakdown), parse.GetValue(CommandRunner.Json),
                parse.GetValue(loadAhead)) { IdxLimits = parse.GetValue(maxIdxSize) };
            return CommonOptions.ParsePrecision(s.Precision) == "float32" ? Run<float>(s) : Run<double>(s);
        });
        return command;
    }

    /// <summary>--threads, shared with `train`: 0 (the default) lets <see cref="ComputeContext.ThreadsFor"/> choose by the size of a step.</summary>
    public static Option<int> ThreadsOption() =>
        new("--threads")
        {
            Description = "Threads for the matrix products; 0 chooses: all cores when a step has ≥ 0.5 M multiply-adds (e.g. [784,100,10] at m = 10), else 1. " +
                          "Any thread count gives the same weights",
            DefaultValueFactory = _ => 0,
        };

    /// <summary>The thread count to use: <paramref name="requested"/>, or the choice for this network and batch when it is 0.</summary>
    /// <summary>--load-ahead, shared with `train`.</summary>
    public static Option<bool> LoadAheadOption() =>
        new("--load-ahead")
        {
            Description = "With one thread for the products, gather each next mini-batch on a helper thread meanwhile (the same data, so the same results); false turns it off",
            DefaultValueFactory = _ => true,
        };

    /// <summary>How the threads are used, for the header line: "1 thread + a loader thread".</summary>
    public static string DescribeThreads<T>(Sgd<T> sgd, int threads) where T : unmanaged, IFloatingPointIeee754<T> =>
        $"{Words.Count(threads, "thread")} for the products{(sgd.LoadAhead ? " + 1 loading the next mini-batch" : "")}";

    public static int ResolveThreads(int requested, IReadOnlyList<int> sizes, int batch)
    {
        if (requested is < 0 or > 64) throw new CliException($"--threads: must be 0 (choose) or 1 to 64, got {requested}", ExitCodes.InvalidArguments);
        return requested == 0 ? ComputeContext.ThreadsFor(sizes, batch) : requested;
    }

    /// <summary>FLOP per example as in the peers' RESULTS.md: forward w·a and the weight gradient δaᵀ for every layer, wᵀδ for every layer but the first.</summary>
    public static double FlopPerExample(IReadOnlyList<int> sizes)
    {
        double macs = 0;
        for (int l = 1; l < sizes.Count; l++)
            macs += (double)sizes[l - 1] * sizes[l] * (l >= 2 ? 3 : 2);
        return 2 * macs;
    }

    private static int Run<T>(Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s.Batch < 1) throw new CliException($"--batch: the mini-batch size must be at least 1, got {s.Batch}", ExitCodes.InvalidArguments);
        if (s.Epochs < 1) throw new CliException($"--epochs: must be at least 1, got {s.Epochs}", ExitCodes.InvalidArguments);
        s = s with { Threads = ResolveThreads(s.Threads, s.Layers, s.Batch) };
        if (!(s.Eta > 0) || !double.IsFinite(s.Eta)) throw new CliException($"--eta: the learning rate must be a positive number, got {s.Eta}", ExitCodes.InvalidArguments);
        if (!(s.PeakGflops > 0)) throw new CliException($"--peak-gflops: must be positive, got {s.PeakGflops}", ExitCodes.InvalidArguments);

        var (training, description, synthetic) = LoadTraining(s);
        CommonOptions.CheckShapeAgainstData(s.Layers, training, "--layers");
        var network = new Network<T>(s.Layers, Activation.Sigmoid, Initialization.StandardNormal, s.Seed);
        var sgd = new Sgd<T>(network, Cost.Quadratic, T.CreateChecked(s.Eta), s.Batch, s.Seed, s.Threads);
        sgd.LoadAhead &= s.LoadAhead;
        if (!s.Json)
        {
            Console.WriteLine($"Data: {description}");
            Console.WriteLine($"Network [{string.Join(", ", s.Layers)}], sigmoid, quadratic cost, {Words.Precision<T>()}, m = {s.Batch}, η = {s.Eta}, " +
                              $"{DescribeThreads(sgd, s.Threads)}, {Environment.ProcessorCount} cores");
        }

        var seconds = new double[s.Epochs];
        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            sgd.TrainEpoch(training);
            seconds[epoch] = clock.Elapsed.TotalSeconds;
            if (!s.Json) Console.WriteLine($"Epoch {epoch}: {seconds[epoch]:F3} s");
            else Console.Error.WriteLine($"Epoch {epoch}: {seconds[epoch]:F3} s");
        }
        var phases = s.Breakdown ? TimePhases(network, training, s) : null;

        double min = seconds.Min();
        double median = Median(seconds);
        double flopPerEpoch = FlopPerExample(s.Layers) * training.Count;
        double peak = s.PeakGflops * 1e9 * (typeof(T) == typeof(double) ? 0.5 : 1); // float64 vectors hold half as many lanes
        double limitSeconds = flopPerEpoch / peak;
        if (s.Json)
        {
            CommandRunner.WriteJson(new
            {
                command = "bench",
                data = new { description, synthetic, examples = training.Count },
                layers = s.Layers,
                batch = s.Batch,
                eta = s.Eta,
                threads = s.Threads,
                load_ahead = sgd.LoadAhead,
                precision = Words.Precision<T>(),
                epoch_seconds = seconds,
                min_seconds = min,
                median_seconds = median,
                examples_per_second = training.Count / min,
                gflop_per_epoch = flopPerEpoch / 1e9,
                gflops = flopPerEpoch / min / 1e9,
                limit_seconds = limitSeconds,
                times_limit = min / limitSeconds,
                phases_seconds = phases,
            });
        }
        else
        {
            Console.WriteLine($"Seconds per epoch: min {min:F3}, median {median:F3} over {Words.Count(s.Epochs, "epoch")} of {Words.Count(training.Count, "example")}");
            Console.WriteLine($"{training.Count / min:N0} examples/s, {flopPerEpoch / min / 1e9:F1} GFLOP/s ({flopPerEpoch / 1e9:F2} GFLOP per epoch)");
            Console.WriteLine($"Arithmetic limit {limitSeconds * 1e3:F1} ms per epoch at {peak / 1e9:F1} GFLOP/s: min is {min / limitSeconds:F1}× the limit");
            if (phases is not null)
            {
                double total = phases.Values.Sum();
                Console.WriteLine("Per phase, one more epoch with a clock read between phases (the batch gathered in line, without the loader):");
                foreach (var (phase, t) in phases)
                    Console.WriteLine($"  {phase,-22} {t:F3} s  {t / total,6:P1}");
            }
        }
        return ExitCodes.Success;
    }

    private static (Dataset Training, string Description, bool Synthetic) LoadTraining(Settings s)
    {
        if (s.Data is not null)
        {
            var data = CommonOptions.LocateData(s.Data, s.IdxLimits);
            return (data.Training, data.Description + ", training split", false);
        }
        if (Directory.Exists(DataSource.SystemDirectory))
        {
            try
            {
                var data = DataSource.Locate(null, s.IdxLimits);
                if (!data.IsBundledSample && data.Training.Count >= SyntheticCount)
                    return (data.Training, data.Description + ", training split", false);
            }
            catch (NablaException)
            {
                // Fall through to synthetic data: bench times arithmetic, not data.
            }
        }
        // Synthetic pixels and labels of the real shape; the bundled 10k sample would time a fifth of an epoch.
        int inputs = s.Layers[0], classes = s.Layers[^1];
        var random = new Random(s.Seed);
        var pixels = new float[SyntheticCount * inputs];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = random.Next(256) / 255f;
        var labels = new int[SyntheticCount];
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(classes);
        return (new Dataset(pixels, labels, inputs, classes),
            $"synthetic: {SyntheticCount:N0} random examples of {inputs} pixels (no full Fashion-MNIST in {DataSource.SystemDirectory}; install dataset-fashion-mnist or pass --data)", true);
    }

    /// <summary>One more epoch of the steps <see cref="Sgd{T}.Step"/> takes, with a clock read between the phases.</summary>
    private static Dictionary<string, double> TimePhases<T>(Network<T> network, Dataset training, Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var context = new ComputeContext(s.Threads);
        var batch = new MiniBatch<T>(network, s.Batch, context);
        var order = Enumerable.Range(0, training.Count).ToArray();
        new Random(s.Seed).Shuffle(order);
        T eta = T.CreateChecked(s.Eta);
        long load = 0, forward = 0, backward = 0, update = 0;
        for (int start = 0; start < training.Count; start += s.Batch)
        {
            int m = Math.Min(s.Batch, training.Count - start);
            long t0 = Stopwatch.GetTimestamp();
            batch.Load(training, order.AsSpan(start, m), next: order.AsSpan(start + m, Math.Min(s.Batch, training.Count - start - m)));
            long t1 = Stopwatch.GetTimestamp();
            batch.FeedForward();
            long t2 = Stopwatch.GetTimestamp();
            batch.BackpropagateError(Cost.Quadratic);
            long t3 = Stopwatch.GetTimestamp();
            batch.GradientDescentStep(eta);
            long t4 = Stopwatch.GetTimestamp();
            load += t1 - t0; forward += t2 - t1; backward += t3 - t2; update += t4 - t3;
        }
        double f = Stopwatch.Frequency;
        return new Dictionary<string, double>
        {
            ["load"] = load / f, ["feedforward"] = forward / f, ["backpropagate_error"] = backward / f, ["gradient_descent_step"] = update / f,
        };
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
