using System.Numerics;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// Inverted dropout on the hidden layers (chapter 3): during training each hidden neuron of each example is dropped with
/// probability p, and the ones kept are scaled by 1/(1 − p), so that the expected activation is unchanged and evaluation
/// needs no rescaling. <see cref="Draw"/> takes one number from the trainer's seeded generator per step; the masks of every
/// layer follow from it (<see cref="DropoutMask"/>), so they are computed where they are used, inside the forward pass and
/// BP2, and never stored.
/// </summary>
public sealed class Dropout
{
    private readonly uint _threshold;
    private ulong _key;

    /// <summary>p, the probability of dropping a hidden neuron.</summary>
    public double Probability { get; }

    /// <summary>Dropout that drops each hidden neuron with probability <paramref name="probability"/>.</summary>
    /// <exception cref="NablaException"><paramref name="probability"/> is not in [0, 1).</exception>
    public Dropout(double probability)
    {
        if (!(probability >= 0 && probability < 1)) throw new NablaException($"the dropout probability p must be in [0, 1), got {probability}");
        Probability = probability;
        _threshold = DropoutMask.Threshold(probability);
    }

    /// <summary>New masks for the next step, from <paramref name="random"/> (one draw).</summary>
    public void Draw(Xoshiro256 random) => _key = random.NextUInt64();

    /// <summary>Whether neuron j of example i of hidden layer l (n neurons) is kept under the current masks.</summary>
    public bool Keeps(int l, int i, int j, int n) => DropoutMask.Keeps(LayerKey(l), _threshold, (uint)(i * n + j));

    /// <summary>1/(1 − p), the factor of the neurons kept.</summary>
    public T Scale<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One - T.CreateChecked(Probability));

    /// <summary>destination = mask^l ⊙ source for the elements [firstIndex, firstIndex + length) of hidden layer l (i·n + j).</summary>
    internal void Apply<T>(int l, ReadOnlySpan<T> source, Span<T> destination, int firstIndex) where T : unmanaged, IFloatingPointIeee754<T> =>
        DropoutMask.Apply(source, destination, LayerKey(l), _threshold, Scale<T>(), firstIndex);

    // Each layer its own key, spread from the step's.
    private ulong LayerKey(int l) => Xoshiro256.SplitMix64(_key, (ulong)l);
}
