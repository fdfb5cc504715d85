using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// The vector operations the products use, for one vector width, so that a kernel is written once and compiled for 512-,
/// 256- and 128-bit vectors (<see cref="Simd512{T}"/>, <see cref="Simd256{T}"/>, <see cref="Simd128{T}"/>). <see cref="Gemm"/>
/// runs the widest the processor accelerates (<see cref="Simd.Width{T}"/>). Written against <see cref="Vector{T}"/>, whose
/// width .NET fixes at start-up (256 bits unless DOTNET_MaxVectorTBitWidth says otherwise), the products used half of a
/// 512-bit FMA unit in every program that did not set that variable (Zen 5: 266 GFLOP/s a core with 512-bit vectors, 133
/// with 256). .NET's own ISimdVector is internal in .NET 10; this is the part of it the kernels need.
/// </summary>
internal interface ISimd<TVector, T>
    where TVector : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Lanes in a vector.</summary>
    static abstract int Count { get; }
    static abstract TVector Zero { get; }
    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TVector Create(T value);
    static abstract TVector Load(ref T source, nuint offset);
    static abstract void Store(TVector value, ref T destination, nuint offset);
    static abstract TVector Add(TVector x, TVector y);
    static abstract TVector Subtract(TVector x, TVector y);
    static abstract TVector Multiply(TVector x, TVector y);
    static abstract TVector Divide(TVector x, TVector y);
    static abstract TVector Sqrt(TVector x);
    /// <summary>x·y + addend: one fused multiply-add where the hardware has one, else a multiply and an add.</summary>
    static abstract TVector MulAdd(TVector x, TVector y, TVector addend);
    static abstract TVector And(TVector x, TVector mask);
    /// <summary>All bits set in the lanes where x &gt; y.</summary>
    static abstract TVector GreaterThan(TVector x, TVector y);
    /// <summary>Lanes of <paramref name="ifSet"/> where <paramref name="mask"/> is set, of <paramref name="otherwise"/> elsewhere.</summary>
    static abstract TVector Select(TVector mask, TVector ifSet, TVector otherwise);
    /// <summary>A mask with the lanes from <paramref name="first"/> on set.</summary>
    static abstract TVector LanesFrom(int first);
    static abstract T Sum(TVector x);
    /// <summary>Whether <see cref="Transpose"/> runs in vector shuffles here (else it moves one element at a time).</summary>
    static abstract bool TransposesInRegisters { get; }
    /// <summary>
    /// destination[j·destinationRow + i] = source[i·sourceRow + j] for i, j &lt; <see cref="Count"/>: one square block, transposed.
    /// </summary>
    static abstract void Transpose(ref T source, nint sourceRow, ref T destination, nint destinationRow);
}

/// <summary>The 32-bit unsigned integer lanes of one vector width: the dropout masks' hash (<see cref="DropoutMask"/>).</summary>
internal interface ISimdWords<TWords> where TWords : struct
{
    static abstract int Count { get; }
    static abstract TWords Create(uint value);
    /// <summary>0, 1, 2, … in the lanes.</summary>
    static abstract TWords Indices { get; }
    static abstract TWords Add(TWords x, TWords y);
    static abstract TWords Xor(TWords x, TWords y);
    /// <summary>The low 32 bits of each product.</summary>
    static abstract TWords Multiply(TWords x, TWords y);
    static abstract TWords ShiftRightLogical(TWords x, int count);
    /// <summary>All bits set in the lanes where x ≥ y (unsigned).</summary>
    static abstract TWords GreaterThanOrEqual(TWords x, TWords y);
}

/// <summary>Which vector width the kernels run.</summary>
internal static class Simd
{
    /// <summary>The widest vector, in bits, that this processor accelerates for <typeparamref name="T"/>; 0 where none is (the scalar code runs).</summary>
    public static int Width<T>() where T : unmanaged
    {
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported) return 512;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported) return 256;
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported) return 128;
        return 0;
    }

    /// <summary>Lanes of the vectors the kernels run (1: scalar).</summary>
    public static int Lanes<T>() where T : unmanaged => Width<T>() == 0 ? 1 : Width<T>() / 8 / Unsafe.SizeOf<T>();

    /// <summary>The general transpose of <see cref="ISimd{TVector, T}.Transpose"/>, one element at a time.</summary>
    public static void TransposeByElements<T>(ref T source, nint sourceRow, ref T destination, nint destinationRow, int count)
    {
        for (int i = 0; i < count; i++)
        {
            ref T row = ref Unsafe.Add(ref source, i * sourceRow);
            for (int j = 0; j < count; j++)
                Unsafe.Add(ref destination, j * destinationRow + i) = Unsafe.Add(ref row, j);
        }
    }

    /// <summary>
    /// Sixteen 16-lane rows of 32-bit elements transposed in registers (AVX-512): interleave 32-bit lanes, then 64-bit lanes,
    /// then 128-bit quarters twice, 64 shuffles for 256 elements (one at a time, 256 loads and scattered stores cost a
    /// quarter of the forward product at m = 128).
    /// </summary>
    public static void Transpose16x16(ref float s, nint ls, ref float d, nint ld)
    {
        var r0 = Vector512.LoadUnsafe(ref s); var r1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, ls));
        var r2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 2 * ls)); var r3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 3 * ls));
        var r4 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 4 * ls)); var r5 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 5 * ls));
        var r6 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 6 * ls)); var r7 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 7 * ls));
        var r8 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 8 * ls)); var r9 = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 9 * ls));
        var ra = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 10 * ls)); var rb = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 11 * ls));
        var rc = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 12 * ls)); var rd = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 13 * ls));
        var re = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 14 * ls)); var rf = Vector512.LoadUnsafe(ref Unsafe.Add(ref s, 15 * ls));
        // 32-bit lanes of row pairs: t0 = r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ …
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1); var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5); var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9); var ta = Avx512F.UnpackLow(ra, rb); var tb = Avx512F.UnpackHigh(ra, rb);
        var tc = Avx512F.UnpackLow(rc, rd); var td = Avx512F.UnpackHigh(rc, rd); var te = Avx512F.UnpackLow(re, rf); var tf = Avx512F.UnpackHigh(re, rf);
        // 64-bit lanes: r0 = column 0 of rows 0–3 in each quarter
        r0 = Low64(t0, t2); r1 = High64(t0, t2); r2 = Low64(t1, t3); r3 = High64(t1, t3);
        r4 = Low64(t4, t6); r5 = High64(t4, t6); r6 = Low64(t5, t7); r7 = High64(t5, t7);
        r8 = Low64(t8, ta); r9 = High64(t8, ta); ra = Low64(t9, tb); rb = High64(t9, tb);
        rc = Low64(tc, te); rd = High64(tc, te); re = Low64(td, tf); rf = High64(td, tf);
        // 128-bit quarters: 0x88 takes quarters 0 and 2 of each operand, 0xDD quarters 1 and 3
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, rc, 0x88); t9 = Avx512F.Shuffle4x128(r9, rd, 0x88); ta = Avx512F.Shuffle4x128(ra, re, 0x88); tb = Avx512F.Shuffle4x128(rb, rf, 0x88);
        tc = Avx512F.Shuffle4x128(r8, rc, 0xDD); td = Avx512F.Shuffle4x128(r9, rd, 0xDD); te = Avx512F.Shuffle4x128(ra, re, 0xDD); tf = Avx512F.Shuffle4x128(rb, rf, 0xDD);
        Avx512F.Shuffle4x128(t0, t8, 0x88).StoreUnsafe(ref d); Avx512F.Shuffle4x128(t1, t9, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, ld));
        Avx512F.Shuffle4x128(t2, ta, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, 2 * ld)); Avx512F.Shuffle4x128(t3, tb, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, 3 * ld));
        Avx512F.Shuffle4x128(t4, tc, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, 4 * ld)); Avx512F.Shuffle4x128(t5, td, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, 5 * ld));
        Avx512F.Shuffle4x128(t6, te, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, 6 * ld)); Avx512F.Shuffle4x128(t7, tf, 0x88).StoreUnsafe(ref Unsafe.Add(ref d, 7 * ld));
        Avx512F.Shuffle4x128(t0, t8, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 8 * ld)); Avx512F.Shuffle4x128(t1, t9, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 9 * ld));
        Avx512F.Shuffle4x128(t2, ta, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 10 * ld)); Avx512F.Shuffle4x128(t3, tb, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 11 * ld));
        Avx512F.Shuffle4x128(t4, tc, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 12 * ld)); Avx512F.Shuffle4x128(t5, td, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 13 * ld));
        Avx512F.Shuffle4x128(t6, te, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 14 * ld)); Avx512F.Shuffle4x128(t7, tf, 0xDD).StoreUnsafe(ref Unsafe.Add(ref d, 15 * ld));

        static Vector512<float> Low64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();
        static Vector512<float> High64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
    }

    /// <summary>Eight 8-lane rows of 32-bit elements transposed in registers (AVX): 32-bit, 64-bit, then 128-bit interleaves.</summary>
    public static void Transpose8x8(ref float s, nint ls, ref float d, nint ld)
    {
        var r0 = Vector256.LoadUnsafe(ref s); var r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, ls));
        var r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 2 * ls)); var r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 3 * ls));
        var r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 4 * ls)); var r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 5 * ls));
        var r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 6 * ls)); var r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 7 * ls));
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5); var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        r0 = Avx.Shuffle(t0, t2, 0x44); r1 = Avx.Shuffle(t0, t2, 0xEE); r2 = Avx.Shuffle(t1, t3, 0x44); r3 = Avx.Shuffle(t1, t3, 0xEE);
        r4 = Avx.Shuffle(t4, t6, 0x44); r5 = Avx.Shuffle(t4, t6, 0xEE); r6 = Avx.Shuffle(t5, t7, 0x44); r7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(r0, r4, 0x20).StoreUnsafe(ref d); Avx.Permute2x128(r1, r5, 0x20).StoreUnsafe(ref Unsafe.Add(ref d, ld));
        Avx.Permute2x128(r2, r6, 0x20).StoreUnsafe(ref Unsafe.Add(ref d, 2 * ld)); Avx.Permute2x128(r3, r7, 0x20).StoreUnsafe(ref Unsafe.Add(ref d, 3 * ld));
        Avx.Permute2x128(r0, r4, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 4 * ld)); Avx.Permute2x128(r1, r5, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 5 * ld));
        Avx.Permute2x128(r2, r6, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 6 * ld)); Avx.Permute2x128(r3, r7, 0x31).StoreUnsafe(ref Unsafe.Add(ref d, 7 * ld));
    }
}

// The three widths. Each member is the System.Runtime.Intrinsics operation of its width; they differ only in the type.

internal readonly struct Simd512<T> : ISimd<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Zero => Vector512<T>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Create(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> x, Vector512<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Subtract(Vector512<T> x, Vector512<T> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Multiply(Vector512<T> x, Vector512<T> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Divide(Vector512<T> x, Vector512<T> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Sqrt(Vector512<T> x) => Vector512.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> GreaterThan(Vector512<T> x, Vector512<T> y) => Vector512.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> And(Vector512<T> x, Vector512<T> mask) => x & mask;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Select(Vector512<T> mask, Vector512<T> ifSet, Vector512<T> otherwise) => Vector512.ConditionalSelect(mask, ifSet, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> LanesFrom(int first) => Vector512.GreaterThanOrEqual(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(first)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> x) => Vector512.Sum(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MulAdd(Vector512<T> x, Vector512<T> y, Vector512<T> addend)
    {
        // Every processor with AVX-512 has FMA.
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), addend.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), addend.As<T, double>()).As<double, T>();
        return x * y + addend;
    }

    public static bool TransposesInRegisters => Unsafe.SizeOf<T>() == 4 && Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(ref T source, nint sourceRow, ref T destination, nint destinationRow)
    {
        if (TransposesInRegisters)
            Simd.Transpose16x16(ref Unsafe.As<T, float>(ref source), sourceRow, ref Unsafe.As<T, float>(ref destination), destinationRow);
        else
            Simd.TransposeByElements(ref source, sourceRow, ref destination, destinationRow, Count);
    }
}

internal readonly struct Simd256<T> : ISimd<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Zero => Vector256<T>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Create(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> x, Vector256<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Subtract(Vector256<T> x, Vector256<T> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Multiply(Vector256<T> x, Vector256<T> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Divide(Vector256<T> x, Vector256<T> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Sqrt(Vector256<T> x) => Vector256.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> GreaterThan(Vector256<T> x, Vector256<T> y) => Vector256.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> And(Vector256<T> x, Vector256<T> mask) => x & mask;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Select(Vector256<T> mask, Vector256<T> ifSet, Vector256<T> otherwise) => Vector256.ConditionalSelect(mask, ifSet, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> LanesFrom(int first) => Vector256.GreaterThanOrEqual(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(first)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> x) => Vector256.Sum(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MulAdd(Vector256<T> x, Vector256<T> y, Vector256<T> addend)
    {
        if (Fma.IsSupported)
        {
            if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), addend.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), addend.As<T, double>()).As<double, T>();
        }
        return x * y + addend;
    }

    public static bool TransposesInRegisters => Unsafe.SizeOf<T>() == 4 && Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(ref T source, nint sourceRow, ref T destination, nint destinationRow)
    {
        if (TransposesInRegisters)
            Simd.Transpose8x8(ref Unsafe.As<T, float>(ref source), sourceRow, ref Unsafe.As<T, float>(ref destination), destinationRow);
        else
            Simd.TransposeByElements(ref source, sourceRow, ref destination, destinationRow, Count);
    }
}

internal readonly struct Simd128<T> : ISimd<Vector128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;
    public static Vector128<T> Zero => Vector128<T>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Create(T value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(ref T source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> x, Vector128<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Subtract(Vector128<T> x, Vector128<T> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Multiply(Vector128<T> x, Vector128<T> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Divide(Vector128<T> x, Vector128<T> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Sqrt(Vector128<T> x) => Vector128.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> GreaterThan(Vector128<T> x, Vector128<T> y) => Vector128.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> And(Vector128<T> x, Vector128<T> mask) => x & mask;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Select(Vector128<T> mask, Vector128<T> ifSet, Vector128<T> otherwise) => Vector128.ConditionalSelect(mask, ifSet, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> LanesFrom(int first) => Vector128.GreaterThanOrEqual(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(first)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> x) => Vector128.Sum(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MulAdd(Vector128<T> x, Vector128<T> y, Vector128<T> addend)
    {
        if (Fma.IsSupported || AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), addend.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector128.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), addend.As<T, double>()).As<double, T>();
        }
        return x * y + addend;
    }

    public static bool TransposesInRegisters => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(ref T source, nint sourceRow, ref T destination, nint destinationRow)
        => Simd.TransposeByElements(ref source, sourceRow, ref destination, destinationRow, Count);
}

internal readonly struct Words512 : ISimdWords<Vector512<uint>>
{
    public static int Count => Vector512<uint>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> Create(uint value) => Vector512.Create(value);
    public static Vector512<uint> Indices => Vector512<uint>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> Add(Vector512<uint> x, Vector512<uint> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> Xor(Vector512<uint> x, Vector512<uint> y) => x ^ y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> Multiply(Vector512<uint> x, Vector512<uint> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> ShiftRightLogical(Vector512<uint> x, int count) => Vector512.ShiftRightLogical(x, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<uint> GreaterThanOrEqual(Vector512<uint> x, Vector512<uint> y) => Vector512.GreaterThanOrEqual(x, y);
}

internal readonly struct Words256 : ISimdWords<Vector256<uint>>
{
    public static int Count => Vector256<uint>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> Create(uint value) => Vector256.Create(value);
    public static Vector256<uint> Indices => Vector256<uint>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> Add(Vector256<uint> x, Vector256<uint> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> Xor(Vector256<uint> x, Vector256<uint> y) => x ^ y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> Multiply(Vector256<uint> x, Vector256<uint> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> ShiftRightLogical(Vector256<uint> x, int count) => Vector256.ShiftRightLogical(x, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<uint> GreaterThanOrEqual(Vector256<uint> x, Vector256<uint> y) => Vector256.GreaterThanOrEqual(x, y);
}

internal readonly struct Words128 : ISimdWords<Vector128<uint>>
{
    public static int Count => Vector128<uint>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> Create(uint value) => Vector128.Create(value);
    public static Vector128<uint> Indices => Vector128<uint>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> Add(Vector128<uint> x, Vector128<uint> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> Xor(Vector128<uint> x, Vector128<uint> y) => x ^ y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> Multiply(Vector128<uint> x, Vector128<uint> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> ShiftRightLogical(Vector128<uint> x, int count) => Vector128.ShiftRightLogical(x, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<uint> GreaterThanOrEqual(Vector128<uint> x, Vector128<uint> y) => Vector128.GreaterThanOrEqual(x, y);
}
