using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Kernels;

/// <summary>
/// Inverted dropout's masks as a function, not a buffer: whether neuron j of example i is kept is a hash of (a key drawn once
/// per step and layer, i·n + j). Any thread can compute any part of a mask, in any order, and gets the same bits, so the mask is
/// applied inside the elementwise steps of the forward pass and of BP2, split across the threads like them, and nothing is drawn
/// element by element on one thread (a sequential generator took 0.1 ms a step for [784,500,200,10] at m = 128).
/// </summary>
/// <remarks>
/// The hash is two rounds of MurmurHash3's 32-bit finaliser, keyed by the two halves of the key; each round is a bijection of
/// 32-bit words with full avalanche, so every index of a layer gets its own, evenly spread word. A neuron is dropped when its
/// word is below p·2³² (the threshold). Scalar and vector code compute the same integers, so which path (or thread) handles an
/// element never changes its mask.
/// </remarks>
public static class DropoutMask
{
    /// <summary>The threshold for a drop probability p: a word below it drops the neuron (P = threshold / 2³²).</summary>
    public static uint Threshold(double probability) =>
        probability is >= 0 and < 1 ? (uint)Math.Min(Math.Round(probability * 4294967296.0), uint.MaxValue)
        : throw new ArgumentOutOfRangeException(nameof(probability), probability, "a probability in [0, 1)");

    /// <summary>True when the element at <paramref name="index"/> (i·n + j within its layer) is kept under <paramref name="key"/>.</summary>
    public static bool Keeps(ulong key, uint threshold, uint index) => Word((uint)key, (uint)(key >> 32), index) >= threshold;

    /// <summary>
    /// destination[e] = source[e] · scale where element <paramref name="firstIndex"/> + e is kept, else 0: the mask applied to
    /// consecutive elements of one layer (rows of the batch, so that e counts i·n + j). <paramref name="source"/> and
    /// <paramref name="destination"/> may be the same span.
    /// </summary>
    public static void Apply<T>(ReadOnlySpan<T> source, Span<T> destination, ulong key, uint threshold, T scale, int firstIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length != source.Length) throw new ArgumentException($"destination has length {destination.Length}, source {source.Length}", nameof(destination));
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        int n = source.Length, e = 0;
        ref T from = ref MemoryMarshal.GetReference(source);
        ref T to = ref MemoryMarshal.GetReference(destination);
        if (typeof(T) == typeof(float) && Vector.IsHardwareAccelerated && Vector<uint>.Count == Vector<float>.Count)
        {
            int w = Vector<float>.Count;
            var vScale = new Vector<float>(float.CreateTruncating(scale));
            var vThreshold = new Vector<uint>(threshold);
            var index = new Vector<uint>((uint)firstIndex) + Vector<uint>.Indices;
            var step = new Vector<uint>((uint)w);
            ref float f = ref Unsafe.As<T, float>(ref from);
            ref float t = ref Unsafe.As<T, float>(ref to);
            for (; e <= n - w; e += w, index += step)
            {
                var kept = Vector.GreaterThanOrEqual(Word(k0, k1, index), vThreshold).As<uint, float>();
                (Vector.LoadUnsafe(ref f, (nuint)e) * vScale & kept).StoreUnsafe(ref t, (nuint)e);
            }
        }
        for (; e < n; e++)
        {
            bool kept = Word(k0, k1, (uint)(firstIndex + e)) >= threshold;
            Unsafe.Add(ref to, e) = kept ? Unsafe.Add(ref from, e) * scale : T.Zero;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Word(uint k0, uint k1, uint index) => Mix(Mix(index ^ k0) + k1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<uint> Word(uint k0, uint k1, Vector<uint> index) => Mix(Mix(index ^ new Vector<uint>(k0)) + new Vector<uint>(k1));

    // MurmurHash3's fmix32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        return h ^ (h >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<uint> Mix(Vector<uint> h)
    {
        h ^= Vector.ShiftRightLogical(h, 16);
        h *= new Vector<uint>(0x85EBCA6Bu);
        h ^= Vector.ShiftRightLogical(h, 13);
        h *= new Vector<uint>(0xC2B2AE35u);
        return h ^ Vector.ShiftRightLogical(h, 16);
    }
}
