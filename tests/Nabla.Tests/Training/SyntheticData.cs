namespace Nabla.Tests.Training;

/// <summary>Small seeded data sets for training tests: inputs in [0, 1), labels that depend on the inputs (so there is something to learn).</summary>
internal static class SyntheticData
{
    public static Dataset Make(int inputSize, int classes, int count, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[inputSize * count];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            for (int k = 0; k < inputSize; k++) inputs[i * inputSize + k] = (float)random.NextDouble();
            // The class is the input block with the largest sum.
            int block = Math.Max(1, inputSize / classes), best = 0;
            double bestSum = double.MinValue;
            for (int c = 0; c < classes; c++)
            {
                double sum = 0;
                for (int k = c * block; k < Math.Min(inputSize, (c + 1) * block); k++) sum += inputs[i * inputSize + k];
                if (sum > bestSum) (best, bestSum) = (c, sum);
            }
            labels[i] = best;
        }
        return new Dataset(inputs, labels, inputSize, classes);
    }
}

internal static class DatasetShapes
{
    /// <summary>The same examples, their inputs taken as images of <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    public static Dataset WithShape(this Dataset data, int rows, int columns) =>
        new(data.Inputs, data.Labels!, data.InputSize, data.ClassCount) { ImageShape = new ImageShape(rows, columns) };
}
