namespace Nabla;

/// <summary>
/// Training produced NaN or infinity (in the output error δ^L or the parameters): the learning rate is
/// almost always too large. Says where: the epoch and the mini-batch.
/// </summary>
public sealed class TrainingDivergedException : NablaException
{
    /// <summary>The epoch (from 0) in which it happened, when known.</summary>
    public int? Epoch { get; }
    /// <summary>The mini-batch of that epoch (from 0), or null when it was found at the end of the epoch.</summary>
    public int? MiniBatch { get; }

    /// <summary>A message that names the epoch, the mini-batch and <paramref name="what"/> became NaN or infinite, and suggests a smaller η.</summary>
    public TrainingDivergedException(int? epoch, int? miniBatch, string what)
        : base($"training diverged{(epoch is int e ? $" in epoch {e}" : "")}{(miniBatch is int b ? $", mini-batch {b}" : ", at the end of the epoch")}: " +
               $"{what} became NaN or infinite. The learning rate η is probably too large: try a smaller one (e.g. a tenth)")
    {
        Epoch = epoch;
        MiniBatch = miniBatch;
        What = what;
    }

    internal string What { get; }

    /// <summary>The same failure, with the epoch filled in.</summary>
    internal TrainingDivergedException InEpoch(int epoch) => new(epoch, MiniBatch, What);
}
