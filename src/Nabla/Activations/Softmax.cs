using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>
/// Softmax (chapter 3): a_j = e^(z_j) / Σ_k e^(z_k) over the neurons of one example, so the outputs
/// are a probability distribution. Not elementwise: each a_j depends on every z_k of its row, and
/// ∂a_j/∂z_k = a_j(δ_jk − a_k). So the Hadamard product of BP1 becomes the Jacobian-transpose product
/// per row, δ_k = Σ_j g_j ∂a_j/∂z_k = a_k (g_k − Σ_j g_j a_j). Paired with the log-likelihood cost,
/// BP1 collapses to δ^L = a^L − y (<see cref="LogLikelihoodCost"/>).
/// </summary>
public sealed class SoftmaxActivation : Activation
{
    /// <inheritdoc/>
    public override string Name => "softmax";

    /// <summary>a = softmax(z) row by row, each row <paramref name="width"/> neurons (one example).</summary>
    /// <exception cref="NablaException"><paramref name="width"/> is below 1 or does not divide the length of <paramref name="z"/>.</exception>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width)
    {
        CheckWidth(z.Length, width);
        for (int row = 0; row < z.Length; row += width)
        {
            // e^(z_j − max z) / Σ_k e^(z_k − max z): the same value, but e^z never overflows.
            var aRow = a.Slice(row, width);
            TensorPrimitives.Subtract(z.Slice(row, width), TensorPrimitives.Max(z.Slice(row, width)), aRow);
            TensorPrimitives.Exp<T>(aRow, aRow);
            TensorPrimitives.Divide(aRow, TensorPrimitives.Sum<T>(aRow), aRow);
        }
    }

    /// <summary>The diagonal of the Jacobian, ∂a_j/∂z_j = a_j(1 − a_j); the full product is <see cref="MultiplyByDerivative{T}"/>.</summary>
    public override void Derivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative)
    {
        for (int i = 0; i < a.Length; i++) derivative[i] = a[i] * (T.One - a[i]);
    }

    /// <summary>δ = Jᵀ g for each row: δ_k = a_k (g_k − Σ_j g_j a_j). <paramref name="g"/> and <paramref name="delta"/> may be the same span.</summary>
    /// <exception cref="NablaException"><paramref name="width"/> is below 1 or does not divide the length of <paramref name="a"/>.</exception>
    public override void MultiplyByDerivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta, int width)
    {
        CheckWidth(a.Length, width);
        for (int row = 0; row < a.Length; row += width)
        {
            var aRow = a.Slice(row, width);
            T weightedMean = TensorPrimitives.Dot(g.Slice(row, width), aRow); // Σ_j g_j a_j, read before delta overwrites g
            var deltaRow = delta.Slice(row, width);
            TensorPrimitives.Subtract(g.Slice(row, width), weightedMean, deltaRow);
            TensorPrimitives.Multiply(deltaRow, aRow, deltaRow);
        }
    }

    private static void CheckWidth(int length, int width)
    {
        if (width < 1 || length % width != 0)
            throw new NablaException($"softmax works on rows of {width} neurons, but got {length} values");
    }
}
