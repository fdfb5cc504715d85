using Nabla.Kernels;

namespace Nabla.Data;

/// <summary>
/// Labelled examples for classification: <see cref="Count"/> input vectors of <see cref="InputSize"/> floats, stored
/// as contiguous rows of <see cref="Inputs"/>, each with a class label below <see cref="ClassCount"/>.
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
    /// <summary>The class of each example, each below <see cref="ClassCount"/>.</summary>
    public byte[] Labels { get; }
    public int Count { get; }
    public int InputSize { get; }
    public int ClassCount { get; }

    /// <summary>Wraps (does not copy) the arrays after checking that they agree and every label is a valid class.</summary>
    /// <exception cref="NablaException">Sizes disagree or a label is out of range; the message names the example.</exception>
    public Dataset(float[] inputs, byte[] labels, int inputSize, int classCount = MnistClassCount)
        : this(inputs, null, labels, inputSize, classCount) { }

    /// <summary>Wraps 8-bit pixels (input = pixel / 255f) and their labels, checked like the public constructor.</summary>
    internal Dataset(byte[] pixels, byte[] labels, int inputSize, int classCount = MnistClassCount)
        : this(null, pixels, labels, inputSize, classCount) { }

    private Dataset(float[]? inputs, byte[]? pixels, byte[] labels, int inputSize, int classCount)
    {
        if (inputs is null) ArgumentNullException.ThrowIfNull(pixels);
        Check(inputs?.Length ?? pixels!.Length, inputs is null ? "pixels" : "floats", labels, inputSize, classCount);
        _inputs = inputs;
        _pixels = pixels;
        Labels = labels;
        Count = labels.Length;
        InputSize = inputSize;
        ClassCount = classCount;
    }

    private static void Check(long values, string unit, byte[] labels, int inputSize, int classCount)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (inputSize <= 0)
            throw new NablaException($"Dataset: the input size must be positive, not {inputSize}.");
        if (classCount is <= 0 or > 256)
            throw new NablaException($"Dataset: the class count must be between 1 and 256, not {classCount}.");
        if ((long)labels.Length * inputSize != values)
            throw new NablaException(
                $"Dataset: {labels.Length} labels need {(long)labels.Length * inputSize} inputs of size {inputSize}, but there are {values} {unit}.");
        int bad = FirstLabelOutOfRange(labels, classCount);
        if (bad >= 0)
            throw new NablaException($"Dataset: the label of example {bad} is {labels[bad]}, not a class 0..{classCount - 1}.");
    }

    private static float[] PixelsToInputs(byte[] pixels)
    {
        var inputs = GC.AllocateUninitializedArray<float>(pixels.Length);
        Gather.PixelsToInputs(pixels, inputs);
        return inputs;
    }

    /// <summary>The input vector of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Input(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new NablaException($"Dataset: example {index} does not exist; there are {Count}.");
        return Inputs.AsSpan(index * InputSize, InputSize);
    }

    /// <summary>A copy of examples <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || (long)start + count > Count)
            throw new NablaException($"Dataset: cannot take {count} examples from {start}; there are {Count}.");
        var labels = Labels.AsSpan(start, count).ToArray();
        return _pixels is not null
            ? new Dataset(_pixels.AsSpan(start * InputSize, count * InputSize).ToArray(), labels, InputSize, ClassCount)
            : new Dataset(Inputs.AsSpan(start * InputSize, count * InputSize).ToArray(), labels, InputSize, ClassCount);
    }

    /// <summary>
    /// Reads an IDX image file and its IDX label file; each pixel becomes <c>pixel / 255f</c>, in [0, 1].
    /// </summary>
    /// <exception cref="InvalidFileException">A file is invalid, the counts disagree, or a label is not 0..9.</exception>
    /// <exception cref="NablaException">A file is missing or unreadable.</exception>
    public static Dataset FromIdx(string imagesPath, string labelsPath)
    {
        var (images, labels) = ReadPair(imagesPath, labelsPath);
        return FromPixels(images, labels, 0, labels.Length);
    }

    /// <summary>Reads and cross-checks an image file and its label file.</summary>
    internal static (IdxImages Images, byte[] Labels) ReadPair(string imagesPath, string labelsPath)
    {
        var images = Idx.ReadImages(imagesPath);
        var labels = Idx.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new InvalidFileException(labelsPath, 4,
                $"holds {labels.Length:N0} labels but the image file {imagesPath} holds {images.Count:N0} images; the counts must agree");
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
    internal static Dataset FromPixels(IdxImages images, byte[] labels, int start, int count)
    {
        int inputSize = images.Rows * images.Columns;
        var pixels = start == 0 && count * inputSize == images.Pixels.Length
            ? images.Pixels
            : images.Pixels.AsSpan(start * inputSize, count * inputSize).ToArray();
        return new Dataset(pixels, labels.AsSpan(start, count).ToArray(), inputSize);
    }

    private static int FirstLabelOutOfRange(ReadOnlySpan<byte> labels, int classCount)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classCount)
                return i;
        return -1;
    }
}
