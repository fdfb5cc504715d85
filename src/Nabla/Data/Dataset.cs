using System.Numerics;
using Nabla.Kernels;

namespace Nabla.Data;

/// <summary>The shape of an image: <see cref="Rows"/> × <see cref="Columns"/> pixels, stored row after row.</summary>
public readonly record struct ImageShape(int Rows, int Columns)
{
    /// <summary>Rows × columns: the length of the input vector the image is.</summary>
    public int Pixels => Rows * Columns;

    /// <summary>"rows×columns", e.g. <c>28×28</c>.</summary>
    public override string ToString() => $"{Rows}×{Columns}";
}

/// <summary>
/// Examples to learn from: <see cref="Count"/> input vectors of <see cref="InputSize"/> floats, stored as contiguous rows of
/// <see cref="Inputs"/>, each with a target y. For classification the target is a class (<see cref="Labels"/>, below
/// <see cref="ClassCount"/>; y is its one-hot vector); for regression it is a row of <see cref="OutputSize"/> real values
/// (<see cref="Targets"/>). Either way the network's output layer has <see cref="OutputSize"/> neurons.
/// </summary>
public sealed class Dataset
{
    /// <summary>Number of classes of (Fashion-)MNIST.</summary>
    public const int MnistClassCount = 10;

    private float[]? _inputs;
    private readonly byte[]? _pixels;

    /// <summary>All inputs, example after example: example i is <c>Inputs[i*InputSize .. (i+1)*InputSize]</c>.</summary>
    /// <remarks>A data set read from IDX files keeps its 8-bit pixels (a quarter of the memory, and of the memory traffic
    /// when training gathers mini-batches from them) and makes these floats, pixel / 255f, only when first asked.</remarks>
    public float[] Inputs => _inputs ??= PixelsToInputs(_pixels!);

    /// <summary>The 8-bit pixels behind <see cref="Inputs"/> (input = pixel / 255f), when the data came from images; else null.</summary>
    internal byte[]? Pixels => _pixels;
    /// <summary>For classification, the class of each example, each below <see cref="ClassCount"/>; null for regression.</summary>
    public int[]? Labels { get; }
    /// <summary>For regression, the targets, example after example (rows of <see cref="OutputSize"/> values); null for classification.</summary>
    public float[]? Targets { get; }
    /// <summary>True when the targets are classes (<see cref="Labels"/>), false when they are real values (<see cref="Targets"/>).</summary>
    public bool IsClassification => Labels is not null;
    /// <summary>n, the number of examples.</summary>
    public int Count { get; }
    /// <summary>The length of an input vector x: the input layer's neurons (784 for 28×28 images).</summary>
    public int InputSize { get; }
    /// <summary>The number of classes; 0 for regression.</summary>
    public int ClassCount { get; }
    /// <summary>The length of a target vector y: <see cref="ClassCount"/> (one-hot) for classification, the number of values for regression.</summary>
    public int OutputSize => IsClassification ? ClassCount : _targetSize;

    private readonly int _targetSize;

    /// <summary>
    /// When each input is an image, its shape (IDX files give it); null for data without one, such as a table's rows. What moves
    /// pixels (<see cref="ImageExpansion"/>) needs it.
    /// </summary>
    /// <exception cref="NablaException">Set to a shape whose pixels are not <see cref="InputSize"/>.</exception>
    public ImageShape? ImageShape
    {
        get;
        init => field = value is not { } shape || (shape.Rows > 0 && shape.Columns > 0 && (long)shape.Rows * shape.Columns == InputSize) ? value
            : throw new NablaException($"Dataset: images of {shape.Rows}×{shape.Columns} pixels are not inputs of size {InputSize}.");
    }

    /// <summary>Classification data: wraps (does not copy) the arrays after checking that they agree and every label is a valid class.</summary>
    /// <exception cref="NablaException">Sizes disagree or a label is out of range; the message names the example.</exception>
    public Dataset(float[] inputs, int[] labels, int inputSize, int classCount = MnistClassCount)
        : this(inputs, null, labels, null, inputSize, classCount) { }

    /// <summary>Wraps 8-bit pixels (input = pixel / 255f) and their labels, checked like the public constructor.</summary>
    internal Dataset(byte[] pixels, int[] labels, int inputSize, int classCount = MnistClassCount)
        : this(null, pixels, labels, null, inputSize, classCount) { }

    private Dataset(float[]? inputs, byte[]? pixels, int[]? labels, float[]? targets, int inputSize, int classOrTargetCount)
    {
        if (inputs is null) ArgumentNullException.ThrowIfNull(pixels);
        if (labels is null) ArgumentNullException.ThrowIfNull(targets);
        long values = inputs?.Length ?? pixels!.Length;
        string unit = inputs is null ? "pixels" : "floats";
        if (inputSize <= 0)
            throw new NablaException($"Dataset: the input size must be positive, not {inputSize}.");
        if (labels is not null)
        {
            if (classOrTargetCount <= 0)
                throw new NablaException($"Dataset: the class count must be at least 1, not {classOrTargetCount}.");
            Count = labels.Length;
            int bad = FirstLabelOutOfRange(labels, classOrTargetCount);
            if (bad >= 0)
                throw new NablaException($"Dataset: the label of example {bad} is {labels[bad]}, not a class 0..{classOrTargetCount - 1}.");
            ClassCount = classOrTargetCount;
        }
        else
        {
            if (classOrTargetCount <= 0)
                throw new NablaException($"Dataset: the number of target values per example must be at least 1, not {classOrTargetCount}.");
            if (targets!.Length % classOrTargetCount != 0)
                throw new NablaException($"Dataset: {targets.Length} target values are not whole rows of {classOrTargetCount}.");
            Count = targets.Length / classOrTargetCount;
            _targetSize = classOrTargetCount;
        }
        if ((long)Count * inputSize != values)
            throw new NablaException(
                $"Dataset: {Count} {(labels is not null ? "labels" : "target rows")} need {(long)Count * inputSize} inputs of size {inputSize}, but there are {values} {unit}.");
        _inputs = inputs;
        _pixels = pixels;
        Labels = labels;
        Targets = targets;
        InputSize = inputSize;
    }

    /// <summary>Regression data: <paramref name="targets"/> holds <paramref name="targetSize"/> real values per example, row after row. Wrapped, not copied.</summary>
    /// <exception cref="NablaException">The sizes disagree.</exception>
    public static Dataset ForRegression(float[] inputs, float[] targets, int inputSize, int targetSize)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        return new Dataset(inputs, null, null, targets, inputSize, targetSize);
    }

    private static float[] PixelsToInputs(byte[] pixels)
    {
        var inputs = GC.AllocateUninitializedArray<float>(pixels.Length);
        Gather.PixelsToInputs(pixels, inputs);
        return inputs;
    }

    /// <summary>
    /// Row i of <paramref name="destination"/> = the target y of example <c>indices[i]</c>: the one-hot vector of its class, or
    /// its row of values. <paramref name="destination"/> holds <c>indices.Length</c> rows of <see cref="OutputSize"/>.
    /// </summary>
    public void GatherTargets<T>(ReadOnlySpan<int> indices, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Labels is not null) Gather.OneHot(Labels, indices, destination, ClassCount);
        else Gather.Rows(Targets!, _targetSize, indices, destination);
    }

    /// <summary>The input vector of example <paramref name="index"/>.</summary>
    /// <exception cref="NablaException">There is no such example.</exception>
    public ReadOnlySpan<float> Input(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new NablaException($"Dataset: example {index} does not exist; there are {Count}.");
        return Inputs.AsSpan(index * InputSize, InputSize);
    }

    /// <summary>A copy of examples <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    /// <exception cref="NablaException">The range is not within the data set.</exception>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || (long)start + count > Count)
            throw new NablaException($"Dataset: cannot take {count} examples from {start}; there are {Count}.");
        var labels = Labels?.AsSpan(start, count).ToArray();
        var targets = Targets?.AsSpan(start * _targetSize, count * _targetSize).ToArray();
        var pixels = _pixels?.AsSpan(start * InputSize, count * InputSize).ToArray();
        var inputs = pixels is null ? Inputs.AsSpan(start * InputSize, count * InputSize).ToArray() : null;
        return new Dataset(inputs, pixels, labels, targets, InputSize, IsClassification ? ClassCount : _targetSize) { ImageShape = ImageShape };
    }

    /// <summary>
    /// Reads an IDX image file and its IDX label file; each pixel becomes <c>pixel / 255f</c>, in [0, 1].
    /// </summary>
    /// <param name="imagesPath">The IDX image file (raw or gzip).</param>
    /// <param name="labelsPath">The IDX label file of the same examples.</param>
    /// <param name="limits">Caps on what each file's header may claim (<see cref="IdxLimits.Default"/> when null).</param>
    /// <exception cref="InvalidFileException">A file is invalid or over the limits, the counts disagree, or a label is not 0..9.</exception>
    /// <exception cref="NablaException">A file is missing or unreadable.</exception>
    public static Dataset FromIdx(string imagesPath, string labelsPath, IdxLimits? limits = null)
    {
        var (images, labels) = ReadPair(imagesPath, labelsPath, limits);
        return FromPixels(images, labels, 0, labels.Length);
    }

    /// <summary>
    /// Reads and cross-checks an image file and its label file. The labels come first: the image header must claim as
    /// many images, checked before the pixels are allocated.
    /// </summary>
    internal static (IdxImages Images, int[] Labels) ReadPair(string imagesPath, string labelsPath, IdxLimits? limits = null)
    {
        var labels = Array.ConvertAll(Idx.ReadLabels(labelsPath, limits), label => (int)label);
        var images = Idx.ReadImages(imagesPath, limits, (labelsPath, labels.Length));
        int bad = FirstLabelOutOfRange(labels, MnistClassCount);
        if (bad >= 0)
            throw new InvalidFileException(labelsPath, 8 + bad,
                $"the label of example {bad} is {labels[bad]}, not a class 0..{MnistClassCount - 1}");
        return (images, labels);
    }

    /// <summary>
    /// Builds a dataset from examples <paramref name="start"/> .. start + count − 1 of already checked pixels and
    /// labels, keeping the 8-bit pixels (inputs pixel / 255f are made from them where needed).
    /// </summary>
    internal static Dataset FromPixels(IdxImages images, int[] labels, int start, int count)
    {
        int inputSize = images.Rows * images.Columns;
        var pixels = start == 0 && count * inputSize == images.Pixels.Length
            ? images.Pixels
            : images.Pixels.AsSpan(start * inputSize, count * inputSize).ToArray();
        return new Dataset(pixels, labels.AsSpan(start, count).ToArray(), inputSize) { ImageShape = new ImageShape(images.Rows, images.Columns) };
    }

    private static int FirstLabelOutOfRange(ReadOnlySpan<int> labels, int classCount)
    {
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classCount)
                return i;
        return -1;
    }
}
