using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>
/// Counts of (true class, predicted class) over a data set, and what follows from them: accuracy, and per class
/// precision (of the examples predicted c, the share that are c) and recall (of the examples that are c, the share predicted c).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _counts;

    /// <summary>An empty matrix for <paramref name="classes"/> classes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ClassCount = classes;
        _counts = new int[classes * classes];
    }

    /// <summary>The number of classes: the matrix is ClassCount × ClassCount.</summary>
    public int ClassCount { get; }
    /// <summary>How many examples of class <paramref name="actual"/> were predicted <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] =>
        (uint)actual < (uint)ClassCount && (uint)predicted < (uint)ClassCount ? _counts[actual * ClassCount + predicted]
            : throw new ArgumentOutOfRangeException(null, $"classes are 0 to {ClassCount - 1}; got actual {actual}, predicted {predicted}");
    /// <summary>The number of examples counted.</summary>
    public int Total => _counts.Sum();
    /// <summary>The examples predicted right: the diagonal's sum.</summary>
    public int Correct => Enumerable.Range(0, ClassCount).Sum(c => this[c, c]);
    /// <summary>Correct / Total, 0 to 1; NaN when nothing was counted.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
    /// <summary>Examples of class c.</summary>
    public int Support(int c) => Enumerable.Range(0, ClassCount).Sum(p => this[c, p]);
    /// <summary>Examples predicted c.</summary>
    public int Predicted(int c) => Enumerable.Range(0, ClassCount).Sum(a => this[a, c]);
    /// <summary>Of the examples predicted c, the share that are c; NaN when none was predicted c.</summary>
    public double Precision(int c) => Predicted(c) == 0 ? double.NaN : (double)this[c, c] / Predicted(c);
    /// <summary>Of the examples of class c, the share predicted c; NaN when there are none.</summary>
    public double Recall(int c) => Support(c) == 0 ? double.NaN : (double)this[c, c] / Support(c);

    /// <summary>Counts one example of class <paramref name="actual"/> predicted <paramref name="predicted"/>; both must be in [0, <see cref="ClassCount"/>).</summary>
    public void Add(int actual, int predicted)
    {
        // Each index checked on its own: a flat index in range can still name the wrong cell (3 classes: (0, 5) is [1, 2]).
        if ((uint)actual >= (uint)ClassCount || (uint)predicted >= (uint)ClassCount)
            throw new ArgumentOutOfRangeException(actual < 0 || actual >= ClassCount ? nameof(actual) : nameof(predicted),
                $"classes are 0 to {ClassCount - 1}; got actual {actual}, predicted {predicted}");
        _counts[actual * ClassCount + predicted]++;
    }

    /// <summary>The confusion matrix of <paramref name="network"/> (argmax of a^L) on classification data.</summary>
    public static ConfusionMatrix Of<T>(Network<T> network, Dataset data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!data.IsClassification) throw new NablaException("a confusion matrix needs classes; this data holds real-valued targets");
        var matrix = new ConfusionMatrix(network.Sizes[^1]);
        int n = network.Sizes[^1];
        EvaluationBatches.ForEachBatch(network, data, (batch, start) =>
        {
            var output = batch.Activation(network.L);
            for (int i = 0; i < batch.Size; i++)
                matrix.Add(data.Labels![start + i], TensorPrimitives.IndexOfMax<T>(output.Slice(i * n, n)));
        });
        return matrix;
    }
}

/// <summary>
/// How close a regression network comes, in the targets' own units: mean squared error, mean absolute error, and R²
/// (1 − residual sum of squares / total sum of squares about the mean, averaged over targets as scikit-learn's r2_score).
/// </summary>
public sealed record RegressionScores(double MeanSquaredError, double MeanAbsoluteError, double RSquared, int Count)
{
    /// <summary>
    /// The scores of <paramref name="network"/> on regression <paramref name="data"/>. Targets and outputs are compared after
    /// undoing the standardisation: value = standardised × <paramref name="deviations"/>[t] + mean (null: as they are).
    /// </summary>
    public static RegressionScores Of<T>(Network<T> network, Dataset data, IReadOnlyList<double>? deviations = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (data.IsClassification) throw new NablaException("regression scores need real-valued targets; this data holds classes");
        int targets = data.OutputSize;
        if (deviations is not null && deviations.Count != targets) throw new NablaException($"{deviations.Count} deviations for {targets} targets");
        var squared = new double[targets];
        var absolute = new double[targets];
        var sum = new double[targets];
        var sumOfSquares = new double[targets];
        EvaluationBatches.ForEachBatch(network, data, (batch, start) =>
        {
            var output = batch.Activation(network.L);
            var y = batch.Targets;
            for (int k = 0; k < batch.Size * targets; k++)
            {
                int t = k % targets;
                double target = double.CreateChecked(y[k]), error = double.CreateChecked(output[k]) - target;
                squared[t] += error * error;
                absolute[t] += Math.Abs(error);
                sum[t] += target;
                sumOfSquares[t] += target * target;
            }
        });
        int n = data.Count;
        double mse = 0, mae = 0, r2 = 0;
        for (int t = 0; t < targets; t++)
        {
            double scale = deviations?[t] ?? 1;
            mse += squared[t] / n * scale * scale;
            mae += absolute[t] / n * scale;
            double total = sumOfSquares[t] - sum[t] * sum[t] / n; // Σ (y − ȳ)², scale-free like the ratio it enters
            r2 += total > 0 ? 1 - squared[t] / total : double.NaN;
        }
        return new RegressionScores(mse / targets, mae / targets, r2 / targets, n);
    }

    /// <summary>"MSE …, MAE …, R² …", five significant digits (R² to four decimals).</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"MSE {MeanSquaredError:G5}, MAE {MeanAbsoluteError:G5}, R² {RSquared:F4}");
}

/// <summary>The forward pass over a whole data set, in batches through the matrix path, for the scores above.</summary>
internal static class EvaluationBatches
{
    /// <summary>Feeds <paramref name="data"/> forward in batches (the matrix path) and hands each batch, with the index of its first example, to <paramref name="use"/>.</summary>
    internal static void ForEachBatch<T>(Network<T> network, Dataset data, Action<MiniBatch<T>, int> use) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var batch = new MiniBatch<T>(network, Math.Max(1, Math.Min(500, data.Count)));
        var indices = new int[batch.Capacity];
        for (int start = 0; start < data.Count; start += batch.Capacity)
        {
            int m = Math.Min(batch.Capacity, data.Count - start);
            for (int i = 0; i < m; i++) indices[i] = start + i;
            batch.Load(data, indices.AsSpan(0, m));
            batch.FeedForward();
            use(batch, start);
        }
    }
}
