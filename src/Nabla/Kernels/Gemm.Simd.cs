using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

// SIMD kernels over Vector<T> (256-bit on AVX2, 128-bit on NEON/SSE). Every method here assumes
// IsVectorized<T>() and that the vectorised dimension is at least Vector<T>.Count; the dispatchers in Gemm.cs
// route everything else to the scalar code. Remainders are handled without scalar loops: a last, overlapping
// vector whose already-done lanes are masked off (zeroed in a dot product, or blended back on store).
public static partial class Gemm
{
    /// <summary>Depth (p) block for the broadcast kernels, so that the strip of B a column tile walks stays in L1.</summary>
    private const int DepthBlock = 256;

    /// <summary>Width of a column block of the broadcast kernels, in two-vector tiles: 256 floats, so a depth block of B stays in L2.</summary>
    private const int ColumnBlockTiles = 16;

    /// <summary>Bytes of A (rows of activations) the forward kernel keeps in L2 at once (Zen 3 has 512 KB per core).</summary>
    private const int ForwardBlockBytes = 192 * 1024;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MulAdd<T>(Vector<T> x, Vector<T> y, Vector<T> acc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fma.IsSupported || AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float))
                return Vector.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double))
                return Vector.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        }
        return x * y + acc;
    }

    /// <summary>Lane mask with lanes ≥ <paramref name="firstFreshLane"/> set: the lanes of an overlapping last vector not done yet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> TailMask<T>(int firstFreshLane)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Vector.GreaterThanOrEqual(Vector<T>.Indices, new Vector<T>(T.CreateTruncating(firstFreshLane)));

    // ---------------------------------------------------------------- forward: C = A·Bᵀ + bias (dot-product form)

    private static void ForwardSimd<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int n, int k, int rowStart, int rowEnd, int colStart, int colEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        int rem = k % w;
        // The k remainder is one extra vector at k − w whose first w − rem lanes (already counted) are zeroed in A.
        Vector<T> mask = rem != 0 ? TailMask<T>(w - rem) : Vector<T>.Zero;
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        ref T biasRef = ref MemoryMarshal.GetReference(bias);
        bool hasBias = !bias.IsEmpty;

        // Tile: 2 rows of A × 4 rows of B, 8 accumulators. j outer so the 4 rows of B stay in L1 while a block of rows of A
        // passes; the block (≤ ForwardBlockBytes of A) stays in L2 while all of B streams by once.
        // Edge tiles repeat a valid row (its result is computed and dropped) rather than running narrower kernels.
        int rowBlock = Math.Max(2, ForwardBlockBytes / (k * Unsafe.SizeOf<T>()) & ~1);
        for (int i0 = rowStart; i0 < rowEnd; i0 += rowBlock)
        {
            int iEnd = Math.Min(rowEnd, i0 + rowBlock);
            for (int j = colStart; j < colEnd; j += 4)
            {
                int nj = Math.Min(4, colEnd - j);
                ref T b0 = ref Unsafe.Add(ref bRef, (nint)j * k);
                ref T b1 = ref Unsafe.Add(ref b0, nj > 1 ? k : 0);
                ref T b2 = ref Unsafe.Add(ref b0, nj > 2 ? 2 * (nint)k : 0);
                ref T b3 = ref Unsafe.Add(ref b0, nj > 3 ? 3 * (nint)k : 0);
                for (int i = i0; i < iEnd; i += 2)
                {
                    int ni = Math.Min(2, iEnd - i);
                    ref T a0 = ref Unsafe.Add(ref aRef, (nint)i * k);
                    ref T a1 = ref Unsafe.Add(ref a0, ni > 1 ? k : 0);
                    ref T c0 = ref Unsafe.Add(ref cRef, (nint)i * n + j);
                    DotTile2x4(ref a0, ref a1, ref b0, ref b1, ref b2, ref b3, k, rem, mask,
                        ref c0, n, ni, nj, ref Unsafe.Add(ref biasRef, hasBias ? j : 0), hasBias);
                }
            }
        }
    }

    private static void DotTile2x4<T>(ref T a0, ref T a1, ref T b0, ref T b1, ref T b2, ref T b3, int k, int rem, Vector<T> mask,
        ref T c, int ldc, int ni, int nj, ref T bias, bool hasBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint w = (nuint)Vector<T>.Count;
        nuint kMain = (nuint)(k - rem);
        Vector<T> c00 = Vector<T>.Zero, c01 = Vector<T>.Zero, c02 = Vector<T>.Zero, c03 = Vector<T>.Zero;
        Vector<T> c10 = Vector<T>.Zero, c11 = Vector<T>.Zero, c12 = Vector<T>.Zero, c13 = Vector<T>.Zero;
        for (nuint p = 0; p < kMain; p += w)
        {
            Vector<T> x0 = Vector.LoadUnsafe(ref a0, p);
            Vector<T> x1 = Vector.LoadUnsafe(ref a1, p);
            Vector<T> y = Vector.LoadUnsafe(ref b0, p);
            c00 = MulAdd(x0, y, c00);
            c10 = MulAdd(x1, y, c10);
            y = Vector.LoadUnsafe(ref b1, p);
            c01 = MulAdd(x0, y, c01);
            c11 = MulAdd(x1, y, c11);
            y = Vector.LoadUnsafe(ref b2, p);
            c02 = MulAdd(x0, y, c02);
            c12 = MulAdd(x1, y, c12);
            y = Vector.LoadUnsafe(ref b3, p);
            c03 = MulAdd(x0, y, c03);
            c13 = MulAdd(x1, y, c13);
        }
        if (rem != 0)
        {
            nuint p = (nuint)k - w;
            Vector<T> x0 = Vector.LoadUnsafe(ref a0, p) & mask;
            Vector<T> x1 = Vector.LoadUnsafe(ref a1, p) & mask;
            Vector<T> y = Vector.LoadUnsafe(ref b0, p);
            c00 = MulAdd(x0, y, c00);
            c10 = MulAdd(x1, y, c10);
            y = Vector.LoadUnsafe(ref b1, p);
            c01 = MulAdd(x0, y, c01);
            c11 = MulAdd(x1, y, c11);
            y = Vector.LoadUnsafe(ref b2, p);
            c02 = MulAdd(x0, y, c02);
            c12 = MulAdd(x1, y, c12);
            y = Vector.LoadUnsafe(ref b3, p);
            c03 = MulAdd(x0, y, c03);
            c13 = MulAdd(x1, y, c13);
        }
        StoreDots(ref c, nj, Vector.Sum(c00), Vector.Sum(c01), Vector.Sum(c02), Vector.Sum(c03), ref bias, hasBias);
        if (ni > 1)
            StoreDots(ref Unsafe.Add(ref c, ldc), nj, Vector.Sum(c10), Vector.Sum(c11), Vector.Sum(c12), Vector.Sum(c13), ref bias, hasBias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDots<T>(ref T c, int nj, T s0, T s1, T s2, T s3, ref T bias, bool hasBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (hasBias)
        {
            s0 += bias;
            if (nj > 1) s1 += Unsafe.Add(ref bias, 1);
            if (nj > 2) s2 += Unsafe.Add(ref bias, 2);
            if (nj > 3) s3 += Unsafe.Add(ref bias, 3);
        }
        c = s0;
        if (nj > 1) Unsafe.Add(ref c, 1) = s1;
        if (nj > 2) Unsafe.Add(ref c, 2) = s2;
        if (nj > 3) Unsafe.Add(ref c, 3) = s3;
    }

    // ---------------------------------------------------------------- broadcast form: C = beta·C + alpha·Σ_p a(r,p)·B[p,:]

    private static void BroadcastSimd<T>(ReadOnlySpan<T> a, int aRow, int aP, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int rows, int cols, int depth, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        if (cols >= 2 * w && beta != T.Zero && beta != T.One)
        {
            // The wide kernel adds to C or overwrites it; any other beta scales C first.
            ScaleRows(c, ldc, rows, cols, beta);
            beta = T.One;
        }
        // alpha·A for one depth block, packed by the wide kernel in 6-row panels; kept per thread, so steady state allocates nothing.
        Span<T> panels = cols >= 2 * w ? PanelBuffer<T>.Get((rows + 5) / 6 * 6 * Math.Min(depth, DepthBlock)) : default;
        for (int p0 = 0; p0 < depth; p0 += DepthBlock)
        {
            int pc = Math.Min(DepthBlock, depth - p0);
            T blockBeta = p0 == 0 ? beta : T.One; // later depth blocks add to what the first one wrote
            ref T aBlk = ref Unsafe.Add(ref aRef, (nint)p0 * aP);
            ref T bBlk = ref Unsafe.Add(ref bRef, (nint)p0 * ldb);
            if (cols >= 2 * w)
            {
                BroadcastWide(ref aBlk, aRow, aP, ref bBlk, ldb, ref cRef, ldc, rows, cols, pc, alpha, accumulate: blockBeta != T.Zero, panels);
            }
            else
            {
                BroadcastColumnTile(ref aBlk, aRow, aP, ref bBlk, ldb, ref cRef, ldc,
                    rows, pc, alpha, blockBeta, masked: false, Vector<T>.Zero);
                if (cols > w)
                    BroadcastColumnTile(ref aBlk, aRow, aP, ref Unsafe.Add(ref bBlk, cols - w), ldb, ref Unsafe.Add(ref cRef, cols - w), ldc,
                        rows, pc, alpha, blockBeta, masked: true, TailMask<T>(2 * w - cols));
            }
        }
    }

    /// <summary>
    /// One depth block, cols ≥ 2 vectors: column blocks of <see cref="ColumnBlockTiles"/> two-vector tiles, and in each, 6 rows at a
    /// time across the block. The block of B (depth × block) stays in L2 while every row passes, and C is walked row by row
    /// (sequential, so the hardware prefetcher streams it) rather than down its columns. A is first packed, times alpha, into
    /// <paramref name="panels"/> of 6 rows each (p-major: the 6 values a step broadcasts lie together), so the tile's epilogue is
    /// one add per vector and the tile needs one pointer into A instead of six.
    /// </summary>
    private static void BroadcastWide<T>(ref T a, int aRow, int aP, ref T b, int ldb, ref T c, int ldc, int rows, int cols, int depth, T alpha, bool accumulate, Span<T> panels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tile = 2 * Vector<T>.Count;
        int block = ColumnBlockTiles * tile;
        ref T panelsRef = ref MemoryMarshal.GetReference(panels);
        if (aRow == 1)
            PackPanelsDownColumns(ref a, aP, rows, depth, alpha, ref panelsRef);
        else
            for (int r = 0; r < rows; r += 6)
                PackPanel(ref Unsafe.Add(ref a, (nint)r * aRow), aRow, aP, Math.Min(6, rows - r), depth, alpha, ref Unsafe.Add(ref panelsRef, (nint)r * depth));
        for (int col0 = 0; col0 < cols; col0 += block)
        {
            int colEnd = Math.Min(col0 + block, cols);
            for (int r = 0; r < rows; r += 6)
            {
                int nr = Math.Min(6, rows - r);
                ref T panelRef = ref Unsafe.Add(ref panelsRef, (nint)r * depth);
                ref T cr = ref Unsafe.Add(ref c, (nint)r * ldc);
                int col = col0;
                for (; col + tile <= colEnd; col += tile)
                    Tile6xV2(ref panelRef, ref Unsafe.Add(ref b, col), ldb, ref Unsafe.Add(ref cr, col), ldc, nr, depth,
                        accumulate, masked: false, Vector<T>.Zero, Vector<T>.Zero);
                if (col < colEnd)
                {
                    // Only in the last block: an overlapping tile at cols − 2w; lanes before the remainder are final already and are blended back.
                    int fresh = colEnd - col;
                    Tile6xV2(ref panelRef, ref Unsafe.Add(ref b, cols - tile), ldb, ref Unsafe.Add(ref cr, cols - tile), ldc, nr, depth,
                        accumulate, masked: true, TailMask<T>(tile - fresh), TailMask<T>(tile / 2 - fresh));
                }
            }
        }
    }

    /// <summary>A scratch array per thread for the packed panels, grown to the largest size asked for.</summary>
    private static class PanelBuffer<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? t_buffer;

        public static Span<T> Get(int length)
        {
            if (t_buffer is null || t_buffer.Length < length)
                t_buffer = new T[length];
            return t_buffer.AsSpan(0, length);
        }
    }

    /// <summary>panel[6p + i] = alpha · a(i, p) for i &lt; nr, and 0 for the rows an edge tile lacks (their results are dropped).</summary>
    private static void PackPanel<T>(ref T a, nint aRow, nint aP, int nr, int depth, T alpha, ref T panel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (nr < 6)
            MemoryMarshal.CreateSpan(ref panel, 6 * depth).Clear();
        for (int i = 0; i < nr; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * aRow);
            ref T to = ref Unsafe.Add(ref panel, i);
            for (int p = 0; p < depth; p++)
                Unsafe.Add(ref to, 6 * p) = alpha * Unsafe.Add(ref ai, p * aP);
        }
    }

    /// <summary>
    /// All the panels at once for the update, where a(r, p) = Δ[p, r] and r runs along rows of Δ: one row of Δ after the
    /// other, read straight through. Panel by panel, the reads would go down the columns of Δ with a stride of n floats,
    /// which at n = 1,000 is 4 KB: every read the same L1 set, and the packing took a twentieth of the training time.
    /// </summary>
    private static void PackPanelsDownColumns<T>(ref T a, nint aP, int rows, int depth, T alpha, ref T panels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int last = rows / 6 * 6;
        if (last < rows)
            MemoryMarshal.CreateSpan(ref Unsafe.Add(ref panels, (nint)last * depth), 6 * depth).Clear();
        for (int p = 0; p < depth; p++)
        {
            ref T ap = ref Unsafe.Add(ref a, p * aP);
            ref T to = ref Unsafe.Add(ref panels, 6 * p);
            int r = 0;
            for (; r < last; r += 6)
            {
                ref T group = ref Unsafe.Add(ref to, (nint)r * depth);
                group = alpha * Unsafe.Add(ref ap, r);
                Unsafe.Add(ref group, 1) = alpha * Unsafe.Add(ref ap, r + 1);
                Unsafe.Add(ref group, 2) = alpha * Unsafe.Add(ref ap, r + 2);
                Unsafe.Add(ref group, 3) = alpha * Unsafe.Add(ref ap, r + 3);
                Unsafe.Add(ref group, 4) = alpha * Unsafe.Add(ref ap, r + 4);
                Unsafe.Add(ref group, 5) = alpha * Unsafe.Add(ref ap, r + 5);
            }
            for (int i = 0; r < rows; r++, i++)
                Unsafe.Add(ref to, (nint)last * depth + i) = alpha * Unsafe.Add(ref ap, r);
        }
    }

    /// <summary>All rows of one column tile one vector wide (matrices narrower than two vectors), 4 rows at a time.</summary>
    private static void BroadcastColumnTile<T>(ref T a, int aRow, int aP, ref T b, int ldb, ref T c, int ldc, int rows, int depth,
        T alpha, T beta, bool masked, Vector<T> mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r += 4)
        {
            int nr = Math.Min(4, rows - r);
            // Edge tiles repeat row r for the missing rows and drop their results.
            nint o1 = nr > 1 ? aRow : 0, o2 = nr > 2 ? 2 * (nint)aRow : 0, o3 = nr > 3 ? 3 * (nint)aRow : 0;
            ref T ar = ref Unsafe.Add(ref a, (nint)r * aRow);
            ref T cr = ref Unsafe.Add(ref c, (nint)r * ldc);
            Tile4xV1(ref ar, o1, o2, o3, aP, ref b, ldb, ref cr, ldc, nr, depth, alpha, beta, masked, mask);
        }
    }

    /// <summary>
    /// 6 rows × 2 vectors: C (+)= Σ_p panel[6p + i] · B[p, :]. 12 accumulators (enough independent FMAs to hide their latency),
    /// 2 loads of B and 6 broadcasts per step. With <paramref name="accumulate"/> the sums are added to C, else they replace it
    /// (C is then not read, except the finished lanes a masked tile blends back).
    /// </summary>
    private static void Tile6xV2<T>(ref T panel, ref T b, nint ldb, ref T c, nint ldc, int nr, int depth,
        bool accumulate, bool masked, Vector<T> mask0, Vector<T> mask1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint w = (nuint)Vector<T>.Count;
        Vector<T> c00 = Vector<T>.Zero, c01 = Vector<T>.Zero, c10 = Vector<T>.Zero, c11 = Vector<T>.Zero;
        Vector<T> c20 = Vector<T>.Zero, c21 = Vector<T>.Zero, c30 = Vector<T>.Zero, c31 = Vector<T>.Zero;
        Vector<T> c40 = Vector<T>.Zero, c41 = Vector<T>.Zero, c50 = Vector<T>.Zero, c51 = Vector<T>.Zero;
        ref T ap = ref panel;
        ref T bp = ref b;
        for (int p = 0; p < depth; p++)
        {
            Vector<T> y0 = Vector.LoadUnsafe(ref bp);
            Vector<T> y1 = Vector.LoadUnsafe(ref bp, w);
            Vector<T> x = new(ap);
            c00 = MulAdd(x, y0, c00);
            c01 = MulAdd(x, y1, c01);
            x = new(Unsafe.Add(ref ap, 1));
            c10 = MulAdd(x, y0, c10);
            c11 = MulAdd(x, y1, c11);
            x = new(Unsafe.Add(ref ap, 2));
            c20 = MulAdd(x, y0, c20);
            c21 = MulAdd(x, y1, c21);
            x = new(Unsafe.Add(ref ap, 3));
            c30 = MulAdd(x, y0, c30);
            c31 = MulAdd(x, y1, c31);
            x = new(Unsafe.Add(ref ap, 4));
            c40 = MulAdd(x, y0, c40);
            c41 = MulAdd(x, y1, c41);
            x = new(Unsafe.Add(ref ap, 5));
            c50 = MulAdd(x, y0, c50);
            c51 = MulAdd(x, y1, c51);
            ap = ref Unsafe.Add(ref ap, 6);
            bp = ref Unsafe.Add(ref bp, ldb);
        }
        ref T cw = ref Unsafe.Add(ref c, (nint)w);
        if (!masked)
        {
            StoreSum(ref c, c00, accumulate);
            StoreSum(ref cw, c01, accumulate);
            if (nr > 1) { StoreSum(ref Unsafe.Add(ref c, ldc), c10, accumulate); StoreSum(ref Unsafe.Add(ref cw, ldc), c11, accumulate); }
            if (nr > 2) { StoreSum(ref Unsafe.Add(ref c, 2 * ldc), c20, accumulate); StoreSum(ref Unsafe.Add(ref cw, 2 * ldc), c21, accumulate); }
            if (nr > 3) { StoreSum(ref Unsafe.Add(ref c, 3 * ldc), c30, accumulate); StoreSum(ref Unsafe.Add(ref cw, 3 * ldc), c31, accumulate); }
            if (nr > 4) { StoreSum(ref Unsafe.Add(ref c, 4 * ldc), c40, accumulate); StoreSum(ref Unsafe.Add(ref cw, 4 * ldc), c41, accumulate); }
            if (nr > 5) { StoreSum(ref Unsafe.Add(ref c, 5 * ldc), c50, accumulate); StoreSum(ref Unsafe.Add(ref cw, 5 * ldc), c51, accumulate); }
            return;
        }
        StoreSum(ref c, c00, accumulate, mask0);
        StoreSum(ref cw, c01, accumulate, mask1);
        if (nr > 1) { StoreSum(ref Unsafe.Add(ref c, ldc), c10, accumulate, mask0); StoreSum(ref Unsafe.Add(ref cw, ldc), c11, accumulate, mask1); }
        if (nr > 2) { StoreSum(ref Unsafe.Add(ref c, 2 * ldc), c20, accumulate, mask0); StoreSum(ref Unsafe.Add(ref cw, 2 * ldc), c21, accumulate, mask1); }
        if (nr > 3) { StoreSum(ref Unsafe.Add(ref c, 3 * ldc), c30, accumulate, mask0); StoreSum(ref Unsafe.Add(ref cw, 3 * ldc), c31, accumulate, mask1); }
        if (nr > 4) { StoreSum(ref Unsafe.Add(ref c, 4 * ldc), c40, accumulate, mask0); StoreSum(ref Unsafe.Add(ref cw, 4 * ldc), c41, accumulate, mask1); }
        if (nr > 5) { StoreSum(ref Unsafe.Add(ref c, 5 * ldc), c50, accumulate, mask0); StoreSum(ref Unsafe.Add(ref cw, 5 * ldc), c51, accumulate, mask1); }
    }

    /// <summary>c = acc, or c + acc when accumulating.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSum<T>(ref T c, Vector<T> acc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        => (accumulate ? Vector.LoadUnsafe(ref c) + acc : acc).StoreUnsafe(ref c);

    /// <summary>As <see cref="StoreSum{T}(ref T, Vector{T}, bool)"/> for the lanes set in <paramref name="mask"/>; the others keep what c holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSum<T>(ref T c, Vector<T> acc, bool accumulate, Vector<T> mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> old = Vector.LoadUnsafe(ref c);
        Vector.ConditionalSelect(mask, accumulate ? old + acc : acc, old).StoreUnsafe(ref c);
    }

    private static void Tile4xV1<T>(ref T a, nint o1, nint o2, nint o3, nint aP, ref T b, nint ldb, ref T c, nint ldc, int nr, int depth,
        T alpha, T beta, bool masked, Vector<T> mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> c0 = Vector<T>.Zero, c1 = Vector<T>.Zero, c2 = Vector<T>.Zero, c3 = Vector<T>.Zero;
        ref T ap = ref a;
        ref T bp = ref b;
        for (int p = 0; p < depth; p++)
        {
            Vector<T> y = Vector.LoadUnsafe(ref bp);
            c0 = MulAdd(new Vector<T>(ap), y, c0);
            c1 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, o1)), y, c1);
            c2 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, o2)), y, c2);
            c3 = MulAdd(new Vector<T>(Unsafe.Add(ref ap, o3)), y, c3);
            ap = ref Unsafe.Add(ref ap, aP);
            bp = ref Unsafe.Add(ref bp, ldb);
        }
        Vector<T> va = new(alpha);
        Vector<T> vb = new(beta);
        bool readC = beta != T.Zero;
        StoreAcc(ref c, c0, va, vb, readC, masked, mask);
        if (nr > 1) StoreAcc(ref Unsafe.Add(ref c, ldc), c1, va, vb, readC, masked, mask);
        if (nr > 2) StoreAcc(ref Unsafe.Add(ref c, 2 * ldc), c2, va, vb, readC, masked, mask);
        if (nr > 3) StoreAcc(ref Unsafe.Add(ref c, 3 * ldc), c3, va, vb, readC, masked, mask);
    }

    /// <summary>c = beta·c + alpha·acc (c not read when !readC); when masked, only the lanes set in mask change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreAcc<T>(ref T c, Vector<T> acc, Vector<T> alpha, Vector<T> beta, bool readC, bool masked, Vector<T> mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> r = alpha * acc;
        if (masked)
        {
            Vector<T> old = Vector.LoadUnsafe(ref c);
            if (readC)
                r = MulAdd(beta, old, r);
            r = Vector.ConditionalSelect(mask, r, old);
        }
        else if (readC)
        {
            r = MulAdd(beta, Vector.LoadUnsafe(ref c), r);
        }
        r.StoreUnsafe(ref c);
    }

    // ---------------------------------------------------------------- column sums

    private static void SumRowsSimd<T>(ReadOnlySpan<T> a, Span<T> sum, int m, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T sRef = ref MemoryMarshal.GetReference(sum);
        Vector<T> va = new(alpha);
        Vector<T> vb = new(beta);
        bool readS = beta != T.Zero;
        int col = 0;
        for (; col + w <= n; col += w)
            StoreAcc(ref Unsafe.Add(ref sRef, col), ColumnSum(ref Unsafe.Add(ref aRef, col), n, m), va, vb, readS, false, Vector<T>.Zero);
        if (col < n)
            StoreAcc(ref Unsafe.Add(ref sRef, n - w), ColumnSum(ref Unsafe.Add(ref aRef, n - w), n, m), va, vb, readS, true, TailMask<T>(w - (n - col)));
    }

    private static Vector<T> ColumnSum<T>(ref T a, nint lda, int m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero;
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            s0 += Vector.LoadUnsafe(ref Unsafe.Add(ref a, i * lda));
            s1 += Vector.LoadUnsafe(ref Unsafe.Add(ref a, (i + 1) * lda));
        }
        if (i < m)
            s0 += Vector.LoadUnsafe(ref Unsafe.Add(ref a, i * lda));
        return s0 + s1;
    }
}
