using System.CommandLine;
using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>Options several commands share, and the checks that turn their text into values.</summary>
internal static class CommonOptions
{
    /// <summary>--data of the commands that only evaluate: they read the two test files alone.</summary>
    public static Option<string?> TestData() => new("--data") { Description = "Folder with the MNIST-format test files, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz; the training files are not needed), or a table: FILE.csv, .tsv or .parquet. Default: /usr/share/datasets/fashion-mnist, else the sample bundled with Nabla" };

    public static Option<string?> Data() => new("--data") { Description = "Folder with the four MNIST-format IDX files (raw or .gz), or a table: FILE.csv, .tsv or .parquet (with --target). Default: /usr/share/datasets/fashion-mnist, else the sample bundled with Nabla" };

    /// <summary>
    /// --max-idx-size: the most data bytes one IDX file may claim, decompressed (IdxLimits.MaxBytes), so that a damaged
    /// or hostile header, or a small gzip that truly inflates to gigabytes, cannot make nabla allocate more. Null when
    /// not given: the library's default.
    /// </summary>
    public static Option<IdxLimits?> MaxIdxSize() => new("--max-idx-size")
    {
        Description = $"Largest IDX file to read, decompressed, in bytes or with K, M, G (powers of 1024): what a damaged or hostile header may make nabla allocate (default 1G; at most {Array.MaxLength:N0} bytes)",
        HelpName = "SIZE",
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (ParseSize(text) is long bytes && bytes >= 1 && bytes <= Array.MaxLength)
                return new IdxLimits { MaxBytes = bytes };
            result.AddError($"--max-idx-size: '{text}' is not a size from 1 to {Array.MaxLength:N0} bytes, such as 1G, 512M or 800000000");
            return null;
        },
    };

    /// <summary>Bytes in "800000000", "512K", "512M", "1G" (also KiB, MiB, GiB; K = 1024); null when it is not such a size.</summary>
    internal static long? ParseSize(string text)
    {
        text = text.Trim();
        int end = text.Length;
        while (end > 0 && char.IsAsciiLetter(text[end - 1])) end--;
        long unit = text[end..].ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KIB" => 1L << 10,
            "M" or "MIB" => 1L << 20,
            "G" or "GIB" => 1L << 30,
            _ => 0,
        };
        if (unit == 0 || !long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out long count))
            return null;
        return count <= long.MaxValue / unit ? count * unit : null;
    }

    public static Option<string> Layers(string defaultValue = "784,30,10") =>
        new("--layers") { Description = "Neurons per layer, input first, e.g. 784,30,10", DefaultValueFactory = _ => defaultValue };

    public static Option<string> Activation() =>
        new("--activation") { Description = $"σ for every layer, or one per layer separated by commas ({string.Join(", ", Nabla.Activation.KnownNames)})", DefaultValueFactory = _ => "sigmoid" };

    public static Option<string> Cost() =>
        new("--cost") { Description = "quadratic (Eq. 26), cross-entropy, or log-likelihood (with softmax outputs)", DefaultValueFactory = _ => "quadratic" };

    public static Option<int> Seed() => new("--seed") { Description = "Seed of every random choice (initial weights, shuffling): the same seed gives the same run", DefaultValueFactory = _ => 1 };

    /// <summary>"--optimizer: 'adma' is not sgd, momentum or adam; did you mean 'adam'?"</summary>
    public static CliException NotOneOf(string option, string value, IReadOnlyList<string> known) =>
        new($"{option}: '{value}' is not {string.Join(", ", known.SkipLast(1))}{(known.Count > 1 ? " or " : "")}{known[^1]}{Suggestions.DidYouMean(value, known)}",
            ExitCodes.InvalidArguments);

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

    public static Initialization ParseInit(string text) =>
        Words.Inits.FirstOrDefault(i => i.Name == text.ToLowerInvariant()) is { Name: not null } found ? found.Init
            : throw NotOneOf("--init", text, ["standard-normal", "scaled-normal"]);

    public static Regularization ParseRegularization(string kind, double lambda)
    {
        if (!(lambda >= 0) || !double.IsFinite(lambda)) throw new CliException($"--lambda: must be 0 or more, got {lambda}", ExitCodes.InvalidArguments);
        return kind.ToLowerInvariant() switch
        {
            _ when lambda == 0 => Nabla.Regularization.None,
            "l2" => Nabla.Regularization.L2(lambda),
            "l1" => Nabla.Regularization.L1(lambda),
            _ => throw NotOneOf("--regularization", kind, ["l2", "l1"]),
        };
    }

    public static Optimizer<T> MakeOptimizer<T>(string name, int[] layers, double momentum) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        name.ToLowerInvariant() switch
        {
            "sgd" => Optimizer<T>.Sgd(),
            "momentum" => Optimizer<T>.Momentum(layers, momentum),
            "adam" => Optimizer<T>.Adam(layers),
            var o => throw NotOneOf("--optimizer", o, ["sgd", "momentum", "adam"]),
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
        var known = Nabla.Activation.KnownNames.ToList();
        foreach (var name in names)
            if (!known.Contains(name)) throw NotOneOf("--activation", name, known);
        return Enumerable.Range(0, layers).Select(i => Nabla.Activation.FromName(names[names.Length == 1 ? 0 : i])).ToArray();
    }

    public static Cost ParseCost(string text)
    {
        var known = Nabla.Cost.KnownNames.ToList();
        return known.Contains(text.Trim()) ? Nabla.Cost.FromName(text) : throw NotOneOf("--cost", text, known);
    }

    /// <summary>float32 or float64 (float, single and double are read too).</summary>
    public static string ParsePrecision(string text) => text.ToLowerInvariant() switch
    {
        "float32" or "float" or "single" => "float32",
        "float64" or "double" => "float64",
        _ => throw NotOneOf("--precision", text, ["float32", "float64"]),
    };

    /// <summary>Finds the data, turning a failure into an input error; a file over the size limit says how to raise it.</summary>
    public static MnistData LocateData(string? directory, IdxLimits? limits = null) => Located(() => DataSource.Locate(directory, limits));

    /// <summary>As <see cref="LocateData"/>, for the commands that read only the test files.</summary>
    public static MnistTestData LocateTestData(string? directory, IdxLimits? limits = null) => Located(() => DataSource.LocateTest(directory, limits));

    private static TData Located<TData>(Func<TData> locate)
    {
        try { return locate(); }
        catch (InvalidFileException e) when (e.Message.EndsWith(" bytes", StringComparison.Ordinal) && e.Message.Contains("more than the limit of", StringComparison.Ordinal))
        {
            throw new CliException($"{e.Message}; --max-idx-size raises the limit", ExitCodes.InvalidInput);
        }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidInput); }
    }

    /// <summary>
    /// Loads a model file; any failure to read it is an input error (exit code 3). With
    /// <paramref name="activations"/> (comma-separated) the file is read as a PyTorch nn.Sequential state dict.
    /// </summary>
    public static LoadedModel<float> LoadModel(string path, string? activations = null) => LoadModel<float>(path, activations);

    public static LoadedModel<T> LoadModel<T>(string path, string? activations) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        try
        {
            if (activations is null) return ModelFile.Load<T>(path);
            var names = activations.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return ModelFile.LoadPyTorchSequential<T>(path, ParseActivations(activations, names.Length));
        }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidInput); }
    }

    /// <summary>The network made from --layers must fit the data: --layers is what to change.</summary>
    public static void CheckShapeAgainstData(IReadOnlyList<int> sizes, Dataset data, string what) =>
        CheckShape(sizes, data, what, "the input layer", $"start --layers with {data.InputSize}", $"end --layers with {data.ClassCount}");

    /// <summary>A saved model must fit the data; when it does not, it was made for other data, and --data is what to change.</summary>
    public static void CheckModelAgainstData(IReadOnlyList<int> sizes, Dataset data, string path)
    {
        const string advice = "the model was made for other data; give that data with --data DIR";
        CheckShape(sizes, data, path, "the model's input layer", advice, advice);
    }

    private static void CheckShape(IReadOnlyList<int> sizes, Dataset data, string what, string inputLayer, string inputAdvice, string outputAdvice)
    {
        int side = (int)Math.Round(Math.Sqrt(data.InputSize));
        string pixels = side * side == data.InputSize ? $" ({side}×{side} pixels)" : "";
        if (sizes[0] != data.InputSize)
            throw new CliException($"{what}: {inputLayer} has {sizes[0]} neurons but the data has {data.InputSize} inputs per example{pixels}; {inputAdvice}", ExitCodes.InvalidArguments);
        if (sizes[^1] != data.ClassCount)
            throw new CliException($"{what}: {inputLayer.Replace("input", "output")} has {sizes[^1]} neurons but the data has {data.ClassCount} classes; {outputAdvice}", ExitCodes.InvalidArguments);
    }
}
