using System.Numerics;

namespace Nabla.Diagnostics;

/// <summary>The saturation figures of every layer at one moment of training.</summary>
/// <param name="Epoch">Epochs of training done so far (fractional: 0.25 is a quarter of the first epoch).</param>
/// <param name="Report">The figures at that moment.</param>
public sealed record TrainingSnapshot(double Epoch, SaturationReport Report);

/// <summary>
/// Watches learning slow down: trains with <see cref="Sgd{T}"/> and, a few times per epoch, measures every layer's
/// saturation and gradient norms on a fixed sample of the training data.
/// </summary>
public static class LearningSlowdown
{
    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs, taking a snapshot before training and then
    /// <paramref name="snapshotsPerEpoch"/> times per epoch (at the progress reports of <see cref="Sgd{T}.TrainEpoch"/>).
    /// </summary>
    public static IReadOnlyList<TrainingSnapshot> Track<T>(Sgd<T> sgd, Dataset training, int epochs, IReadOnlyList<int> sample,
        int snapshotsPerEpoch = 10, SaturationOptions? options = null, CancellationToken cancellation = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (epochs < 0) throw new NablaException($"the number of epochs must be 0 or more, got {epochs}");
        if (snapshotsPerEpoch < 1) throw new NablaException($"snapshots per epoch must be at least 1, got {snapshotsPerEpoch}");
        var snapshots = new List<TrainingSnapshot> { new(0, Saturation.Measure(sgd.Network, sgd.Cost, training, sample, options)) };
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int next = 1; // the next snapshot is due after next/snapshotsPerEpoch of the epoch
            sgd.TrainEpoch(training, done =>
            {
                if ((long)done * snapshotsPerEpoch < (long)next * training.Count) return;
                snapshots.Add(new(epoch + (double)done / training.Count, Saturation.Measure(sgd.Network, sgd.Cost, training, sample, options)));
                while ((long)next * training.Count <= (long)done * snapshotsPerEpoch) next++;
            }, cancellation);
        }
        return snapshots;
    }
}
