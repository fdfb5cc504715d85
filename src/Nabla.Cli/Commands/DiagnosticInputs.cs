using System.CommandLine;

namespace Nabla.Cli.Commands;

/// <summary>
/// The network and the example that gradcheck and explain look at: a model file (--model) or a random network
/// (--layers, --activation, --cost, --seed), and one example from the test data when the network's shape fits it,
/// else a synthetic one. Every figure is computed in float64.
/// </summary>
internal sealed class DiagnosticInputs
{
    public Option<string?> Model { get; } = new("--model") { Description = "A model file written by `nabla train --out` (default: a random network from --layers, --activation, --seed)" };
    public Option<string> Layers { get; }
    public Option<string> Activation { get; } = CommonOptions.Activation();
    public Option<string?> Cost { get; } = new("--cost") { Description = "quadratic or cross-entropy (default: the model's cost, else quadratic)" };
    public Option<int> Seed { get; } = CommonOptions.Seed();
    public Option<string?> Data { get; } = CommonOptions.Data();
    public Option<IdxLimits?> MaxIdxSize { get; } = CommonOptions.MaxIdxSize();
    public Option<int?> Example { get; } = new("--example") { Description = "Which test example to use (default: one drawn from --seed)" };
    public Option<bool> Synthetic { get; } = new("--synthetic") { Description = "Use a random input and target instead of an example from the data" };

    public DiagnosticInputs(string defaultLayers = "784,30,10") => Layers = CommonOptions.Layers(defaultLayers);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Layers, Activation, Cost, Seed, Data, MaxIdxSize, Example, Synthetic }) command.Options.Add(option);
    }

    /// <summary>The network in float64, its cost, and a line describing it.</summary>
    public (Network<double> Network, Cost Cost, string Description) Network(ParseResult parse)
    {
        if (parse.GetValue(Model) is string path)
        {
            var loaded = LoadModel(path);
            var cost = parse.GetValue(Cost) is string name ? CommonOptions.ParseCost(name) : loaded.Cost ?? Nabla.Cost.Quadratic;
            return (loaded.Network, cost, $"{path}: [{string.Join(", ", loaded.Network.Sizes)}], {Activations(loaded.Network)}, {cost.Name} cost");
        }
        var sizes = CommonOptions.ParseLayers(parse.GetValue(Layers)!);
        var activations = CommonOptions.ParseActivations(parse.GetValue(Activation)!, sizes.Length - 1);
        var c = CommonOptions.ParseCost(parse.GetValue(Cost) ?? "quadratic");
        int seed = parse.GetValue(Seed);
        // Scaled initialisation keeps the random network unsaturated, so that its gradients are not all ~0.
        var network = new Network<double>(sizes, activations, Initialization.ScaledNormal, seed);
        return (network, c, $"random [{string.Join(", ", sizes)}], {Activations(network)}, {c.Name} cost, scaled-normal init, seed {seed}");
    }

    /// <summary>An input x and one-hot target y for <paramref name="network"/>, and a line saying where they came from.</summary>
    public (double[] X, double[] Y, string Description) ExampleFor(ParseResult parse, Network<double> network)
    {
        int seed = parse.GetValue(Seed);
        int? index = parse.GetValue(Example);
        int nIn = network.Sizes[0], nOut = network.Sizes[^1];
        if (!parse.GetValue(Synthetic) && (nIn == 784 || parse.GetValue(Data) is not null))
        {
            var data = CommonOptions.LocateData(parse.GetValue(Data), parse.GetValue(MaxIdxSize));
            var test = data.Test;
            if (test.IsClassification && test.InputSize == nIn && test.ClassCount <= nOut)
            {
                int i = index ?? new Random(seed).Next(test.Count);
                if (i < 0 || i >= test.Count) throw new CliException($"--example: {i} is not a test example; there are {test.Count} (0 to {test.Count - 1})", ExitCodes.InvalidArguments);
                var y = new double[nOut];
                y[test.Labels![i]] = 1;
                return (test.Input(i).ToArray().Select(v => (double)v).ToArray(), y, $"test example {i} of {data.Description} (class {test.Labels[i]})");
            }
            if (parse.GetValue(Data) is not null)
                CommonOptions.CheckShapeAgainstData(network.Sizes, test, "the network");
        }
        if (index is not null) throw new CliException("--example: the network's input layer does not fit the data, so a synthetic example is used; drop --example or use --data", ExitCodes.InvalidArguments);
        var random = new Random(seed);
        var x = Enumerable.Range(0, nIn).Select(_ => random.NextDouble()).ToArray();
        var target = new double[nOut];
        int label = random.Next(nOut);
        target[label] = 1;
        return (x, target, $"synthetic example (inputs uniform in [0, 1], target: one-hot class {label}; seed {seed})");
    }

    public static LoadedModel<double> LoadModel(string path)
    {
        try { return ModelFile.Load<double>(path); }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidInput); }
    }

    private static string Activations<T>(Network<T> network) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        string.Join("/", network.Activations.Select(a => a.Name).Distinct());
}
