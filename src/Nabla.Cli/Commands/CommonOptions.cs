using System.CommandLine;
using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>Options several commands share, and the checks that turn their text into values.</summary>
internal static class CommonOptions
{
    public static Option<string?> Data() => new("--data") { Description = "Folder with the four MNIST-format IDX files (raw or .gz). Default: /usr/share/datasets/fashion-mnist, else the sample bundled with Nabla" };

    public static Option<string> Layers(string defaultValue = "784,30,10") =>
        new("--layers") { Description = "Neurons per layer, input first, e.g. 784,30,10", DefaultValueFactory = _ => defaultValue };

    public static Option<string> Activation() =>
        new("--activation") { Description = $"σ for every layer, or one per layer separated by commas ({string.Join(", ", Nabla.Activation.KnownNames)})", DefaultValueFactory = _ => "sigmoid" };

    public static Option<string> Cost() =>
        new("--cost") { Description = "quadratic (Eq. 26), cross-entropy, or log-likelihood (with softmax outputs)", DefaultValueFactory = _ => "quadratic" };

    public static Option<int> Seed() => new("--seed") { Description = "Seed of every random choice (initial weights, shuffling): the same seed gives the same run", DefaultValueFactory = _ => 1 };

    public static Option<string> Init() =>
        new("--init") { Description = "standard-normal: N(0,1) as in the book; scaled-normal: weights N(0,1/n_in)", DefaultValueFactory = _ => "standard-normal" };

    public static Option<double> Lambda() =>
        new("--lambda") { Description = "Regularisation parameter λ (0: none); n is the training set size", DefaultValueFactory = _ => 0.0 };

    public static Option<string> RegularizationKind() =>
        new("--regularization") { Description = "l2 (weight decay) or l1", DefaultValueFactory = _ => "l2" };

    public static Option<double> Dropout() =>
        new("--dropout") { Description = "Probability p of dropping a hidden neuron during training (inverted dropout; 0: none)", DefaultValueFactory = _ => 0.0 };

    public static Option<string> Optimizer() =>
        new("--optimizer") { Description = "sgd (the chapter's rule), momentum or adam", DefaultValueFactory = _ => "sgd" };

    public static Option<double> Momentum() =>
        new("--momentum") { Description = "Momentum coefficient μ for --optimizer momentum", DefaultValueFactory = _ => 0.9 };

    public static Initialization ParseInit(string text) => text.ToLowerInvariant() switch
    {
        "standard-normal" or "standard" or "normal" => Initialization.StandardNormal,
        "scaled-normal" or "scaled" => Initialization.ScaledNormal,
        _ => throw new CliException($"--init: '{text}' is not standard-normal or scaled-normal", ExitCodes.InvalidArguments),
    };

    public static Regularization ParseRegularization(string kind, double lambda)
    {
        if (!(lambda >= 0) || !double.IsFinite(lambda)) throw new CliException($"--lambda: must be 0 or more, got {lambda}", ExitCodes.InvalidArguments);
        return kind.ToLowerInvariant() switch
        {
            _ when lambda == 0 => Nabla.Regularization.None,
            "l2" => Nabla.Regularization.L2(lambda),
            "l1" => Nabla.Regularization.L1(lambda),
            _ => throw new CliException($"--regularization: '{kind}' is not l2 or l1", ExitCodes.InvalidArguments),
        };
    }

    public static Optimizer<T> MakeOptimizer<T>(string name, int[] layers, double momentum) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        name.ToLowerInvariant() switch
        {
            "sgd" => Optimizer<T>.Sgd(),
            "momentum" => Optimizer<T>.Momentum(layers, momentum),
            "adam" => Optimizer<T>.Adam(layers),
            var o => throw new CliException($"--optimizer: '{o}' is not sgd, momentum or adam", ExitCodes.InvalidArguments),
        };

    /// <summary>The cost must suit the output layer's σ (cross-entropy needs outputs in (0, 1), log-likelihood softmax): checked before any data is read.</summary>
    public static void CheckCostFitsOutput(Cost cost, Activation output)
    {
        try { cost.CheckOutputActivation(output); }
        catch (NablaException e) { throw new CliException($"--cost {cost.Name}: {e.Message}", ExitCodes.InvalidArguments); }
    }

    public static int[] ParseLayers(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new CliException($"--layers: '{parts[i]}' is not a positive whole number of neurons (in '{text}')", ExitCodes.InvalidArguments);
        if (sizes.Length < 2) throw new CliException($"--layers: '{text}' needs at least an input and an output layer, e.g. 784,30,10", ExitCodes.InvalidArguments);
        return sizes;
    }

    public static Activation[] ParseActivations(string text, int layers)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length != 1 && names.Length != layers)
            throw new CliException($"--activation: give one activation or {layers} (one per layer after the input), got {names.Length}", ExitCodes.InvalidArguments);
        try
        {
            return Enumerable.Range(0, layers).Select(i => Nabla.Activation.FromName(names[names.Length == 1 ? 0 : i])).ToArray();
        }
        catch (NablaException e)
        {
            throw new CliException($"--activation: {e.Message}", ExitCodes.InvalidArguments);
        }
    }

    public static Cost ParseCost(string text)
    {
        try { return Nabla.Cost.FromName(text); }
        catch (NablaException e) { throw new CliException($"--cost: {e.Message}", ExitCodes.InvalidArguments); }
    }

    /// <summary>Finds the data, turning a failure into an input error.</summary>
    public static MnistData LocateData(string? directory)
    {
        try { return DataSource.Locate(directory); }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidInput); }
    }

    /// <summary>
    /// Loads a model file; any failure to read it is an input error (exit code 3). With
    /// <paramref name="activations"/> (comma-separated) the file is read as a PyTorch nn.Sequential state dict.
    /// </summary>
    public static LoadedModel<float> LoadModel(string path, string? activations = null)
    {
        try
        {
            if (activations is null) return ModelFile.Load<float>(path);
            var names = activations.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return ModelFile.LoadPyTorchSequential<float>(path, ParseActivations(activations, names.Length));
        }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidInput); }
    }

    /// <summary>The network's input and output layers must fit the data.</summary>
    public static void CheckShapeAgainstData(IReadOnlyList<int> sizes, Dataset data, string what)
    {
        if (sizes[0] != data.InputSize)
            throw new CliException($"{what}: the input layer has {sizes[0]} neurons but the data has {data.InputSize} inputs per example ({Math.Sqrt(data.InputSize):0}×{Math.Sqrt(data.InputSize):0} pixels); start --layers with {data.InputSize}", ExitCodes.InvalidArguments);
        if (sizes[^1] != data.ClassCount)
            throw new CliException($"{what}: the output layer has {sizes[^1]} neurons but the data has {data.ClassCount} classes; end --layers with {data.ClassCount}", ExitCodes.InvalidArguments);
    }
}
