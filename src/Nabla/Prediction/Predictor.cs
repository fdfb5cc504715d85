using System.Numerics.Tensors;
using Nabla.Data;

namespace Nabla;

/// <summary>
/// A trained model ready to answer, for an application to load once and call from any thread: the network and the
/// preprocessing saved beside it in the model file (<see cref="TablePreprocessing"/>), so raw values go in, class
/// probabilities or values in the targets' own units come out. One row at a time allocates nothing (each thread keeps its
/// own buffers); a table goes through the matrix path (<see cref="MiniBatch{T}.FeedForward"/>) in batches.
/// </summary>
public sealed class Predictor
{
    /// <summary>Rows per batch when predicting a table.</summary>
    public const int BatchSize = 512;

    private readonly ThreadLocal<ForwardPass<float>> _pass;
    private readonly Dictionary<string, int> _featureIndex;

    /// <summary>Pairs a network with its preprocessing.</summary>
    /// <exception cref="NablaException">The network's input or output layer does not fit the preprocessing.</exception>
    public Predictor(Network<float> network, TablePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (network.Sizes[0] != preprocessing.InputSize || network.Sizes[^1] != preprocessing.OutputSize)
            throw new NablaException($"the network [{string.Join(",", network.Sizes)}] does not fit its preprocessing, which makes {preprocessing.InputSize} inputs and reads {preprocessing.OutputSize} outputs");
        Network = network;
        Preprocessing = preprocessing;
        _pass = new ThreadLocal<ForwardPass<float>>(network.CreateForwardPass);
        _featureIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int f = 0; f < preprocessing.Features.Count; f++) _featureIndex[preprocessing.Features[f].Name] = f;
    }

    /// <summary>Pairs a network trained on images with what it takes (<see cref="Images"/>); its inputs are named input0, input1, ….</summary>
    /// <exception cref="NablaException">The network's input or output layer does not fit the images' size or classes.</exception>
    public Predictor(Network<float> network, ImageInputs images)
        : this(network, TablePreprocessing.Identity((images ?? throw new ArgumentNullException(nameof(images))).InputSize, images.ClassNames.Count, images.ClassNames)) =>
        Images = images;

    /// <summary>
    /// Loads a model file. A model trained on a table carries its preprocessing; one trained on IDX images carries the
    /// images' size and class names (<see cref="Images"/>; a file without them is taken as square images, classes '0', '1', …)
    /// and takes its inputs as they are (named input0, input1, …).
    /// </summary>
    /// <exception cref="InvalidFileException">The file is not a valid model file, or its preprocessing does not fit its network.</exception>
    public static Predictor Load(string path)
    {
        var model = ModelFile.Load<float>(path);
        var sizes = model.Network.Sizes;
        try
        {
            if (model.Metadata.TryGetValue(TablePreprocessing.MetadataKey, out var json))
                return new Predictor(model.Network, TablePreprocessing.FromJson(json, path));
            if (model.Metadata.TryGetValue(ImageInputs.MetadataKey, out var images))
                return new Predictor(model.Network, ImageInputs.FromJson(images, path));
            return ImageInputs.Square(sizes[0], sizes[^1]) is { } square
                ? new Predictor(model.Network, square)
                : new Predictor(model.Network, TablePreprocessing.Identity(sizes[0], sizes[^1]));
        }
        catch (NablaException e) when (e is not InvalidFileException) { throw new InvalidFileException(path, -1, e.Message); }
    }

    /// <summary>What a model trained on images takes (their size, its class names); null for a model trained on a table.</summary>
    public ImageInputs? Images { get; }

    /// <summary>The trained network; inputs go in encoded by <see cref="Preprocessing"/>.</summary>
    public Network<float> Network { get; }
    /// <summary>What turns raw values into network inputs, and outputs into classes or values in the targets' units.</summary>
    public TablePreprocessing Preprocessing { get; }
    /// <summary>True when the model predicts classes, false when it predicts values.</summary>
    public bool IsClassification => Preprocessing.IsClassification;
    /// <summary>The class names, in the order of the outputs (empty for regression).</summary>
    public IReadOnlyList<string> Classes => Preprocessing.Classes;
    /// <summary>The input columns a row must give.</summary>
    public IReadOnlyList<FeatureEncoding> Features => Preprocessing.Features;
    /// <summary>The number of outputs: one probability per class, or one value per target.</summary>
    public int OutputSize => Preprocessing.OutputSize;

    /// <summary>A row to fill and predict, reusable (each thread its own): set its columns by name, call <see cref="Predict(PredictionRow, Span{float})"/>.</summary>
    public PredictionRow CreateRow() => new(this);

    internal int FeatureIndex(string column) => _featureIndex.TryGetValue(column, out int f) ? f
        : throw new NablaException($"the model has no input column '{InvalidTableException.Shorten(column)}'; its inputs are {Table.ListNames(Preprocessing.Features.Select(x => x.Name))}");

    /// <summary>
    /// Predicts one row. <paramref name="output"/> (<see cref="OutputSize"/> values) receives the class probabilities
    /// (the output layer's activations; with softmax they sum to 1) or the predicted values in the targets' units.
    /// Returns the predicted class, or −1 for regression. Allocates nothing.
    /// </summary>
    /// <exception cref="NablaException">A column of the row was never set.</exception>
    public int Predict(PredictionRow row, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Predictor != this) throw new NablaException("the row was made by another predictor (CreateRow)");
        row.CheckComplete();
        return PredictEncoded(row.Inputs, output);
    }

    /// <summary>
    /// Predicts one row of a model whose input columns are all numeric: <paramref name="values"/> holds the raw values in
    /// the order of <see cref="Features"/> (NaN for an empty cell). As <see cref="Predict(PredictionRow, Span{float})"/> otherwise.
    /// </summary>
    public int Predict(ReadOnlySpan<float> values, Span<float> output)
    {
        if (values.Length != Features.Count)
            throw new NablaException($"the model takes {Features.Count} input columns, not {values.Length}");
        if (Preprocessing.InputSize != Features.Count)
            throw new NablaException("the model has text input columns; fill a PredictionRow (CreateRow) instead");
        var pass = _pass.Value!;
        var inputs = pass.Activation(0);
        for (int f = 0; f < values.Length; f++) inputs[f] = Encode(f, values[f]);
        return PredictEncoded(inputs, output);
    }

    internal float Encode(int feature, float value)
    {
        var encoding = Features[feature];
        if (!float.IsNaN(value)) return encoding.Standardize(value);
        if (Preprocessing.Missing == MissingValues.Mean) return 0f;
        throw new NablaException($"input column '{encoding.Name}' is empty: {Preprocessing.MissingMessage}");
    }

    private int PredictEncoded(ReadOnlySpan<float> inputs, Span<float> output)
    {
        if (output.Length != OutputSize) throw new NablaException($"the output span holds {output.Length} values; the model gives {OutputSize}");
        var pass = _pass.Value!;
        Network.Forward(inputs, pass);
        pass.Output.CopyTo(output);
        return Decode(output);
    }

    /// <summary>The class (argmax) for classification; for regression scales the standardised outputs back and returns −1.</summary>
    private int Decode(Span<float> output)
    {
        if (IsClassification) return TensorPrimitives.IndexOfMax<float>(output);
        for (int t = 0; t < output.Length; t++)
            output[t] = (float)(output[t] * Preprocessing.TargetStandardDeviations[t] + Preprocessing.TargetMeans[t]);
        return -1;
    }

    /// <summary>
    /// Predicts every row of <paramref name="table"/>, in order, <see cref="BatchSize"/> rows at a time through the matrix
    /// path. The table must have the model's input columns (others, a target column say, are ignored).
    /// </summary>
    /// <exception cref="InvalidTableException">A column is missing or of the wrong kind, or a cell is empty and the model does not fill it.</exception>
    public Predictions Predict(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = new int[Math.Min(BatchSize, table.RowCount)];
        return Predict(table.RowCount, (start, inputs) =>
        {
            int m = inputs.Length / Preprocessing.InputSize;
            for (int i = 0; i < m; i++) rows[i] = start + i;
            Preprocessing.EncodeInputs(table, rows.AsSpan(0, m), inputs);
        });
    }

    /// <summary>
    /// Predicts every image of <paramref name="images"/>, in order, <see cref="BatchSize"/> at a time through the matrix path,
    /// each pixel given as pixel / 255 as in training (a model trained on IDX images, <see cref="Images"/>).
    /// </summary>
    /// <exception cref="NablaException">The model was trained on a table, or the images are not its size.</exception>
    public Predictions Predict(IdxImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckImages(images.Rows, images.Columns);
        return Predict(images.Count, (start, inputs) =>
            Kernels.Gather.PixelsToInputs(images.Pixels.AsSpan(start * Network.Sizes[0], inputs.Length), inputs));
    }

    /// <summary>
    /// Predicts one image of <see cref="Images"/>' size, its 8-bit grey pixels row after row (light objects on black, as the
    /// training images). As <see cref="Predict(PredictionRow, Span{float})"/> otherwise: returns the class, allocates nothing.
    /// </summary>
    /// <exception cref="NablaException">The model was trained on a table, or there are not Rows × Columns pixels.</exception>
    public int Predict(ReadOnlySpan<byte> pixels, Span<float> output)
    {
        var images = CheckImages(null, null);
        if (pixels.Length != images.InputSize)
            throw new NablaException($"the model takes images of {images.Rows}×{images.Columns} = {images.InputSize:N0} pixels, not {pixels.Length:N0}");
        var inputs = _pass.Value!.Activation(0);
        Kernels.Gather.PixelsToInputs(pixels, inputs);
        return PredictEncoded(inputs, output);
    }

    /// <summary>The model's <see cref="Images"/>, after checking that it takes images of the given size (when given).</summary>
    private ImageInputs CheckImages(int? rows, int? columns)
    {
        var images = Images ?? throw new NablaException(
            $"the model was trained on a table (input columns {Table.ListNames(Features.Select(f => f.Name))}), not on images");
        if (rows is int r && columns is int c && (r != images.Rows || c != images.Columns))
            throw new NablaException($"the images are {r}×{c} pixels; the model takes {images.Rows}×{images.Columns}");
        return images;
    }

    /// <summary>Fills the input rows of a batch (its first example's index, the m × InputSize inputs).</summary>
    private delegate void EncodeBatch(int start, Span<float> inputs);

    /// <summary>
    /// Predicts <paramref name="n"/> examples, <see cref="BatchSize"/> at a time through the matrix path, their inputs made by
    /// <paramref name="encode"/>.
    /// </summary>
    private Predictions Predict(int n, EncodeBatch encode)
    {
        var outputs = GC.AllocateUninitializedArray<float>(checked(n * OutputSize));
        var classes = IsClassification ? new int[n] : null;
        // On this thread alone: two compute threads took 1.1-1.3 s instead of 0.4 s for 60,000 rows of [784,100,10] on the
        // busy shared machine (their workers wait for each other), and one thread is already well past a million rows a minute.
        var batch = new MiniBatch<float>(Network, Math.Max(1, Math.Min(BatchSize, n)));
        for (int start = 0; start < n; start += batch.Capacity)
        {
            int m = Math.Min(batch.Capacity, n - start);
            batch.Resize(m);
            encode(start, batch.Activation(0)[..(m * Network.Sizes[0])]);
            batch.FeedForward();
            var result = outputs.AsSpan(start * OutputSize, m * OutputSize);
            batch.Activation(Network.L).CopyTo(result);
            for (int i = 0; i < m; i++)
            {
                int c = Decode(result.Slice(i * OutputSize, OutputSize));
                if (classes is not null) classes[start + i] = c;
            }
        }
        return new Predictions(this, n, outputs, classes);
    }
}

/// <summary>One row's input values for <see cref="Predictor.Predict(PredictionRow, Span{float})"/>, kept preprocessed; reuse it call after call.</summary>
/// <remarks>Not thread-safe itself: give each thread its own row. The values stay until set again.</remarks>
public sealed class PredictionRow
{
    private readonly bool[] _set;
    private int _unset;

    internal PredictionRow(Predictor predictor)
    {
        Predictor = predictor;
        Inputs = new float[predictor.Preprocessing.InputSize];
        _set = new bool[predictor.Features.Count];
        _unset = _set.Length;
    }

    internal Predictor Predictor { get; }
    /// <summary>The network inputs the values make (standardised numbers, one-hot categories).</summary>
    internal float[] Inputs { get; }

    /// <summary>Sets a numeric column; NaN means empty (filled with the training mean if the model was trained with --missing mean).</summary>
    /// <exception cref="NablaException">No such column, a text column, or an empty value the model does not fill.</exception>
    public void Set(string column, float value) => Set(Predictor.FeatureIndex(column), value);

    /// <summary>As <see cref="Set(string, float)"/>, by the column's position in <see cref="Predictor.Features"/>.</summary>
    public void Set(int feature, float value)
    {
        var encoding = Predictor.Features[feature];
        if (encoding.Kind != ColumnKind.Numeric) throw new NablaException($"input column '{encoding.Name}' holds text; set it with a string");
        Inputs[encoding.Offset] = Predictor.Encode(feature, value);
        MarkSet(feature);
    }

    /// <summary>
    /// Sets a text column to a category; null or "" means empty. A category training never saw gives all-zero inputs
    /// (the model has nothing to say about it), as scikit-learn's OneHotEncoder(handle_unknown='ignore').
    /// </summary>
    public void Set(string column, string? category) => Set(Predictor.FeatureIndex(column), category.AsSpan(), category is null);

    /// <summary>As <see cref="Set(string, string?)"/>, by position, from characters that need not be a string.</summary>
    public void Set(int feature, ReadOnlySpan<char> category) => Set(feature, category, false);

    private void Set(int feature, ReadOnlySpan<char> category, bool isNull)
    {
        var encoding = Predictor.Features[feature];
        if (encoding.Kind != ColumnKind.Text) throw new NablaException($"input column '{encoding.Name}' holds numbers; set it with a number");
        var oneHot = Inputs.AsSpan(encoding.Offset, encoding.Width);
        if (isNull || category.IsEmpty)
        {
            if (Predictor.Preprocessing.Missing != MissingValues.Mean)
                throw new NablaException($"input column '{encoding.Name}' is empty: {Predictor.Preprocessing.MissingMessage}");
            for (int c = 0; c < oneHot.Length; c++) oneHot[c] = (float)encoding.Frequencies[c];
        }
        else
        {
            oneHot.Clear();
            int index = encoding.CategoryIndex(category);
            if (index >= 0) oneHot[index] = 1;
        }
        MarkSet(feature);
    }

    private void MarkSet(int feature)
    {
        if (!_set[feature]) { _set[feature] = true; _unset--; }
    }

    internal void CheckComplete()
    {
        if (_unset == 0) return;
        int first = Array.IndexOf(_set, false);
        throw new NablaException($"input column '{Predictor.Features[first].Name}' was not set ({_unset} of {_set.Length} columns are unset)");
    }
}

/// <summary>What <see cref="Predictor.Predict(Table)"/> gives: per row, the outputs and, for classification, the class.</summary>
public sealed class Predictions
{
    private readonly Predictor _predictor;

    internal Predictions(Predictor predictor, int count, float[] outputs, int[]? classes) =>
        (_predictor, Count, Outputs, ClassIndices) = (predictor, count, outputs, classes);

    /// <summary>The number of rows (or images) predicted.</summary>
    public int Count { get; }
    /// <summary>Row after row, <see cref="Predictor.OutputSize"/> values each: class probabilities, or values in the targets' units.</summary>
    public float[] Outputs { get; }
    /// <summary>For classification, each row's class (an index into <see cref="Predictor.Classes"/>); null for regression.</summary>
    public int[]? ClassIndices { get; }

    /// <summary>The outputs of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row) => Outputs.AsSpan(row * _predictor.OutputSize, _predictor.OutputSize);
    /// <summary>The predicted class name of row <paramref name="row"/> (classification only).</summary>
    public string ClassName(int row) => ClassIndices is null ? throw new NablaException("a regression model predicts values, not classes") : _predictor.Classes[ClassIndices[row]];
}
