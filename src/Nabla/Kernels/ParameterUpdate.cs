using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Kernels;

/// <summary>
/// The gradient of the penalty on the weights, as an update adds it to ∂C₀/∂w: L2·w + L1·sgn(w) (Eq. 93 and 97 with
/// L2 = λ/n or L1 = λ/n). Zero for the biases, which are not penalised.
/// </summary>
public readonly record struct WeightPenalty<T>(T L2, T L1) where T : unmanaged, IFloatingPointIeee754<T>
{
    public static WeightPenalty<T> None => default;
}

/// <summary>Adam's numbers for one step: η, β₁, β₂, ε and the bias corrections 1/(1 − β₁ᵗ), 1/(1 − β₂ᵗ).</summary>
public readonly record struct AdamStep<T>(T Eta, T Beta1, T Beta2, T Epsilon, T Correction1, T Correction2) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The optimisers' elementwise updates of a parameter array from its gradient, in one vectorised pass that also adds the
/// penalty's gradient (reading w once). Each element's new values depend on its own entries only, and the vector and
/// scalar code do the same operations in the same order, so the arrays can be cut anywhere among threads: the numbers
/// never change.
/// </summary>
public static class ParameterUpdate
{
    /// <summary>Momentum (chapter 3): g = ∂C/∂w + penalty; v → μv − ηg; w → w + v.</summary>
    public static void Momentum<T>(Span<T> w, ReadOnlySpan<T> gradient, Span<T> velocity, T mu, T eta, WeightPenalty<T> penalty)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(w.Length, gradient.Length, velocity.Length, velocity.Length);
        ref T wr = ref MemoryMarshal.GetReference(w);
        ref T gr = ref MemoryMarshal.GetReference(gradient);
        ref T vr = ref MemoryMarshal.GetReference(velocity);
        int n = w.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vMu = new Vector<T>(mu);
            var vEta = new Vector<T>(eta);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var wi = Vector.LoadUnsafe(ref wr, (nuint)i);
                var g = Penalised(Vector.LoadUnsafe(ref gr, (nuint)i), wi, penalty);
                var v = vMu * Vector.LoadUnsafe(ref vr, (nuint)i) - vEta * g; // v → μv − η∇C
                v.StoreUnsafe(ref vr, (nuint)i);
                (wi + v).StoreUnsafe(ref wr, (nuint)i);                       // w → w + v
            }
        }
        for (; i < n; i++)
        {
            ref T wi = ref Unsafe.Add(ref wr, i);
            ref T v = ref Unsafe.Add(ref vr, i);
            v = mu * v - eta * Penalised(Unsafe.Add(ref gr, i), wi, penalty);
            wi += v;
        }
    }

    /// <summary>
    /// Adam (Kingma and Ba): g = ∂C/∂w + penalty; m → β₁m + (1 − β₁)g; v → β₂v + (1 − β₂)g²;
    /// w → w − η m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
    /// </summary>
    public static void Adam<T>(Span<T> w, ReadOnlySpan<T> gradient, Span<T> m, Span<T> v, in AdamStep<T> step, WeightPenalty<T> penalty)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(w.Length, gradient.Length, m.Length, v.Length);
        ref T wr = ref MemoryMarshal.GetReference(w);
        ref T gr = ref MemoryMarshal.GetReference(gradient);
        ref T mr = ref MemoryMarshal.GetReference(m);
        ref T vr = ref MemoryMarshal.GetReference(v);
        T oneMinusBeta1 = T.One - step.Beta1, oneMinusBeta2 = T.One - step.Beta2;
        int n = w.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> beta1 = new(step.Beta1), beta2 = new(step.Beta2), c1 = new(oneMinusBeta1), c2 = new(oneMinusBeta2);
            Vector<T> eta = new(step.Eta), epsilon = new(step.Epsilon), correction1 = new(step.Correction1), correction2 = new(step.Correction2);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var wi = Vector.LoadUnsafe(ref wr, (nuint)i);
                var g = Penalised(Vector.LoadUnsafe(ref gr, (nuint)i), wi, penalty);
                var mi = beta1 * Vector.LoadUnsafe(ref mr, (nuint)i) + c1 * g;
                var vi = beta2 * Vector.LoadUnsafe(ref vr, (nuint)i) + c2 * g * g;
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                (wi - eta * (mi * correction1) / (Vector.SquareRoot(vi * correction2) + epsilon)).StoreUnsafe(ref wr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            ref T wi = ref Unsafe.Add(ref wr, i);
            ref T mi = ref Unsafe.Add(ref mr, i);
            ref T vi = ref Unsafe.Add(ref vr, i);
            T g = Penalised(Unsafe.Add(ref gr, i), wi, penalty);
            mi = step.Beta1 * mi + oneMinusBeta1 * g;
            vi = step.Beta2 * vi + oneMinusBeta2 * g * g;
            wi -= step.Eta * (mi * step.Correction1) / (T.Sqrt(vi * step.Correction2) + step.Epsilon);
        }
    }

    /// <summary>g + L2·w + L1·sgn(w); g itself when there is no penalty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Penalised<T>(T g, T w, WeightPenalty<T> penalty) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (penalty.L2 != T.Zero) g += penalty.L2 * w;
        if (penalty.L1 != T.Zero) g += penalty.L1 * (w > T.Zero ? T.One : w < T.Zero ? -T.One : T.Zero);
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Penalised<T>(Vector<T> g, Vector<T> w, WeightPenalty<T> penalty) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (penalty.L2 != T.Zero) g += new Vector<T>(penalty.L2) * w;
        if (penalty.L1 != T.Zero)
        {
            var sign = Vector.ConditionalSelect(Vector.GreaterThan(w, Vector<T>.Zero), Vector<T>.One,
                Vector.ConditionalSelect(Vector.LessThan(w, Vector<T>.Zero), -Vector<T>.One, Vector<T>.Zero));
            g += new Vector<T>(penalty.L1) * sign;
        }
        return g;
    }

    private static void CheckLengths(int w, int gradient, int first, int second)
    {
        if (gradient != w || first != w || second != w)
            throw new ArgumentException($"a parameter array of {w} needs a gradient and state of as many entries, got {gradient}, {first}, {second}");
    }
}
