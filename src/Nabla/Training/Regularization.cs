using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>Which penalty on the weights is added to the cost.</summary>
public enum RegularizationKind
{
    /// <summary>No penalty: C = C₀.</summary>
    None,
    /// <summary>Weight decay, C = C₀ + (λ/2n) Σ_w w² (Eq. 85).</summary>
    L2,
    /// <summary>C = C₀ + (λ/n) Σ_w |w| (Eq. 95).</summary>
    L1,
}

/// <summary>
/// L2 or L1 regularisation of chapter 3 with strength λ; n is the size of the training set. Only the
/// weights are penalised, not the biases (as in network2.py). The penalty's gradient is (λ/n) w for L2
/// and (λ/n) sgn(w) for L1, so SGD's rule becomes w → (1 − ηλ/n) w − (η/m) Σ_x ∂C_x/∂w (Eq. 93) or
/// w → w − (ηλ/n) sgn(w) − (η/m) Σ_x ∂C_x/∂w (Eq. 97).
/// </summary>
public readonly record struct Regularization(RegularizationKind Kind, double Lambda)
{
    /// <summary>No penalty.</summary>
    public static Regularization None => default;
    /// <summary>L2 regularisation (weight decay) of strength λ = <paramref name="lambda"/>.</summary>
    /// <exception cref="NablaException">λ is negative or not finite.</exception>
    public static Regularization L2(double lambda) => new(RegularizationKind.L2, CheckLambda(lambda));
    /// <summary>L1 regularisation of strength λ = <paramref name="lambda"/>.</summary>
    /// <exception cref="NablaException">λ is negative or not finite.</exception>
    public static Regularization L1(double lambda) => new(RegularizationKind.L1, CheckLambda(lambda));

    /// <summary>True when there is a penalty to add.</summary>
    public bool IsActive => Kind != RegularizationKind.None && Lambda != 0;

    /// <summary>The penalty: (λ/2n) Σ w² for L2, (λ/n) Σ |w| for L1; 0 without regularisation.</summary>
    public double Penalty<T>(Network<T> network, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsActive) return 0;
        double sum = 0;
        foreach (var w in network.Weights)
            sum += Kind == RegularizationKind.L2
                ? double.CreateChecked(TensorPrimitives.SumOfSquares<T>(w.Data)) / 2
                : double.CreateChecked(TensorPrimitives.SumOfMagnitudes<T>(w.Data));
        return Lambda / n * sum;
    }

    /// <summary>
    /// The penalty's part of a gradient-descent step, applied before the cost's part: w → (1 − ηλ/n) w for
    /// L2 (Eq. 93), w → w − (ηλ/n) sgn(w) for L1 (Eq. 97). The cost's part does not depend on w, so the
    /// order gives the chapter's rule exactly.
    /// </summary>
    public void Decay<T>(Network<T> network, T eta, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsActive) return;
        T rate = eta * T.CreateChecked(Lambda) / T.CreateChecked(n);
        for (int l = 1; l <= network.L; l++)
        {
            var w = network.Weights[l];
            if (Kind == RegularizationKind.L2)
                TensorPrimitives.Multiply<T>(w.Data, T.One - rate, w.Data);
            else
                foreach (ref T x in w.Data.AsSpan()) x -= rate * T.CreateTruncating(T.Sign(x));
        }
    }

    /// <summary>Adds ∂/∂w of the penalty to <paramref name="gradient"/>: (λ/n) w for L2, (λ/n) sgn(w) for L1.</summary>
    public void AddGradient<T>(Network<T> network, Gradient<T> gradient, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsActive) return;
        T scale = T.CreateChecked(Lambda) / T.CreateChecked(n);
        for (int l = 1; l <= network.L; l++)
        {
            var w = network.Weights[l].Data;
            var g = gradient.Weights[l].AsSpan();
            if (Kind == RegularizationKind.L2)
                TensorPrimitives.MultiplyAdd<T>(w, scale, g, g);
            else
                for (int i = 0; i < w.Length; i++) g[i] += scale * T.CreateTruncating(T.Sign(w[i]));
        }
    }

    /// <summary>The penalty's gradient as the optimisers' updates add it to ∂C/∂w: (λ/n)·w for L2, (λ/n)·sgn(w) for L1.</summary>
    internal Kernels.WeightPenalty<T> GradientCoefficients<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsActive) return default;
        T scale = T.CreateChecked(Lambda) / T.CreateChecked(n);
        return Kind == RegularizationKind.L2 ? new(scale, T.Zero) : new(T.Zero, scale);
    }

    /// <summary>"L2 λ = 5", or "none" when there is no penalty.</summary>
    public override string ToString() => IsActive ? $"{Kind} λ = {Lambda}" : "none";

    private static double CheckLambda(double lambda) =>
        lambda >= 0 && double.IsFinite(lambda) ? lambda : throw new NablaException($"the regularisation parameter λ must be 0 or more, got {lambda}");
}
