using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>
/// The log-likelihood cost of chapter 3: C_x = −ln a^L_y for the right class y, i.e. −Σ_j y_j ln a_j
/// with a one-hot y; ∇_a C_x = −y / a. With softmax outputs the Jacobian and the gradient cancel and
/// BP1 is δ^L = a^L − y, just as cross-entropy does for sigmoid outputs.
/// </summary>
public sealed class LogLikelihoodCost : Cost
{
    /// <inheritdoc/>
    public override string Name => "log-likelihood";

    /// <inheritdoc/>
    public override T Total<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y)
    {
        T sum = T.Zero;
        for (int i = 0; i < a.Length; i++)
            if (y[i] != T.Zero) sum -= y[i] * T.Log(a[i]); // 0·ln a = 0, even where a = 0
        return sum;
    }

    /// <inheritdoc/>
    public override void Gradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> gradient)
    {
        for (int i = 0; i < a.Length; i++) gradient[i] = y[i] == T.Zero ? T.Zero : -y[i] / a[i];
    }

    /// <summary>−ln a_y is the log-likelihood of a distribution over the classes: softmax outputs, which sum to 1.</summary>
    public override void CheckOutputActivation(Activation output)
    {
        if (output is not SoftmaxActivation)
            throw new NablaException($"the log-likelihood cost needs outputs that form a probability distribution, but the output layer's {output.Name} " +
                                     "does not give one; use softmax for the output layer");
    }

    /// <summary>BP1; with a softmax output layer the Jacobian and −y/a cancel and δ^L = a^L − y (y one-hot, so Σ_j y_j = 1).</summary>
    public override void OutputError<T>(Activation outputActivation, ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> delta, int width)
    {
        if (outputActivation is SoftmaxActivation)
            TensorPrimitives.Subtract(a, y, delta); // Jᵀ(−y/a) = a − y when Σ_j y_j = 1
        else
            base.OutputError(outputActivation, z, a, y, delta, width);
    }
}
