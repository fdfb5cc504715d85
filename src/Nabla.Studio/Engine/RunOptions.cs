using System.Globalization;
using System.Text.Json;

namespace Nabla.Studio.Engine;

/// <summary>
/// The options of one training run, named as `nabla train` names them (JSON keys: the CLI's names without the dashes,
/// "train-size" or "train_size" alike), with the CLI's defaults. Parsing checks only the form (a number where a number
/// belongs, no unknown key); the values are checked by the library when <see cref="RunHost"/> builds the run, and by
/// <see cref="StudioLimits"/> where a value would allocate too much.
/// </summary>
public sealed record RunOptions
{
    public int[] Layers { get; init; } = [784, 30, 10];
    /// <summary>One name for every layer, or one per layer after the input.</summary>
    public string[] Activation { get; init; } = ["sigmoid"];
    public string Cost { get; init; } = "quadratic";
    public string Init { get; init; } = "standard-normal";
    public double Eta { get; init; } = 3.0;
    public int Batch { get; init; } = 10;
    public int Epochs { get; init; } = 30;
    public int Seed { get; init; } = 1;
    public double Lambda { get; init; }
    public string Regularization { get; init; } = "l2";
    public double Dropout { get; init; }
    /// <summary>`nabla train --expand`: chapter 3's expanded training images (MNIST-format data only), with its sizes.</summary>
    public bool Expand { get; init; }
    public int ExpandShift { get; init; } = 1;
    public double ExpandRotation { get; init; }
    public string ExpandInterpolation { get; init; } = "nearest";
    public bool ExpandMirror { get; init; }
    public string Optimizer { get; init; } = "sgd";
    public double Momentum { get; init; } = 0.9;
    public string Schedule { get; init; } = "constant";
    public double StepGamma { get; init; } = 0.5;
    public int StepEvery { get; init; } = 10;
    public int HalvingPatience { get; init; } = 10;
    public int Halvings { get; init; } = 7;
    public int? EarlyStopping { get; init; }
    public string[] Monitor { get; init; } = ["evaluation-cost", "evaluation-accuracy"];
    public bool Validation { get; init; }
    public int? TrainSize { get; init; }
    public string Precision { get; init; } = "float32";
    /// <summary>Threads for the products; 0 chooses as `nabla train` does.</summary>
    public int Threads { get; init; }
    /// <summary>"mnist" (the data the server found), or a Playground set: circle, xor, gauss, spiral.</summary>
    public string Data { get; init; } = "mnist";
    /// <summary>Playground: noise in percent (0–50), the training share of the points in percent (10–90), the number of points, the input features.</summary>
    public double Noise { get; init; }
    public int Ratio { get; init; } = 50;
    public int Points { get; init; } = 500;
    public string[] Features { get; init; } = ["x1", "x2"];
    /// <summary>Create the run without starting it (the page's reset: the initial network, ready for single steps).</summary>
    public bool Paused { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPlayground => !Data.Equals("mnist", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a JSON object of options; throws <see cref="NablaException"/> naming the first bad key.</summary>
    public static RunOptions Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new NablaException("the body must be a JSON object of train options, e.g. {\"layers\":[784,30,10],\"eta\":3}");
        var o = new RunOptions();
        foreach (var p in body.EnumerateObject())
        {
            string key = p.Name.Replace('-', '_').ToLowerInvariant();
            var v = p.Value;
            o = key switch
            {
                "layers" => o with { Layers = IntList(v, p.Name) },
                "activation" or "activations" => o with { Activation = StringList(v, p.Name) },
                "cost" => o with { Cost = Text(v, p.Name) },
                "init" => o with { Init = Text(v, p.Name) },
                "eta" => o with { Eta = Number(v, p.Name) },
                "batch" => o with { Batch = Integer(v, p.Name) },
                "epochs" => o with { Epochs = Integer(v, p.Name) },
                "seed" => o with { Seed = Integer(v, p.Name) },
                "lambda" => o with { Lambda = Number(v, p.Name) },
                "regularization" => o with { Regularization = Text(v, p.Name) },
                "dropout" => o with { Dropout = Number(v, p.Name) },
                "expand" => o with { Expand = Boolean(v, p.Name) },
                "expand_shift" => o with { ExpandShift = Integer(v, p.Name) },
                "expand_rotation" => o with { ExpandRotation = Number(v, p.Name) },
                "expand_interpolation" => o with { ExpandInterpolation = Text(v, p.Name) },
                "expand_mirror" => o with { ExpandMirror = Boolean(v, p.Name) },
                "optimizer" => o with { Optimizer = Text(v, p.Name) },
                "momentum" => o with { Momentum = Number(v, p.Name) },
                "schedule" => o with { Schedule = Text(v, p.Name) },
                "step_gamma" => o with { StepGamma = Number(v, p.Name) },
                "step_every" => o with { StepEvery = Integer(v, p.Name) },
                "halving_patience" => o with { HalvingPatience = Integer(v, p.Name) },
                "halvings" => o with { Halvings = Integer(v, p.Name) },
                "early_stopping" => o with { EarlyStopping = v.ValueKind == JsonValueKind.Null ? null : Integer(v, p.Name) },
                "monitor" => o with { Monitor = StringList(v, p.Name) },
                "validation" => o with { Validation = Boolean(v, p.Name) },
                "train_size" => o with { TrainSize = v.ValueKind == JsonValueKind.Null ? null : Integer(v, p.Name) },
                "precision" => o with { Precision = Text(v, p.Name) },
                "threads" => o with { Threads = Integer(v, p.Name) },
                "data" => o with { Data = Text(v, p.Name) },
                "noise" => o with { Noise = Number(v, p.Name) },
                "ratio" => o with { Ratio = Integer(v, p.Name) },
                "points" => o with { Points = Integer(v, p.Name) },
                "features" => o with { Features = StringList(v, p.Name) },
                "paused" => o with { Paused = Boolean(v, p.Name) },
                _ => throw new NablaException($"unknown option '{p.Name}'; known: {string.Join(", ", KnownOptions)}"),
            };
        }
        return o;
    }

    public static readonly string[] KnownOptions =
    [
        "layers", "activation", "cost", "init", "eta", "batch", "epochs", "seed", "lambda", "regularization", "dropout", "expand", "expand-shift",
        "expand-rotation", "expand-interpolation", "expand-mirror", "optimizer",
        "momentum", "schedule", "step-gamma", "step-every", "halving-patience", "halvings", "early-stopping", "monitor", "validation",
        "train-size", "precision", "threads", "data", "noise", "ratio", "points", "features", "paused",
    ];

    /// <summary>
    /// The options as `nabla train` arguments (name → value, "" for a flag), stored in a checkpoint so that
    /// `nabla train --resume DIR` continues a run the Studio started.
    /// </summary>
    public Dictionary<string, string> ToTrainArguments()
    {
        var inv = CultureInfo.InvariantCulture;
        var a = new Dictionary<string, string>
        {
            ["--layers"] = string.Join(",", Layers),
            ["--activation"] = string.Join(",", Activation),
            ["--cost"] = Cost,
            ["--init"] = Init,
            ["--eta"] = Eta.ToString("R", inv),
            ["--batch"] = Batch.ToString(inv),
            ["--epochs"] = Epochs.ToString(inv),
            ["--seed"] = Seed.ToString(inv),
            ["--lambda"] = Lambda.ToString("R", inv),
            ["--regularization"] = Regularization,
            ["--dropout"] = Dropout.ToString("R", inv),
            ["--optimizer"] = Optimizer,
            ["--momentum"] = Momentum.ToString("R", inv),
            ["--schedule"] = Schedule,
            ["--step-gamma"] = StepGamma.ToString("R", inv),
            ["--step-every"] = StepEvery.ToString(inv),
            ["--halving-patience"] = HalvingPatience.ToString(inv),
            ["--halvings"] = Halvings.ToString(inv),
            ["--monitor"] = string.Join(",", Monitor),
            ["--precision"] = Precision,
        };
        if (EarlyStopping is int patience) a["--early-stopping"] = patience.ToString(inv);
        if (TrainSize is int n) a["--train-size"] = n.ToString(inv);
        if (Validation) a["--validation"] = "";
        if (Expand)
        {
            (a["--expand"], a["--expand-shift"], a["--expand-rotation"], a["--expand-interpolation"]) =
                ("", ExpandShift.ToString(inv), ExpandRotation.ToString("R", inv), ExpandInterpolation);
            if (ExpandMirror) a["--expand-mirror"] = "";
        }
        return a;
    }

    private static int[] IntList(JsonElement v, string name) => v.ValueKind switch
    {
        JsonValueKind.Array => v.EnumerateArray().Select(e => Integer(e, name)).ToArray(),
        JsonValueKind.String => v.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i
                : throw new NablaException($"{name}: '{s}' is not a whole number")).ToArray(),
        _ => throw new NablaException($"{name}: expected a list of whole numbers such as [784,30,10], got {Describe(v)}"),
    };

    private static string[] StringList(JsonElement v, string name) => v.ValueKind switch
    {
        JsonValueKind.Array => v.EnumerateArray().Select(e => Text(e, name)).ToArray(),
        JsonValueKind.String => v.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        _ => throw new NablaException($"{name}: expected a name or a list of names, got {Describe(v)}"),
    };

    private static string Text(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new NablaException($"{name}: expected a string, got {Describe(v)}");

    private static double Number(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) ? d : throw new NablaException($"{name}: expected a number, got {Describe(v)}");

    private static int Integer(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
        : throw new NablaException($"{name}: expected a whole number between {int.MinValue} and {int.MaxValue}, got {Describe(v)}");

    private static bool Boolean(JsonElement v, string name) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new NablaException($"{name}: expected true or false, got {Describe(v)}"),
    };

    private static string Describe(JsonElement v)
    {
        string raw = v.GetRawText();
        return raw.Length > 40 ? raw[..40] + "…" : raw;
    }
}
