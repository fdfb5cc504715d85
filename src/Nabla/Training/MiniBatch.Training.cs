using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// Inverted dropout on the hidden layers (chapter 3): during training each hidden neuron of each example
/// is dropped with probability p, and the ones kept are scaled by 1/(1 − p), so that the expected
/// activation is unchanged and evaluation needs no rescaling. The masks (0 or 1/(1 − p)) are drawn from
/// the trainer's seeded generator; their buffers are made once.
/// </summary>
public sealed class Dropout<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _mask;    // for hidden layers l = 1…L−1: Capacity × n_l
    private readonly T[] _scratch;   // σ(z^l) of one hidden layer, unmasked, for σ'

    /// <summary>p, the probability of dropping a hidden neuron.</summary>
    public double Probability { get; }

    public Dropout(IReadOnlyList<int> sizes, int capacity, double probability)
    {
        if (!(probability >= 0 && probability < 1)) throw new NablaException($"the dropout probability p must be in [0, 1), got {probability}");
        Probability = probability;
        _mask = sizes.Select((n, l) => l == 0 || l == sizes.Count - 1 ? [] : new T[capacity * n]).ToArray();
        _scratch = new T[capacity * sizes.Skip(1).SkipLast(1).DefaultIfEmpty(0).Max()];
    }

    /// <summary>The mask of hidden layer l for the first <paramref name="length"/> entries.</summary>
    internal Span<T> Mask(int l, int length) => _mask[l].AsSpan(0, length);
    internal Span<T> Scratch(int length) => _scratch.AsSpan(0, length);

    /// <summary>Draws new masks for m examples.</summary>
    public void Draw(Xoshiro256 random, int m, IReadOnlyList<int> sizes)
    {
        T keep = T.One / (T.One - T.CreateChecked(Probability));
        for (int l = 1; l < sizes.Count - 1; l++)
            foreach (ref T x in Mask(l, m * sizes[l])) x = random.NextDouble() < Probability ? T.Zero : keep;
    }
}

public sealed partial class MiniBatch<T>
{
    /// <summary>
    /// <see cref="FeedForward"/> with inverted dropout: a^l = mask^l ⊙ σ(z^l) for each hidden layer l,
    /// so the next layer (and BP4) sees only the kept neurons. Draw the masks first.
    /// </summary>
    public void FeedForwardWithDropout(Dropout<T> dropout)
    {
        for (int l = 1; l <= L; l++)
        {
            Gemm.MultiplyTransposedAddBias<T>(Activation(l - 1), Network.Weights[l].Data, Network.Biases[l], WeightedInput(l), Size, Sizes[l], Sizes[l - 1]);
            Network.Activations[l].Apply<T>(WeightedInput(l), Activation(l), Sizes[l]);
            if (l < L) TensorPrimitives.Multiply<T>(Activation(l), dropout.Mask(l, Size * Sizes[l]), Activation(l));
        }
    }

    /// <summary>
    /// BP1 and BP2 through the dropout masks: a^l = mask ⊙ σ(z^l) gives
    /// δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ mask ⊙ σ'(z^l). σ' is taken at the unmasked σ(z^l), recomputed into a
    /// scratch buffer, because a^l itself holds the masked values that BP4 needs.
    /// </summary>
    public void BackpropagateErrorWithDropout(Cost cost, Dropout<T> dropout)
    {
        // BP1: δ^L = ∇_a C ⊙ σ'(z^L); the output layer has no dropout.
        cost.OutputError<T>(Network.Activations[L], WeightedInput(L), Activation(L), Targets, Delta(L), Sizes[L]);
        for (int l = L - 1; l >= 1; l--)
        {
            int length = Size * Sizes[l];
            // BP2 with the mask: δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ mask^l ⊙ σ'(z^l)
            Gemm.Multiply<T>(Delta(l + 1), Network.Weights[l + 1].Data, Delta(l), Size, Sizes[l], Sizes[l + 1]);
            TensorPrimitives.Multiply<T>(Delta(l), dropout.Mask(l, length), Delta(l));
            var unmasked = dropout.Scratch(length);
            Network.Activations[l].Apply<T>(WeightedInput(l), unmasked, Sizes[l]);
            Network.Activations[l].MultiplyByDerivative<T>(WeightedInput(l), unmasked, Delta(l), Delta(l), Sizes[l]);
        }
    }

    /// <summary>
    /// ∇C for this batch into <paramref name="gradient"/> (overwritten): the mean (1/m) Σ_x of BP3 and BP4,
    /// for the optimisers that need ∇C itself rather than the fused step.
    /// </summary>
    public void ComputeMeanGradient(Gradient<T> gradient)
    {
        for (int l = 1; l <= L; l++)
        {
            gradient.Biases[l].AsSpan().Clear();
            gradient.Weights[l].Data.AsSpan().Clear();
        }
        AccumulateGradient(gradient);
        T scale = T.One / T.CreateChecked(Size);
        for (int l = 1; l <= L; l++)
        {
            TensorPrimitives.Multiply<T>(gradient.Biases[l], scale, gradient.Biases[l]);
            TensorPrimitives.Multiply<T>(gradient.Weights[l].Data, scale, gradient.Weights[l].Data);
        }
    }
}
