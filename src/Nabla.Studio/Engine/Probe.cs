using System.Diagnostics;
using System.Numerics.Tensors;
using Nabla.Data;
using Nabla.Diagnostics;

namespace Nabla.Studio.Engine;

/// <summary>
/// The chapter's per-example computations on the current network, each a call into the library on the run's latest
/// snapshot in float64: the five steps of backprop (<see cref="Network{T}.Forward"/>, <see cref="Network{T}.Backprop(ReadOnlySpan{T}, ReadOnlySpan{T}, Cost)"/>),
/// the demon (<see cref="Demon"/>), the gradient check (<see cref="GradientCheck"/>), the confusion matrix, Playground's
/// neuron maps, and the slowdown experiment (<see cref="LearningSlowdown"/>). The browser only draws what these return.
/// </summary>
public static class Probe
{
    /// <summary>The example's set: "test" (default), "training" or "validation"; Playground runs have "training" and "test".</summary>
    public static Dataset Set(StudioRun run, StudioData data, string? set) => SetName(set) switch
    {
        "test" => run.Toy?.Test ?? data.Mnist.Test,
        "training" or "train" => run.Training,
        "validation" when run.Toy is null => data.Mnist.Validation,
        var s => throw new NablaException($"set: '{s}' is not test, training{(run.Toy is null ? " or validation" : "")}"),
    };

    private static string SetName(string? set) => (set ?? "test").ToLowerInvariant();

    /// <summary>A weight matrix (or its gradient) as rows, j the neuron of layer l, k of layer l − 1: how the page reads w^l_jk.</summary>
    private static double[][] Rows(Matrix<double> w) => Enumerable.Range(0, w.Rows).Select(j => w.Row(j).ToArray()).ToArray();

    /// <summary>Input x and target y of example <paramref name="index"/>: y is the one-hot vector of its class (the chapter's y(x)).</summary>
    public static (double[] X, double[] Y, int Label) Example(Dataset set, int index)
    {
        if (index < 0 || index >= set.Count) throw new NablaException($"example: {index} does not exist; the set has examples 0 to {set.Count - 1}");
        var x = new double[set.InputSize];
        TensorPrimitives.ConvertChecked<float, double>(set.Input(index), x);
        int label = set.Labels![index];
        var y = new double[set.ClassCount];
        y[label] = 1;
        return (x, y, label);
    }

    /// <summary>GET /api/examples/{i}: the input (pixels in [0, 1]), its class, and the current network's output for it.</summary>
    public static object DescribeExample(StudioRun run, StudioData data, string? setName, int index)
    {
        var set = Set(run, data, setName);
        var (x, _, label) = Example(set, index);
        var network = run.Snapshot.Network;
        var output = network.Forward(x).Output.ToArray();
        int predicted = network.Predict(x);
        return new
        {
            index, set = SetName(setName), count = set.Count, label, class_name = ClassName(run, data, label),
            input = x, width = run.Toy is null ? data.ImageSide : 0, output, predicted,
            predicted_name = ClassName(run, data, predicted),
        };
    }

    public static string ClassName(StudioRun run, StudioData data, int label) =>
        run.Toy is not null ? (label == 1 ? "class 1 (blue)" : "class 0 (orange)") : label < data.ClassNames.Length ? data.ClassNames[label] : label.ToString();

    /// <summary>
    /// POST /api/backprop: the five steps for one example, every number from the library. z^l and a^l from
    /// <see cref="Network{T}.Forward"/>; δ^l, ∂C/∂b^l and ∂C/∂w^l from <see cref="Network{T}.Backprop(ReadOnlySpan{T}, ReadOnlySpan{T}, Cost)"/>
    /// (δ^l is ∂C/∂b^l by BP3); the factors shown beside BP1 and BP2 from the cost's ∇_a C and the activations' σ'.
    /// </summary>
    public static object Backprop(StudioRun run, StudioData data, string? setName, int index)
    {
        var set = Set(run, data, setName);
        var (x, y, label) = Example(set, index);
        var snapshot = run.Snapshot;
        var network = snapshot.Network;
        var cost = run.Cost;
        int L = network.L;
        var pass = network.Forward(x);                       // 1. input and 2. feedforward (Eq. 25)
        var gradient = network.Backprop(x, y, cost);         // 3.–5. BP1, BP2, BP3, BP4
        var costGradient = new double[network.Sizes[L]];
        cost.Gradient<double>(pass.Output, y, costGradient); // ∇_a C, the first factor of BP1
        var layers = new List<object>();
        for (int l = 1; l <= L; l++)
        {
            var sigmaPrime = new double[network.Sizes[l]];
            network.Activations[l].Derivative<double>(pass.WeightedInput(l), pass.Activation(l), sigmaPrime);
            double[]? weightedError = null;
            if (l < L)
            {
                // The first factor of BP2, (w^(l+1))ᵀ δ^(l+1), shown beside σ'(z^l); δ^l itself is backprop's.
                weightedError = new double[network.Sizes[l]];
                var w = network.Weights[l + 1];
                for (int j = 0; j < w.Rows; j++)
                    TensorPrimitives.MultiplyAdd<double>(w.Row(j), gradient.Biases[l + 1][j], weightedError, weightedError);
            }
            layers.Add(new
            {
                layer = l, activation = network.Activations[l].Name, size = network.Sizes[l],
                z = pass.WeightedInput(l).ToArray(), a = pass.Activation(l).ToArray(), sigma_prime = sigmaPrime,
                weighted_error = weightedError, delta = gradient.Biases[l].ToArray(), dc_db = gradient.Biases[l].ToArray(),
                dc_dw = Rows(gradient.Weights[l]),
            });
        }
        var outputActivation = network.Activations[L];
        int predicted = network.Predict(x);
        string? bp1Note = (cost, outputActivation) switch
        {
            (CrossEntropyCost, SigmoidActivation) => "With cross-entropy and sigmoid outputs, σ'(z^L) cancels: the engine computes δ^L = a^L − y directly (chapter 3).",
            (_, SoftmaxActivation) => "Softmax is not elementwise: δ^L is its Jacobian times ∇_a C (σ' above is the Jacobian's diagonal); with log-likelihood it is a^L − y.",
            _ => null,
        };
        return new
        {
            set = SetName(setName), example = index, label, class_name = ClassName(run, data, label),
            snapshot = snapshot.Version, epoch = snapshot.Epoch, position = snapshot.Position, sizes = network.Sizes, cost = cost.Name,
            x, y, cost_value = FiniteDifferences.ExampleCost(network, x, y, cost), output = pass.Output.ToArray(), predicted,
            predicted_name = ClassName(run, data, predicted),
            cost_gradient = costGradient, bp1_note = bp1Note, layers,
        };
    }

    /// <summary>GET /api/network: the snapshot's weights and biases (a layer's weights only up to <paramref name="maxWeights"/> entries).</summary>
    public static object Parameters(StudioRun run, int maxWeights)
    {
        var snapshot = run.Snapshot;
        var network = snapshot.Network;
        return new
        {
            snapshot = snapshot.Version, epoch = snapshot.Epoch, position = snapshot.Position, sizes = network.Sizes,
            activations = network.Activations.Select(a => a.Name),
            layers = Enumerable.Range(1, network.L).Select(l => new
            {
                layer = l,
                weights = network.Weights[l].Data.Length <= maxWeights ? Rows(network.Weights[l]) : null,
                biases = network.Biases[l],
            }),
        };
    }

    /// <summary>POST /api/demon: Eq. 29, <see cref="Demon.Experiment"/> for neuron j of layer l at the given Δz.</summary>
    public static object DemonExperiment(StudioRun run, StudioData data, string? setName, int index, int layer, int neuron, IReadOnlyList<double> nudges)
    {
        var set = Set(run, data, setName);
        var (x, y, _) = Example(set, index);
        var snapshot = run.Snapshot;
        var r = Demon.Experiment(snapshot.Network, x, y, run.Cost, layer, neuron, nudges);
        return new
        {
            example = index, layer = r.Layer, neuron = r.Neuron, delta = r.Delta, cost = r.Cost, snapshot = snapshot.Version,
            points = r.Points.Select(p => new Dictionary<string, double> { ["dz"] = p.Dz, ["measured_dC"] = p.MeasuredDC, ["predicted_dC"] = p.PredictedDC, ["error"] = p.Error }),
        };
    }

    /// <summary>POST /api/gradcheck: backprop's gradient for one example against finite differences (Eq. 46), with the forward passes each needs.</summary>
    public static object GradientCheckExample(StudioRun run, StudioData data, string? setName, int index, StudioLimits limits)
    {
        var set = Set(run, data, setName);
        var (x, y, _) = Example(set, index);
        var network = run.Snapshot.Network.Clone(); // finite differences nudge parameters: never in a shared snapshot
        int parameters = network.ParameterCount;
        var options = new GradientCheckOptions { Sample = parameters > limits.MaxGradientCheckParameters ? limits.MaxGradientCheckParameters : null };
        var clock = Stopwatch.StartNew();
        var backprop = network.Backprop(x, y, run.Cost);
        double backpropSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var r = GradientCheck.Run(network, x, y, run.Cost, backprop, options);
        double checkSeconds = clock.Elapsed.TotalSeconds;
        return new
        {
            example = index, parameters, parameters_checked = r.ParametersChecked, sampled = r.ParametersChecked < parameters,
            max_relative_error = r.MaxRelativeErrorCentral, max_relative_error_forward = r.MaxRelativeErrorForward, passed = r.Passed,
            worst = r.Worst is null ? null : new { parameter = r.Worst.Parameter, backprop = r.Worst.Backprop, central = r.Worst.Central, forward = r.Worst.Forward, relative_error = r.Worst.RelativeErrorCentral },
            layers = r.Layers.Select(l => new { layer = l.Layer, parameters_checked = l.ParametersChecked, max_relative_error = l.MaxRelativeErrorCentral, max_relative_error_forward = l.MaxRelativeErrorForward }),
            // For the whole gradient: backprop needs one forward and one backward pass; Eq. 46 one forward pass per parameter (plus one), central differences two.
            forward_passes_backprop = 1, backward_passes_backprop = 1,
            forward_passes_finite_difference = FiniteDifferences.ForwardPasses(DifferenceScheme.Forward, parameters),
            forward_passes_central_difference = FiniteDifferences.ForwardPasses(DifferenceScheme.Central, parameters),
            forward_passes_this_check = FiniteDifferences.ForwardPasses(DifferenceScheme.Central, r.ParametersChecked) + FiniteDifferences.ForwardPasses(DifferenceScheme.Forward, r.ParametersChecked),
            backprop_seconds = backpropSeconds, check_seconds = checkSeconds,
            central_tolerance = r.Options.CentralTolerance, forward_tolerance = r.Options.ForwardTolerance,
        };
    }

    /// <summary>POST /api/results: the confusion matrix on the run's evaluation data, and misclassified examples with their outputs.</summary>
    public static object Results(StudioRun run, StudioData data, int maxMistakes)
    {
        var snapshot = run.Snapshot;
        var network = snapshot.Network;
        var set = run.Evaluation;
        int classes = network.Sizes[network.L];
        var confusion = new ConfusionMatrix(classes);
        var mistakes = new List<object>();
        var batch = new MiniBatch<double>(network, Math.Max(1, Math.Min(500, set.Count)));
        var indices = new int[batch.Capacity];
        for (int start = 0; start < set.Count; start += batch.Capacity)
        {
            int m = Math.Min(batch.Capacity, set.Count - start);
            for (int i = 0; i < m; i++) indices[i] = start + i;
            batch.Load(set, indices.AsSpan(0, m));
            batch.FeedForward(); // Eq. 25 over the batch, examples as rows
            var outputs = batch.Activation(network.L);
            for (int i = 0; i < m; i++)
            {
                var output = outputs.Slice(i * classes, classes);
                int predicted = TensorPrimitives.IndexOfMax<double>(output), label = set.Labels![start + i];
                confusion.Add(label, predicted);
                if (predicted != label && mistakes.Count < maxMistakes)
                    mistakes.Add(new { index = start + i, label, predicted, label_name = ClassName(run, data, label), predicted_name = ClassName(run, data, predicted), output = output.ToArray() });
            }
        }
        return new
        {
            evaluated_on = run.EvaluationName, total = set.Count, correct = confusion.Correct, snapshot = snapshot.Version, epoch = snapshot.Epoch,
            class_names = Enumerable.Range(0, classes).Select(c => ClassName(run, data, c)),
            confusion = Enumerable.Range(0, classes).Select(t => Enumerable.Range(0, classes).Select(p => confusion[t, p]).ToArray()).ToArray(),
            misclassified = mistakes,
        };
    }

    /// <summary>
    /// POST /api/playground/map: every neuron's output over a grid of the plane (Playground's small heat maps) and the
    /// decision a^L_1 − a^L_0, from <see cref="Network{T}.Forward"/> at each grid point, with the data points.
    /// </summary>
    public static object PlaygroundMap(StudioRun run, int resolution)
    {
        var toy = run.Toy ?? throw new RunConflictException("the current run is not a Playground run (data: circle, xor, gauss or spiral)");
        var snapshot = run.Snapshot;
        var network = snapshot.Network;
        int L = network.L, cells = resolution * resolution;
        var maps = new float[L + 1][][];
        for (int l = 0; l <= L; l++) maps[l] = Enumerable.Range(0, network.Sizes[l]).Select(_ => new float[cells]).ToArray();
        var decision = new float[cells];
        var x = new double[toy.Features.Length];
        for (int row = 0; row < resolution; row++)
            for (int column = 0; column < resolution; column++)
            {
                // Cell centres, x1 left to right, x2 bottom to top.
                double x1 = -ToyData.Extent + (column + 0.5) * 2 * ToyData.Extent / resolution;
                double x2 = ToyData.Extent - (row + 0.5) * 2 * ToyData.Extent / resolution;
                toy.FeaturesOf(x1, x2, x);
                var pass = network.Forward(x);
                int cell = row * resolution + column;
                for (int l = 0; l <= L; l++)
                {
                    var a = pass.Activation(l);
                    for (int j = 0; j < a.Length; j++) maps[l][j][cell] = (float)a[j];
                }
                decision[cell] = (float)(pass.Output[1] - pass.Output[0]);
            }
        return new
        {
            snapshot = snapshot.Version, epoch = snapshot.Epoch, resolution, extent = ToyData.Extent, features = toy.Features, sizes = network.Sizes,
            activations = network.Activations.Select(a => a.Name), maps, decision,
            weights = Enumerable.Range(1, L).Select(l => Rows(network.Weights[l])),
            biases = Enumerable.Range(1, L).Select(l => network.Biases[l]),
            points = toy.Points.Select((p, i) => new { x1 = p.X1, x2 = p.X2, label = p.Label, training = i < toy.TrainCount }),
        };
    }

    /// <summary>
    /// POST /api/slowdown: `nabla explain slowdown` — sigmoid with the quadratic cost against cross-entropy from the same
    /// saturated N(0, 1) start, each layer's ‖∂C/∂w‖ and share of saturated neurons tracked by <see cref="LearningSlowdown.Track"/>.
    /// </summary>
    public static object Slowdown(StudioData data, int[] sizes, int epochs, int trainSize, double eta, int seed, StudioLimits limits)
    {
        if (epochs < 1 || epochs > limits.MaxSlowdownEpochs) throw new NablaException($"epochs: 1 to {limits.MaxSlowdownEpochs}, got {epochs}");
        if (trainSize < 100 || trainSize > limits.MaxSlowdownExamples) throw new NablaException($"train-size: 100 to {limits.MaxSlowdownExamples:N0}, got {trainSize}");
        if (!(eta > 0) || !double.IsFinite(eta)) throw new NablaException($"eta: must be a positive number, got {eta}");
        if (sizes.Length < 2 || sizes.Length > 4 || sizes[1..^1].Any(s => s < 1 || s > 200))
            throw new NablaException("layers: 2 to 4 layers, hidden ones of 1 to 200 neurons (inputs and outputs fixed by the data), e.g. [784,30,10]");
        var mnist = data.Mnist;
        if (sizes[0] != mnist.Training.InputSize || sizes[^1] != mnist.Training.ClassCount)
            throw new NablaException($"layers: start with {mnist.Training.InputSize} and end with {mnist.Training.ClassCount}");
        var training = trainSize < mnist.Training.Count ? mnist.Training.Slice(0, trainSize) : mnist.Training;
        var sample = Saturation.Sample(training, 1000, seed);
        var series = new List<object>();
        foreach (var cost in new[] { Cost.Quadratic, Cost.CrossEntropy })
        {
            var network = new Network<float>(sizes, Activation.Sigmoid, Initialization.StandardNormal, seed);
            using var sgd = new Sgd<float>(network, cost, (float)eta, 10, seed);
            var snapshots = LearningSlowdown.Track(sgd, training, epochs, sample);
            var e = sgd.Evaluate(mnist.Test);
            series.Add(new
            {
                configuration = $"sigmoid + {cost.Name}", cost = cost.Name, test_accuracy = e.Accuracy,
                snapshots = snapshots.Select(q => new
                {
                    epoch = q.Epoch,
                    weight_gradient_norms = q.Report.Layers.Select(l => l.WeightGradientNorm),
                    saturated_fractions = q.Report.Layers.Select(l => l.SaturatedFraction),
                }),
            });
        }
        return new { layers = sizes, epochs, train_size = training.Count, eta, seed, sample = sample.Length, series };
    }
}
