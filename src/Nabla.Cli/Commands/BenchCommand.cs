using System.CommandLine;
using System.Diagnostics;
using System.Numerics;
using Nabla.Kernels;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla bench`: how fast training epochs run (evaluation excluded), for any recipe `train` knows, as a share of this machine's
/// arithmetic peak, measured in the same run (`--peak` measures only that). Uses the 50,000 real training examples when
/// installed, else synthetic data of the same shape.
/// </summary>
internal static class BenchCommand
{
    private const int SyntheticCount = 50_000;

    private sealed record Settings(int[] Layers, Activation[] Activations, Cost Cost, Initialization Init, string Optimizer, double Momentum,
        Regularization Regularization, double Dropout, int Batch, int Epochs, int Threads, double Eta, int Seed, string? Data,
        string Precision, bool PeakOnly, bool Breakdown, bool Json, bool LoadAhead)
    {
        public IdxLimits? IdxLimits { get; init; }
        /// <summary>--expand: time training on expanded images (train's default sizes), to see what the expansion adds.</summary>
        public bool Expand { get; init; }
        public double ExpandRotation { get; init; }
        public bool Distributed { get; init; }
    }


    public static Command Create()
    {
        var layers = CommonOptions.Layers();
        var activation = CommonOptions.Activation();
        var cost = CommonOptions.Cost();
        var init = CommonOptions.Init();
        var optimizer = CommonOptions.Optimizer();
        var momentum = CommonOptions.Momentum();
        var lambda = CommonOptions.Lambda();
        var regularization = CommonOptions.RegularizationKind();
        var dropout = CommonOptions.Dropout();
        var batch = new Option<int>("--batch") { Description = "Mini-batch size m", DefaultValueFactory = _ => 10 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs to time", DefaultValueFactory = _ => 3 };
        var threads = ThreadsOption();
        var loadAhead = LoadAheadOption();
        var eta = new Option<double>("--eta") { Description = "Learning rate η", DefaultValueFactory = _ => 3.0 };
        var seed = CommonOptions.Seed();
        var data = CommonOptions.Data();
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var precision = new Option<string>("--precision") { Description = "float32 or float64", DefaultValueFactory = _ => "float32" };
        var peak = new Option<bool>("--peak") { Description = "Only measure this machine's arithmetic peak (fused multiply-adds in registers, one core and all cores, best of 10 runs) and print it" };
        var expand = new Option<bool>("--expand") { Description = $"Expand the training images as `train --expand` does (shifts up to {TrainCommand.DefaultExpandShift} pixel), to time what that adds (the load phase of --breakdown)" };
        var expandRotation = new Option<double>("--expand-rotation") { Description = "With --expand: rotations up to this many degrees too (nearest pixel)" };
        var distributed = DistributedSession.Option();
        var breakdown = new Option<bool>("--breakdown") { Description = "Also time each phase of a step (load, feedforward, backpropagate, gradient, update) in one more epoch, each against the peak" };

        var command = new Command("bench", "Time training epochs of any recipe and compare them with this machine's measured arithmetic peak")
        {
            layers, activation, cost, init, optimizer, momentum, lambda, regularization, dropout, batch, epochs, threads, loadAhead, eta, seed, data,
            maxIdxSize, precision, peak, breakdown, expand, expandRotation, distributed, TableBench.Read,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(TableBench.Read) is string table) return TableBench.Run(table, parse.GetValue(epochs), parse.GetValue(CommandRunner.Json));
            var sizes = CommonOptions.ParseLayers(parse.GetValue(layers)!);
            var s = new Settings(sizes, CommonOptions.ParseActivations(parse.GetValue(activation)!, sizes.Length - 1), CommonOptions.ParseCost(parse.GetValue(cost)!),
                CommonOptions.ParseInit(parse.GetValue(init)!), parse.GetValue(optimizer)!, parse.GetValue(momentum),
                CommonOptions.ParseRegularization(parse.GetValue(regularization)!, parse.GetValue(lambda)), parse.GetValue(dropout),
                parse.GetValue(batch), parse.GetValue(epochs), parse.GetValue(threads), parse.GetValue(eta), parse.GetValue(seed), parse.GetValue(data),
                parse.GetValue(precision)!, parse.GetValue(peak), parse.GetValue(breakdown), parse.GetValue(CommandRunner.Json), parse.GetValue(loadAhead))
                { IdxLimits = parse.GetValue(maxIdxSize), Expand = parse.GetValue(expand), ExpandRotation = parse.GetValue(expandRotation), Distributed = DistributedSession.Wanted(parse, distributed) };
            bool float32 = CommonOptions.ParsePrecision(s.Precision) == "float32";
            return s.PeakOnly ? (float32 ? RunPeak<float>(s) : RunPeak<double>(s)) : (float32 ? Run<float>(s) : Run<double>(s));
        });
        return command;
    }

    /// <summary>--threads, shared with `train`: 0 (the default) lets <see cref="ComputeContext.ThreadsFor"/> choose by the size of a step.</summary>
    public static Option<int> ThreadsOption() =>
        new("--threads")
        {
            Description = "Threads for the matrix products; 0 chooses: all cores (under mpirun, this process's share of its node's) when a step has ≥ 0.5 M multiply-adds (e.g. [784,100,10] at m = 10), else 1. " +
                          "Any thread count gives the same weights",
            DefaultValueFactory = _ => 0,
        };

    /// <summary>--load-ahead, shared with `train`.</summary>
    public static Option<bool> LoadAheadOption() =>
        new("--load-ahead")
        {
            Description = "With one thread for the products, gather each next mini-batch on a helper thread meanwhile (the same data, so the same results). " +
                          "Off by default: on a 2-core machine the batch crossing between cores cost more than the gather it saved",
            DefaultValueFactory = _ => false,
        };

    /// <summary>How the threads are used, for the header line: "1 thread + a loader thread".</summary>
    public static string DescribeThreads<T>(Sgd<T> sgd, int threads) where T : unmanaged, IFloatingPointIeee754<T> =>
        $"{Words.Count(threads, "thread")} for the products{(sgd.LoadAhead ? " + 1 loading the next mini-batch" : "")}";

    /// <summary>The width of the vectors the products run on: the widest this processor accelerates.</summary>
    private static int KernelVectorBits => Gemm.VectorBits<float>();

    /// <summary>The thread count to use: <paramref name="requested"/>, or the choice for this network and batch when it is 0.</summary>
    public static int ResolveThreads(int requested, IReadOnlyList<int> sizes, int batch)
    {
        if (requested is < 0 or > 64) throw new CliException($"--threads: must be 0 (choose) or 1 to 64, got {requested}", ExitCodes.InvalidArguments);
        // Several processes of an MPI job on one node share its cores: the choice is each one's part of them.
        return requested == 0 ? Math.Min(ComputeContext.ThreadsFor(sizes, batch), DistributedSession.CoresPerProcess) : requested;
    }

    /// <summary>Multiply-adds per example of the three products: forward w·a and the weight gradient δaᵀ for every layer, wᵀδ (BP2) for every layer but the first.</summary>
    private static (double Forward, double Backward, double Gradient) MultiplyAddsPerExample(IReadOnlyList<int> sizes)
    {
        double forward = 0, backward = 0;
        for (int l = 1; l < sizes.Count; l++)
        {
            forward += (double)sizes[l - 1] * sizes[l];
            if (l >= 2) backward += (double)sizes[l - 1] * sizes[l];
        }
        return (forward, backward, forward);
    }

    /// <summary>FLOP per example as in the peers' RESULTS.md: 2 per multiply-add of the three products.</summary>
    public static double FlopPerExample(IReadOnlyList<int> sizes)
    {
        var (forward, backward, gradient) = MultiplyAddsPerExample(sizes);
        return 2 * (forward + backward + gradient);
    }

    /// <summary>The peak on one core and on all of them, for <typeparamref name="T"/>.</summary>
    private static (ArithmeticPeakResult OneCore, ArithmeticPeakResult AllCores) MeasurePeak<T>(int runs, double runSeconds) where T : unmanaged, IFloatingPointIeee754<T> =>
        (ArithmeticPeak.Measure<T>(1, runs, runSeconds), ArithmeticPeak.Measure<T>(Environment.ProcessorCount, runs, runSeconds));

    private static string DescribePeak<T>((ArithmeticPeakResult OneCore, ArithmeticPeakResult AllCores) peak) =>
        $"{(typeof(T) == typeof(float) ? "float32" : "float64")} fused multiply-adds in registers, {peak.AllCores.VectorBits}-bit vectors, best of {peak.AllCores.Runs} runs of " +
        $"{peak.AllCores.RunSeconds:0.##} s: 1 core {peak.OneCore.Gflops:F1} GFLOP/s, {peak.AllCores.Threads} cores {peak.AllCores.Gflops:F1} GFLOP/s";

    private static object PeakJson((ArithmeticPeakResult OneCore, ArithmeticPeakResult AllCores) peak) => new
    {
        one_core_gflops = peak.OneCore.Gflops,
        all_cores_gflops = peak.AllCores.Gflops,
        cores = peak.AllCores.Threads,
        vector_bits = peak.AllCores.VectorBits,
        runs = peak.AllCores.Runs,
        run_seconds = peak.AllCores.RunSeconds,
    };

    private static int RunPeak<T>(Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var peak = MeasurePeak<T>(runs: 10, runSeconds: 0.2);
        if (s.Json) CommandRunner.WriteJson(new { command = "bench", precision = typeof(T) == typeof(float) ? "float32" : "float64", peak = PeakJson(peak) });
        else Console.WriteLine($"Measured peak: {DescribePeak<T>(peak)}");
        return ExitCodes.Success;
    }

    private static int Run<T>(Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s.Batch < 1) throw new CliException($"--batch: the mini-batch size must be at least 1, got {s.Batch}", ExitCodes.InvalidArguments);
        if (s.Epochs < 1) throw new CliException($"--epochs: must be at least 1, got {s.Epochs}", ExitCodes.InvalidArguments);
        s = s with { Threads = ResolveThreads(s.Threads, s.Layers, s.Batch) };
        if (!(s.Eta > 0) || !double.IsFinite(s.Eta)) throw new CliException($"--eta: the learning rate must be a positive number, got {s.Eta}", ExitCodes.InvalidArguments);
        if (!(s.Dropout >= 0 && s.Dropout < 1)) throw new CliException($"--dropout: p must be in [0, 1), got {s.Dropout}", ExitCodes.InvalidArguments);
        CommonOptions.CheckCostFitsOutput(s.Cost, s.Activations[^1]);
        var session = DistributedSession.Start(s.Distributed); // finalised by CommandRunner when the command returns

        var (training, description, synthetic) = LoadTraining(s);
        CommonOptions.CheckShapeAgainstData(s.Layers, training, "--layers");
        var network = new Network<T>(s.Layers, s.Activations, s.Init, s.Seed);
        Sgd<T> sgd;
        try
        {
            sgd = new Sgd<T>(network, s.Cost, T.CreateChecked(s.Eta), s.Batch, s.Seed, s.Threads)
            {
                Optimizer = CommonOptions.MakeOptimizer<T>(s.Optimizer, s.Layers, s.Momentum),
                Regularization = s.Regularization,
                DropoutProbability = s.Dropout,
            };
            if (s.Expand)
                sgd.Expansion = new ImageExpansion(training.ImageShape ?? throw new CliException("--expand: the training data has no image shape (synthetic data, or a table); pass --data with MNIST-format images",
                    ExitCodes.InvalidArguments), TrainCommand.DefaultExpandShift, s.ExpandRotation);
        }
        catch (NablaException e) when (e is not InvalidFileException)
        {
            throw new CliException(e.Message, ExitCodes.InvalidArguments);
        }
        using var _ = sgd;
        sgd.LoadAhead = s.LoadAhead && s.Threads == 1;
        string recipe = $"[{string.Join(", ", s.Layers)}], {string.Join("/", s.Activations.Select(a => a.Name))}, {s.Cost.Name} cost, {Words.Init(s.Init)} init, " +
                        $"{sgd.Optimizer.Name} η = {s.Eta}, regularisation {Words.Regularization(s.Regularization)}, dropout {s.Dropout}, {Words.Precision<T>()}, m = {s.Batch}" +
                        (sgd.Expansion is { } x ? $", expanded ({x})" : "");
        if (session is not null)
        {
            // The processes share the machine's cores: no peak is measured, and each times its share of the job.
            sgd.Communicator = session.Mpi;
            return DistributedBench.Run(sgd, training, description, recipe, s.Epochs, s.Threads, s.Json, session);
        }
        var peak = MeasurePeak<T>(runs: 5, runSeconds: 0.05);
        if (!s.Json)
        {
            Console.WriteLine($"Data: {description}");
            Console.WriteLine($"Network {recipe}, {DescribeThreads(sgd, s.Threads)}, {Environment.ProcessorCount} cores, kernels on {KernelVectorBits}-bit vectors");
            Console.WriteLine($"Measured peak: {DescribePeak<T>(peak)}");
        }

        var seconds = TimeEpochs(sgd, training, s.Epochs, s.Json);
        // A phase's share is of the peak of the cores the products use: one core's for one thread.
        var phases = s.Breakdown ? TimePhases(sgd, training, s.Layers, (s.Threads == 1 ? peak.OneCore : peak.AllCores).Gflops) : null;

        double min = seconds.Min();
        double median = Median(seconds);
        double flopPerEpoch = FlopPerExample(s.Layers) * training.Count;
        double limitSeconds = flopPerEpoch / (peak.AllCores.Gflops * 1e9);
        double gflops = flopPerEpoch / min / 1e9;
        if (s.Json)
        {
            CommandRunner.WriteJson(new
            {
                command = "bench",
                data = new { description, synthetic, examples = training.Count },
                layers = s.Layers,
                activations = s.Activations.Select(a => a.Name),
                cost = s.Cost.Name,
                optimizer = sgd.Optimizer.Name,
                regularization = s.Regularization.ToString(),
                dropout = s.Dropout,
                batch = s.Batch,
                eta = s.Eta,
                threads = s.Threads,
                load_ahead = sgd.LoadAhead,
                kernel_vector_bits = KernelVectorBits,
                precision = Words.Precision<T>(),
                epoch_seconds = seconds,
                min_seconds = min,
                median_seconds = median,
                examples_per_second = training.Count / min,
                gflop_per_epoch = flopPerEpoch / 1e9,
                gflops,
                peak = PeakJson(peak),
                share_of_peak = gflops / peak.AllCores.Gflops,
                share_of_one_core_peak = gflops / peak.OneCore.Gflops,
                limit_seconds = limitSeconds,
                times_limit = min / limitSeconds,
                phases,
            });
        }
        else
        {
            Console.WriteLine($"Seconds per epoch: min {min:F3}, median {median:F3} over {Words.Count(s.Epochs, "epoch")} of {Words.Count(training.Count, "example")}");
            Console.WriteLine($"{training.Count / min:N0} examples/s, {gflops:F1} GFLOP/s ({flopPerEpoch / 1e9:F2} GFLOP per epoch): " +
                              $"{gflops / peak.AllCores.Gflops:P1} of the measured peak of {peak.AllCores.Threads} cores ({gflops / peak.OneCore.Gflops:P1} of one core's)");
            Console.WriteLine($"At the peak, the products of an epoch would take {limitSeconds * 1e3:F1} ms: min is {min / limitSeconds:F2}× that");
            if (phases is not null)
            {
                Console.WriteLine($"Per phase, one more epoch with a clock read between the phases of every step ({phases.Steps:N0} steps; " +
                                  $"shares of the peak of {(s.Threads == 1 ? "one core" : $"{peak.AllCores.Threads} cores")}):");
                Console.WriteLine($"  {"phase",-22} {"s/epoch",8} {"share",7} {"GFLOP/s",8} {"of peak",8}");
                foreach (var p in phases.Rows)
                    Console.WriteLine($"  {p.Phase,-22} {p.Seconds,8:F3} {p.Share,7:P1} {(p.Gflops is double g ? g.ToString("F1") : "—"),8} {(p.ShareOfPeak is double sp ? sp.ToString("P1") : "—"),8}");
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

    private sealed record PhaseRow(string Phase, double Seconds, double Share, double? Gflops, double? ShareOfPeak);
    private sealed record Phases(int Steps, IReadOnlyList<PhaseRow> Rows);

    /// <summary>One more epoch of the same training with <see cref="Sgd{T}.Timing"/> on: each phase's time, and for the products their GFLOP/s against the peak.</summary>
    private static Phases TimePhases<T>(Sgd<T> sgd, Dataset training, IReadOnlyList<int> sizes, double peakGflops) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var timing = TimedEpoch(sgd, training);
        var (forward, backward, gradient) = MultiplyAddsPerExample(sizes);
        bool fused = sgd.Optimizer is SgdOptimizer<T>;
        double total = timing.TotalSeconds;
        PhaseRow Row(string name, StepPhase phase, double multiplyAdds)
        {
            double t = timing.Seconds(phase);
            double? gflops = multiplyAdds > 0 && t > 0 ? 2 * multiplyAdds * training.Count / t / 1e9 : null;
            return new PhaseRow(name, t, t / total, gflops, gflops / peakGflops);
        }
        var rows = new List<PhaseRow>
        {
            Row("load", StepPhase.Load, 0),
            Row("feedforward", StepPhase.FeedForward, forward),
            Row("backpropagate_error", StepPhase.BackpropagateError, backward),
        };
        if (fused) rows.Add(Row("update (BP3/BP4 fused)", StepPhase.Update, gradient));
        else
        {
            rows.Add(Row("gradient (BP3/BP4)", StepPhase.Gradient, gradient));
            rows.Add(Row($"update ({sgd.Optimizer.Name})", StepPhase.Update, 0));
        }
        return new Phases(timing.Steps, rows);
    }

    /// <summary>The seconds of each of <paramref name="epochs"/> epochs of training, each printed as it ends (on stderr under --json).</summary>
    internal static double[] TimeEpochs<T>(Sgd<T> sgd, Dataset training, int epochs, bool json) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var seconds = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            sgd.TrainEpoch(training);
            seconds[epoch] = clock.Elapsed.TotalSeconds;
            (json ? Console.Error : Console.Out).WriteLine($"Epoch {epoch}: {seconds[epoch]:F3} s");
        }
        return seconds;
    }

    /// <summary>One more epoch with a clock read between the phases of every step: its time per phase.</summary>
    internal static StepTiming TimedEpoch<T>(Sgd<T> sgd, Dataset training) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var timing = new StepTiming();
        sgd.Timing = timing;
        sgd.TrainEpoch(training);
        sgd.Timing = null;
        return timing;
    }

    internal static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
