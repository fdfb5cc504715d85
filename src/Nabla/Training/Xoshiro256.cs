namespace Nabla;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a small, fast generator whose whole
/// state is four 64-bit words that can be read and restored. Training uses it for shuffling and dropout,
/// so that a checkpoint can carry the generator and a resumed run draws the same numbers as an
/// uninterrupted one (System.Random's state cannot be read).
/// </summary>
public sealed class Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator seeded from <paramref name="seed"/>; the same seed gives the same sequence on every machine.</summary>
    public Xoshiro256(long seed)
    {
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix64(x, 1); _s1 = SplitMix64(x, 2); _s2 = SplitMix64(x, 3); _s3 = SplitMix64(x, 4);
    }

    /// <summary>The four state words, for a checkpoint.</summary>
    public ulong[] State
    {
        get => [_s0, _s1, _s2, _s3];
        set
        {
            if (value is not { Length: 4 }) throw new NablaException($"a xoshiro256 state has 4 words, got {value?.Length ?? 0}");
            if ((value[0] | value[1] | value[2] | value[3]) == 0) throw new NablaException("a xoshiro256 state of all zeros is invalid");
            (_s0, _s1, _s2, _s3) = (value[0], value[1], value[2], value[3]);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1), from the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        // With 32 random bits r, (r·bound) >> 32 is uniform except for a sliver we reject.
        ulong r = NextUInt64() >> 32, m = r * (ulong)bound;
        uint low = (uint)m;
        if (low < (uint)bound)
        {
            uint threshold = (uint)(-bound) % (uint)bound;
            while (low < threshold)
            {
                r = NextUInt64() >> 32;
                m = r * (ulong)bound;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Fisher–Yates: a uniformly random permutation of <paramref name="items"/>, in place.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// SplitMix64's <paramref name="i"/>-th output from state <paramref name="key"/>: key + i·γ through its finaliser, every bit
    /// of both spread over all 64. Computed for any i alone, it also makes keys that any thread derives the same way: each
    /// dropout layer's (<see cref="Dropout"/>), each example's move (<see cref="ImageExpansion"/>).
    /// </summary>
    internal static ulong SplitMix64(ulong key, ulong i)
    {
        ulong z = key + i * 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
