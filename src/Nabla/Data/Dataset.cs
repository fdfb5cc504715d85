using System.Numerics.Tensors;

namespace Nabla.Data;

/// <summary>
/// Labelled examples for classification: <see cref="Count"/> input vectors of <see cref="InputSize"/> floats, stored
/// as contiguous rows of <see cref="Inputs"/>, each with a class label below <see cref="ClassCount"/>.
/// </summary>
public sealed class Dataset
{
    /// <summary>Number of classes of (Fashion-)MNIST.</summary>
    public const int MnistClassCount = 10;

    /// <summary>All inputs, example after example: example i is <c>Inputs[i*InputSize .. (i+1)*InputSize]</c>.</summary>
    public float[] Inputs { get; }
    /// <summary>The class of each example, each below <see cref="ClassCount"/>.</summary>
    public byte[] Labels { get; }
    public int Count { get; }
    public int InputSize { get; }
    public int ClassCount { get; }

    /// <summary>Wraps (does not copy) the arrays after checking that they agree and every label is a valid class.</summary>
    /// <exception cref="NablaException">Sizes disagree or a label is out of range; the message names the example.</exception>
    public Dataset(float[] inputs, byte[] labels, int inputSize, int classCount = MnistClassCount)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputSize <= 0)
            throw new NablaException($"Dataset: the input size must be positive, not {inputSize}.");
        if (classCount is <= 0 or > 256)
            throw new NablaException($"Dataset: the class count must be between 1 and 256, not {classCount}.");
        if ((long)labels.Length * inputSize != inputs.Length)
            throw new NablaException(
                $"Dataset: {labels.Length} labels need {(long)labels.Length * inputSize} inputs of size {inputSize}, but there are {inputs.Length} floats.");
        int bad = FirstLabelOutOfRange(labels, classCount);
        if (bad >= 0)
            throw new NablaException($"Dataset: the label of example {bad} is {labels[bad]}, not a class 0..{classCount - 1}.");

        Inputs = inputs;
        Labels = labels;
        Count = labels.Length;
        InputSize = inputSize;
        ClassCount = classCount;
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
        return new Dataset(
            Inputs.AsSpan(start * InputSize, count * InputSize).ToArray(),
            Labels.AsSpan(start, count).ToArray(),
            InputSize,
            ClassCount);
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
    /// labels, converting only those pixels (so splitting a large file does not hold two float copies of it).
    /// </summary>
    internal static Dataset FromPixels(IdxImages images, byte[] labels, int start, int count)
    {
        int inputSize = images.Rows * images.Columns;
        var pixels = images.Pixels.AsSpan(start * inputSize, count * inputSize);
        var inputs = GC.AllocateUninitializedArray<float>(pixels.Length);
        TensorPrimitives.ConvertChecked<byte, float>(pixels, inputs);
        TensorPrimitives.Divide(inputs, 255f, inputs);
        return new Dataset(inputs, labels.AsSpan(start, count).ToArray(), inputSize);
    }

    private static int FirstLabelOutOfRange(ReadOnlySpan<byte> labels, int classCount)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classCount)
                return i;
        return -1;
    }
}
