using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Nabla;

/// <summary>A network read from a model file, with the cost it was trained with (when the file names one) and the file's metadata.</summary>
public sealed record LoadedModel<T>(Network<T> Network, Cost? Cost, IReadOnlyDictionary<string, string> Metadata)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Model files in the safetensors layout, readable without Nabla (numpy, PyTorch's safetensors):
/// tensors <c>layers.{l}.weight</c> (n_l × n_(l−1), the chapter's w^l_jk, like PyTorch's Linear.weight)
/// and <c>layers.{l}.bias</c> for l = 1…L; layer sizes, activations and cost in <c>__metadata__</c>.
/// </summary>
public static class ModelFile
{
    /// <summary>The value of the metadata key <c>format</c> in a Nabla model file.</summary>
    public const string Format = "nabla-feedforward";

    /// <summary>The tensor name of w^<paramref name="l"/>: <c>layers.{l}.weight</c>.</summary>
    public static string WeightName(int l) => $"layers.{l}.weight";
    /// <summary>The tensor name of b^<paramref name="l"/>: <c>layers.{l}.bias</c>.</summary>
    public static string BiasName(int l) => $"layers.{l}.bias";

    /// <summary>Writes the network atomically (temporary file, flush, rename): an existing file is replaced whole or not at all.</summary>
    public static void Save<T>(Network<T> network, Cost? cost, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string dtype = DType<T>();
        var entries = new List<SafeTensorEntry>();
        for (int l = 1; l <= network.L; l++)
        {
            entries.Add(new SafeTensorEntry(WeightName(l), dtype, [network.Sizes[l], network.Sizes[l - 1]], MemoryMarshal.AsBytes(network.Weights[l].Data.AsSpan()).ToArray()));
            entries.Add(new SafeTensorEntry(BiasName(l), dtype, [network.Sizes[l]], MemoryMarshal.AsBytes(network.Biases[l].AsSpan()).ToArray()));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["sizes"] = string.Join(",", network.Sizes),
            ["activations"] = string.Join(",", network.Activations.Select(a => a.Name)),
        };
        if (cost is not null) metadata["cost"] = cost.Name;
        if (extraMetadata is not null)
            foreach (var (key, value) in extraMetadata) metadata.TryAdd(key, value);
        SafeTensors.Write(path, entries, metadata);
    }

    /// <summary>Reads a model file, checking that the metadata and the tensors agree; float32 and float64 files load into either precision.</summary>
    public static LoadedModel<T> Load<T>(string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var file = SafeTensors.Read(path, null, "safetensors model file");
        var metadata = file.Metadata;
        if (!metadata.ContainsKey("sizes") && file.Contains("0.weight"))
            throw new InvalidFileException(path, -1, "this looks like a PyTorch nn.Sequential state dict (keys 0.weight, 0.bias, …) without Nabla metadata; give its activations (e.g. --activation relu,softmax)");
        string Meta(string key) => metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidFileException(path, -1, $"the metadata has no '{key}' entry; is this a model file written by Nabla?");

        // The tensors bound the work: check the layer count against them before splitting metadata that may be huge,
        // and the layer sizes against the tensor shapes (in Values) before building anything from them.
        string sizesText = Meta("sizes");
        int layerCount = sizesText.AsSpan().Count(',') + 1;
        if (layerCount < 2) throw new InvalidFileException(path, -1, "metadata 'sizes' names fewer than two layers");
        CheckTensorNames(file, path, layerCount - 1);
        var sizeTexts = sizesText.Split(',');
        var sizes = new int[sizeTexts.Length];
        for (int i = 0; i < sizes.Length; i++)
            if (!int.TryParse(sizeTexts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new InvalidFileException(path, -1, $"metadata 'sizes' = '{Truncate(sizesText)}' is not a list of positive layer sizes");

        string activationsText = Meta("activations");
        if (activationsText.AsSpan().Count(',') + 1 != sizes.Length - 1)
            throw new InvalidFileException(path, -1, $"metadata names {activationsText.AsSpan().Count(',') + 1} activations for {sizes.Length - 1} layers");
        var activationNames = activationsText.Split(',');
        Activation[] activations;
        Cost? cost;
        try
        {
            activations = activationNames.Select(Activation.FromName).ToArray();
            cost = metadata.TryGetValue("cost", out var costName) ? Cost.FromName(costName) : null;
        }
        catch (NablaException e) when (e is not InvalidFileException)
        {
            throw new InvalidFileException(path, -1, e.Message + " (register a custom one before loading)");
        }

        var weights = new Matrix<T>[sizes.Length - 1];
        var biases = new T[sizes.Length - 1][];
        for (int l = 1; l < sizes.Length; l++)
        {
            weights[l - 1] = new Matrix<T>(sizes[l], sizes[l - 1], Values<T>(file, path, WeightName(l), [sizes[l], sizes[l - 1]]));
            biases[l - 1] = Values<T>(file, path, BiasName(l), [sizes[l]]);
        }
        return new LoadedModel<T>(new Network<T>(sizes, activations, weights, biases), cost, metadata);
    }

    /// <summary>
    /// Reads the state dict of a PyTorch <c>nn.Sequential</c> of <c>Linear</c> layers and activations saved
    /// with safetensors: keys <c>{i}.weight</c> (out × in, as Nabla's w^l) and <c>{i}.bias</c>, where i is the
    /// module's index (activations have no parameters, so indices skip: 0, 2, 4, …). Such a file carries no
    /// activations, so they are given: <paramref name="activations"/>[l − 1] for the l-th Linear layer.
    /// </summary>
    public static LoadedModel<T> LoadPyTorchSequential<T>(string path, IReadOnlyList<Activation> activations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var file = SafeTensors.Read(path, null, "safetensors model file");
        var indices = new SortedSet<int>();
        foreach (var entry in file.Entries)
        {
            var parts = entry.Name.Split('.');
            if (parts.Length != 2 || parts[1] is not ("weight" or "bias")
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw new InvalidFileException(path, -1, $"tensor '{entry.Name}' is not an nn.Sequential Linear parameter ('<index>.weight' or '<index>.bias')");
            indices.Add(index);
        }
        if (indices.Count == 0) throw new InvalidFileException(path, -1, "the file holds no tensors");
        if (activations.Count != indices.Count)
            throw new NablaException($"{path} has {indices.Count} Linear layers ({string.Join(", ", indices)}), but {activations.Count} activations were given");

        var weights = new List<Matrix<T>>();
        var biases = new List<T[]>();
        var sizes = new List<int>();
        foreach (int i in indices)
        {
            if (!file.TryGet($"{i}.weight", out var w) || w.Shape.Length != 2)
                throw new InvalidFileException(path, -1, $"layer {i} needs a 2-dimensional tensor '{i}.weight'");
            int rows = checked((int)w.Shape[0]), columns = checked((int)w.Shape[1]);
            if (sizes.Count == 0) sizes.Add(columns);
            else if (sizes[^1] != columns)
                throw new InvalidFileException(path, -1, $"'{i}.weight' takes {columns} inputs, but the layer before gives {sizes[^1]}");
            sizes.Add(rows);
            weights.Add(new Matrix<T>(rows, columns, Values<T>(file, path, $"{i}.weight", [rows, columns])));
            biases.Add(Values<T>(file, path, $"{i}.bias", [rows]));
        }
        return new LoadedModel<T>(new Network<T>(sizes, activations, weights, biases), null, file.Metadata);
    }

    private static T[] Values<T>(SafeTensorsFile file, string path, string name, long[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!file.TryGet(name, out var entry) || entry is null) throw new InvalidFileException(path, -1, $"tensor '{name}' is missing");
        if (!entry.Shape.SequenceEqual(shape))
            throw new InvalidFileException(path, -1, $"tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] but the metadata's layer sizes need [{string.Join(", ", shape)}]");
        T[] values = typeof(T) == typeof(float) ? (T[])(object)entry.ToSingles() : entry.ToDoubles().Select(T.CreateChecked).ToArray();
        // A NaN or infinity would only surface later as silently wrong outputs; F64 values beyond float's range become infinities here too.
        int bad = Array.FindIndex(values, v => !T.IsFinite(v));
        if (bad >= 0)
            throw new InvalidFileException(path, -1,
                $"tensor '{name}' element {bad} is {values[bad]}{(entry.DType == "F64" && typeof(T) == typeof(float) ? " as float32" : "")}; a model's weights and biases must be finite");
        return values;
    }

    /// <summary>The file must hold exactly the weight and bias of each of the <paramref name="layers"/> layers, no more.</summary>
    private static void CheckTensorNames(SafeTensorsFile file, string path, int layers)
    {
        // Counting first keeps the set below small even when the metadata claims millions of layers.
        if (file.Entries.Count != 2L * layers)
            throw new InvalidFileException(path, -1,
                $"metadata 'sizes' names {layers + 1} layers, which need {2L * layers} tensors (layers.1.weight … layers.{layers}.bias), " +
                $"but the file has {file.Entries.Count}");
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int l = 1; l <= layers; l++)
        {
            expected.Add(WeightName(l));
            expected.Add(BiasName(l));
        }
        foreach (var entry in file.Entries)
            if (!expected.Contains(entry.Name))
                throw new InvalidFileException(path, -1,
                    $"tensor '{Truncate(entry.Name)}' is not one of the {layers}-layer model's tensors (layers.1.weight … layers.{layers}.bias)");
    }

    /// <summary>Metadata text for an error message, cut short: a hostile file may hold megabytes of it.</summary>
    private static string Truncate(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static string DType<T>() => typeof(T) == typeof(float) ? "F32" : typeof(T) == typeof(double) ? "F64"
        : throw new NotSupportedException($"model files hold float32 or float64, not {typeof(T).Name}");
}
