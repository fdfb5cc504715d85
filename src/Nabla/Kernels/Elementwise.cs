using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Kernels;

/// <summary>An activation's derivative σ'(z) as an operator, given z and a = σ(z) (whichever is cheaper to use).</summary>
public interface IDerivativeOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract T Invoke(T z, T a);
    static abstract Vector<T> Invoke(Vector<T> z, Vector<T> a);
}

/// <summary>
/// The elementwise loops of backprop, one loop per shape of work and the operation as a struct
/// (the TensorPrimitives pattern), so each activation costs one vectorised pass and no allocation.
/// </summary>
public static class Elementwise
{
    /// <summary>derivative = σ'(z), elementwise.</summary>
    public static void Derivative<T, TOp>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IDerivativeOperator<T>
    {
        CheckLengths(z.Length, a.Length, derivative.Length);
        int n = z.Length, i = 0;
        ref T zr = ref MemoryMarshal.GetReference(z);
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T dr = ref MemoryMarshal.GetReference(derivative);
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
                Vector.StoreUnsafe(TOp.Invoke(Vector.LoadUnsafe(ref zr, (nuint)i), Vector.LoadUnsafe(ref ar, (nuint)i)), ref dr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = TOp.Invoke(Unsafe.Add(ref zr, i), Unsafe.Add(ref ar, i));
    }

    /// <summary>
    /// delta = g ⊙ σ'(z): the Hadamard product that ends BP1 (g = ∇_a C) and BP2 (g = (w^(l+1))ᵀ δ^(l+1)).
    /// <paramref name="g"/> and <paramref name="delta"/> may be the same span (in place).
    /// </summary>
    public static void MultiplyByDerivative<T, TOp>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IDerivativeOperator<T>
    {
        CheckLengths(z.Length, a.Length, delta.Length);
        if (g.Length != z.Length) throw new ArgumentException($"length {g.Length} differs from {z.Length}", nameof(g));
        int n = z.Length, i = 0;
        ref T zr = ref MemoryMarshal.GetReference(z);
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T dr = ref MemoryMarshal.GetReference(delta);
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var d = TOp.Invoke(Vector.LoadUnsafe(ref zr, (nuint)i), Vector.LoadUnsafe(ref ar, (nuint)i));
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref gr, (nuint)i) * d, ref dr, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = Unsafe.Add(ref gr, i) * TOp.Invoke(Unsafe.Add(ref zr, i), Unsafe.Add(ref ar, i));
    }

    private static void CheckLengths(int z, int a, int destination)
    {
        if (a != z) throw new ArgumentException($"a has length {a}, z has {z}");
        if (destination != z) throw new ArgumentException($"destination has length {destination}, z has {z}");
    }
}
