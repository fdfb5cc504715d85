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
// The tile kernels are never inlined: with tiered PGO the JIT sometimes inlined a tile into its hot caller, ran out of inlining
// budget there and left the AggressiveInlining MulAdd as a call in the inner loop (the update at 9 GFLOP/s instead of 80). A call
// per tile (hundreds of FMAs) costs nothing.
public static partial class Gemm
{
    /// <summary>Depth (p) block for the broadcast kernels, so that the strip of B a column tile walks stays in L1.</summary>
    private const int DepthBlock = 256;

    /// <summary>The broadcast kernels pack B from this many rows of C on (8 panels of 6 reuse each packed tile).</summary>
    private const int PackBMinRows = 48;

    /// <summary>Width of a column block of the broadcast kernels, in two-vector tiles: 256 floats, so a depth block of B stays in L2.</summary>
    private const int ColumnBlockTiles = 16;

    /// <summary>Bytes of A (rows of activations) the forward kernel keeps in L2 at once (Zen 3 has 512 KB per core).</summary>
    private const int ForwardBlockBytes = 192 * 1024;

    /// <summary>x·y + acc: one fused multiply-add where the hardware has one, else a multiply and an add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<T> MulAdd<T>(Vector<T> x, Vector<T> y, Vector<T> acc)
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

        // Tile: 3 rows of A × 4 rows of B, 12 accumulators (with 8, two FMA pipes of latency 4 had no slack; 3×4 is also 7 loads
        // per 12 FMAs against 6 per 8). j outer so the 4 rows of B stay in L1 while a block of rows of A passes; the block
        // (≤ ForwardBlockBytes of A) stays in L2 while all of B streams by once. Rows left over take 2-row tiles (10 rows: 3, 3, 2,
        // 2), and edge tiles repeat a valid row or column (its result is computed and dropped) rather than running narrower kernels.
        int rowBlock = Math.Max(3, ForwardBlockBytes / (k * Unsafe.SizeOf<T>()) / 3 * 3);
        for (int i0 = rowStart; i0 < rowEnd; i0 += rowBlock)
        {
            int iEnd = Math.Min(rowEnd, i0 + rowBlock);
            for (int j = colStart; j < colEnd; j += 4)
            {
                int nj = Math.Min(4, colEnd - j);
                ref T b0 = ref Unsafe.Add(ref bRef, (nint)j * k);
                nint b1 = nj > 1 ? k : 0, b2 = nj > 2 ? 2 * (nint)k : 0, b3 = nj > 3 ? 3 * (nint)k : 0;
                ref T biasJ = ref Unsafe.Add(ref biasRef, hasBias ? j : 0);
                for (int i = i0; i < iEnd;)
                {
                    int left = iEnd - i;
                    ref T a0 = ref Unsafe.Add(ref aRef, (nint)i * k);
                    ref T c0 = ref Unsafe.Add(ref cRef, (nint)i * n + j);
                    if (left == 3 || left > 4)
                    {
                        DotTile<T, ThreeRows>(ref a0, k, 2 * (nint)k, ref b0, b1, b2, b3, k, rem, mask, ref c0, n, 3, nj, ref biasJ, hasBias);
                        i += 3;
                    }
                    else
                    {
                        int ni = Math.Min(2, left);
                        DotTile<T, TwoRows>(ref a0, ni > 1 ? k : 0, 0, ref b0, b1, b2, b3, k, rem, mask, ref c0, n, ni, nj, ref biasJ, hasBias);
                        i += 2;
                    }
                }
            }
        }
    }

    /// <summary>The number of rows of A a forward tile takes: a type argument, so that each size is its own compiled kernel.</summary>
    private interface ITileRows { static abstract int Count { get; } }
    private struct TwoRows : ITileRows { public static int Count => 2; }
    private struct ThreeRows : ITileRows { public static int Count => 3; }

    /// <summary>
    /// Dot products of TRows rows of A (at a0, a0 + a1, a0 + a2) with 4 rows of B (at b0, b0 + b1, …), ni × nj of them stored to C.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DotTile<T, TRows>(ref T a0, nint a1, nint a2, ref T b0, nint b1, nint b2, nint b3, int k, int rem, Vector<T> mask,
        ref T c, int ldc, int ni, int nj, ref T bias, bool hasBias)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRows : struct, ITileRows
    {
        nuint w = (nuint)Vector<T>.Count;
        nuint kMain = (nuint)(k - rem);
        var sums = new DotSums<T>();
        ref T a1r = ref Unsafe.Add(ref a0, a1);
        ref T a2r = ref Unsafe.Add(ref a0, a2);
        ref T b1r = ref Unsafe.Add(ref b0, b1);
        ref T b2r = ref Unsafe.Add(ref b0, b2);
        ref T b3r = ref Unsafe.Add(ref b0, b3);
        for (nuint p = 0; p < kMain; p += w)
            sums.Add<TRows>(Vector.LoadUnsafe(ref a0, p), Vector.LoadUnsafe(ref a1r, p), TRows.Count == 3 ? Vector.LoadUnsafe(ref a2r, p) : default,
                ref b0, ref b1r, ref b2r, ref b3r, p);
        if (rem != 0)
        {
            // One more vector at k − w, with the lanes already counted zeroed in A.
            nuint p = (nuint)k - w;
            sums.Add<TRows>(Vector.LoadUnsafe(ref a0, p) & mask, Vector.LoadUnsafe(ref a1r, p) & mask, TRows.Count == 3 ? Vector.LoadUnsafe(ref a2r, p) & mask : default,
                ref b0, ref b1r, ref b2r, ref b3r, p);
        }
        StoreDots(ref c, nj, Vector.Sum(sums.C00), Vector.Sum(sums.C01), Vector.Sum(sums.C02), Vector.Sum(sums.C03), ref bias, hasBias);
        if (ni > 1)
            StoreDots(ref Unsafe.Add(ref c, ldc), nj, Vector.Sum(sums.C10), Vector.Sum(sums.C11), Vector.Sum(sums.C12), Vector.Sum(sums.C13), ref bias, hasBias);
        if (ni > 2)
            StoreDots(ref Unsafe.Add(ref c, 2 * ldc), nj, Vector.Sum(sums.C20), Vector.Sum(sums.C21), Vector.Sum(sums.C22), Vector.Sum(sums.C23), ref bias, hasBias);
    }

    /// <summary>The 12 running sums of a forward tile: row i of A with row j of B in Cij.</summary>
    private struct DotSums<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Vector<T> C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23;

        /// <summary>One step: x0, x1 (and x2 for three rows) against the vectors at p of the 4 rows of B.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add<TRows>(Vector<T> x0, Vector<T> x1, Vector<T> x2, ref T b0, ref T b1, ref T b2, ref T b3, nuint p)
            where TRows : struct, ITileRows
        {
            bool three = TRows.Count == 3;
            Vector<T> y = Vector.LoadUnsafe(ref b0, p);
            C00 = MulAdd(x0, y, C00);
            C10 = MulAdd(x1, y, C10);
            if (three) C20 = MulAdd(x2, y, C20);
            y = Vector.LoadUnsafe(ref b1, p);
            C01 = MulAdd(x0, y, C01);
            C11 = MulAdd(x1, y, C11);
            if (three) C21 = MulAdd(x2, y, C21);
            y = Vector.LoadUnsafe(ref b2, p);
            C02 = MulAdd(x0, y, C02);
            C12 = MulAdd(x1, y, C12);
            if (three) C22 = MulAdd(x2, y, C22);
            y = Vector.LoadUnsafe(ref b3, p);
            C03 = MulAdd(x0, y, C03);
            C13 = MulAdd(x1, y, C13);
            if (three) C23 = MulAdd(x2, y, C23);
        }
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
        Span<T> panels = cols >= 2 * w ? PackBuffer<T>.Panels((rows + 5) / 6 * 6 * Math.Min(depth, DepthBlock)) : default;
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
    /// time across the block. A is first packed, times alpha, into <paramref name="panels"/> of 6 rows each (p-major: the 6 values a
    /// step broadcasts lie together), so the tile's epilogue is one add per vector and the tile needs one pointer into A instead of
    /// six. Each column block of B is packed too, tile after tile, two vectors a row: a tile then reads one aligned cache line a
    /// step, in order, instead of a line and a half at a stride of a whole row of B (4 KB at 1,000 columns, so that the same few L1
    /// sets keep being hit). The block stays in L2 while every row passes, and C is walked row by row (sequential, so the hardware
    /// prefetcher streams it).
    /// </summary>
    private static void BroadcastWide<T>(ref T a, int aRow, int aP, ref T b, int ldb, ref T c, int ldc, int rows, int cols, int depth, T alpha, bool accumulate, Span<T> panels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tile = 2 * Vector<T>.Count;
        int block = ColumnBlockTiles * tile;
        ref T panelsRef = ref MemoryMarshal.GetReference(panels);
        // Packing B pays when many panels of rows reuse it; for a few (m = 10: BP2's rows, the update of 30 neurons) B is read
        // where it lies.
        bool packB = rows >= PackBMinRows;
        ref T tilesRef = ref MemoryMarshal.GetReference(packB ? PackBuffer<T>.Tiles(depth * block) : default);
        if (aRow == 1)
            PackPanelsDownColumns(ref a, aP, rows, depth, alpha, ref panelsRef);
        else
            for (int r = 0; r < rows; r += 6)
                PackPanel(ref Unsafe.Add(ref a, (nint)r * aRow), aRow, aP, Math.Min(6, rows - r), depth, alpha, ref Unsafe.Add(ref panelsRef, (nint)r * depth));
        for (int col0 = 0; col0 < cols; col0 += block)
        {
            int colEnd = Math.Min(col0 + block, cols);
            int tiles = packB ? PackColumnTiles(ref b, ldb, depth, col0, colEnd, cols, ref tilesRef) : (colEnd - col0 + tile - 1) / tile;
            // Only the last block can end in a part tile: the tile at cols − 2w, which overlaps the one before; its lanes before
            // the remainder are final already and are blended back.
            int fresh = colEnd - (col0 + (tiles - 1) * tile);
            bool lastMasked = fresh < tile;
            Vector<T> mask0 = lastMasked ? TailMask<T>(tile - fresh) : default, mask1 = lastMasked ? TailMask<T>(tile / 2 - fresh) : default;
            for (int r = 0; r < rows; r += 6)
            {
                int nr = Math.Min(6, rows - r);
                ref T panelRef = ref Unsafe.Add(ref panelsRef, (nint)r * depth);
                ref T cr = ref Unsafe.Add(ref c, (nint)r * ldc);
                for (int t = 0; t < tiles; t++)
                {
                    bool masked = lastMasked && t == tiles - 1;
                    int col = masked ? cols - tile : col0 + t * tile;
                    ref T tileRef = ref packB ? ref Unsafe.Add(ref tilesRef, (nint)t * depth * tile) : ref Unsafe.Add(ref b, col);
                    Tile6xV2(ref panelRef, ref tileRef, packB ? tile : ldb, ref Unsafe.Add(ref cr, col), ldc, nr, depth, accumulate, masked, mask0, mask1);
                }
            }
        }
    }

    /// <summary>
    /// B[0..depth, col0..colEnd) as two-vector tiles, each depth × 2w and contiguous, into <paramref name="tiles"/>; a last part
    /// tile is taken from cols − 2w. Returns the number of tiles. B is read row by row, each row's part of the block in one
    /// sequential run: read tile by tile, down the columns, every line was a new page 4 KB on (at 1,000 columns) that the hardware
    /// prefetcher does not follow, and the packing took 6 % of a [784,1000,1000,10] run.
    /// </summary>
    private static int PackColumnTiles<T>(ref T b, nint ldb, int depth, int col0, int colEnd, int cols, ref T tiles)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint w = (nuint)Vector<T>.Count;
        int tile = 2 * (int)w;
        int count = (colEnd - col0 + tile - 1) / tile;
        int last = Math.Min(col0 + (count - 1) * tile, cols - tile); // where the last tile starts: a part tile overlaps the one before
        nint tileSize = (nint)depth * tile;
        for (int p = 0; p < depth; p++)
        {
            ref T row = ref Unsafe.Add(ref b, p * ldb);
            ref T to = ref Unsafe.Add(ref tiles, p * tile);
            for (int t = 0; t < count; t++)
            {
                ref T from = ref Unsafe.Add(ref row, t < count - 1 ? col0 + t * tile : last);
                ref T dst = ref Unsafe.Add(ref to, t * tileSize);
                Vector.LoadUnsafe(ref from).StoreUnsafe(ref dst);
                Vector.LoadUnsafe(ref from, w).StoreUnsafe(ref dst, w);
            }
        }
        return count;
    }

    /// <summary>
    /// Per-thread scratch for the packed operands, grown to the largest size asked for, so steady state allocates nothing.
    /// Pinned and 64-byte aligned, so that each two-vector row of a packed tile is one cache line.
    /// </summary>
    private static class PackBuffer<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? t_panels;
        [ThreadStatic] private static T[]? t_tiles;

        /// <summary>alpha·A in 6-row panels: the rows × one depth block.</summary>
        public static Span<T> Panels(int length) => Aligned(ref t_panels, length);

        /// <summary>B's column tiles: one depth block × one column block (at most <see cref="DepthBlock"/> × 16 tiles).</summary>
        public static Span<T> Tiles(int length) => Aligned(ref t_tiles, length);

        private static unsafe Span<T> Aligned(ref T[]? buffer, int length)
        {
            int slack = 64 / sizeof(T);
            if (buffer is null || buffer.Length < length + slack)
                buffer = GC.AllocateUninitializedArray<T>(length + slack, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
            int skip = (int)(-address & 63) / sizeof(T);
            return buffer.AsSpan(skip, length);
        }
    }

    /// <summary>panel[6p + i] = alpha · a(i, p) for i &lt; nr, and 0 for the rows an edge tile lacks (their results are dropped).</summary>
    private static void PackPanel<T>(ref T a, nint aRow, nint aP, int nr, int depth, T alpha, ref T panel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (nr < 6)
        {
            MemoryMarshal.CreateSpan(ref panel, 6 * depth).Clear();
            for (int i = 0; i < nr; i++)
            {
                ref T ai = ref Unsafe.Add(ref a, i * aRow);
                ref T to = ref Unsafe.Add(ref panel, i);
                for (int p = 0; p < depth; p++)
                    Unsafe.Add(ref to, 6 * p) = alpha * Unsafe.Add(ref ai, p * aP);
            }
            return;
        }
        // Six rows side by side, the panel written in order (row by row it was written at a stride of 6, 3.3 % of a run).
        ref T a1 = ref Unsafe.Add(ref a, aRow);
        ref T a2 = ref Unsafe.Add(ref a, 2 * aRow);
        ref T a3 = ref Unsafe.Add(ref a, 3 * aRow);
        ref T a4 = ref Unsafe.Add(ref a, 4 * aRow);
        ref T a5 = ref Unsafe.Add(ref a, 5 * aRow);
        for (int p = 0; p < depth; p++)
        {
            nint at = p * aP;
            ref T to = ref Unsafe.Add(ref panel, 6 * p);
            to = alpha * Unsafe.Add(ref a, at);
            Unsafe.Add(ref to, 1) = alpha * Unsafe.Add(ref a1, at);
            Unsafe.Add(ref to, 2) = alpha * Unsafe.Add(ref a2, at);
            Unsafe.Add(ref to, 3) = alpha * Unsafe.Add(ref a3, at);
            Unsafe.Add(ref to, 4) = alpha * Unsafe.Add(ref a4, at);
            Unsafe.Add(ref to, 5) = alpha * Unsafe.Add(ref a5, at);
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
    /// 6 rows × 2 vectors: C (+)= Σ_p panel[6p + i] · tile[p, :], rows of the tile <paramref name="ldt"/> apart (2w when packed). 12 accumulators (enough
    /// independent FMAs to hide their latency), 2 loads of B and 6 broadcasts per step. With <paramref name="accumulate"/> the sums
    /// are added to C, else they replace it (C is then not read, except the finished lanes a masked tile blends back).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile6xV2<T>(ref T panel, ref T tile, nint ldt, ref T c, nint ldc, int nr, int depth,
        bool accumulate, bool masked, Vector<T> mask0, Vector<T> mask1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint w = (nuint)Vector<T>.Count;
        Vector<T> c00 = Vector<T>.Zero, c01 = Vector<T>.Zero, c10 = Vector<T>.Zero, c11 = Vector<T>.Zero;
        Vector<T> c20 = Vector<T>.Zero, c21 = Vector<T>.Zero, c30 = Vector<T>.Zero, c31 = Vector<T>.Zero;
        Vector<T> c40 = Vector<T>.Zero, c41 = Vector<T>.Zero, c50 = Vector<T>.Zero, c51 = Vector<T>.Zero;
        ref T ap = ref panel;
        ref T bp = ref tile;
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
            bp = ref Unsafe.Add(ref bp, ldt);
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

    [MethodImpl(MethodImplOptions.NoInlining)]
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
        // Four vectors of columns at a time: a walk down the rows then reads two whole cache lines of each row, with eight
        // independent sums, instead of half a line with two (at 1,000 columns the one-vector walk took 86 µs for m = 100).
        for (; col + 4 * w <= n; col += 4 * w)
        {
            ref T s = ref Unsafe.Add(ref sRef, col);
            var (s0, s1, s2, s3) = ColumnSum4(ref Unsafe.Add(ref aRef, col), n, m);
            StoreAcc(ref s, s0, va, vb, readS, false, Vector<T>.Zero);
            StoreAcc(ref Unsafe.Add(ref s, w), s1, va, vb, readS, false, Vector<T>.Zero);
            StoreAcc(ref Unsafe.Add(ref s, 2 * w), s2, va, vb, readS, false, Vector<T>.Zero);
            StoreAcc(ref Unsafe.Add(ref s, 3 * w), s3, va, vb, readS, false, Vector<T>.Zero);
        }
        for (; col + w <= n; col += w)
            StoreAcc(ref Unsafe.Add(ref sRef, col), ColumnSum(ref Unsafe.Add(ref aRef, col), n, m), va, vb, readS, false, Vector<T>.Zero);
        if (col < n)
            StoreAcc(ref Unsafe.Add(ref sRef, n - w), ColumnSum(ref Unsafe.Add(ref aRef, n - w), n, m), va, vb, readS, true, TailMask<T>(w - (n - col)));
    }

    /// <summary>As <see cref="ColumnSum{T}"/> for four adjacent vectors of columns, each summed in the same order.</summary>
    private static (Vector<T>, Vector<T>, Vector<T>, Vector<T>) ColumnSum4<T>(ref T a, nint lda, int m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint w = (nuint)Vector<T>.Count;
        Vector<T> e0 = Vector<T>.Zero, e1 = Vector<T>.Zero, e2 = Vector<T>.Zero, e3 = Vector<T>.Zero;
        Vector<T> o0 = Vector<T>.Zero, o1 = Vector<T>.Zero, o2 = Vector<T>.Zero, o3 = Vector<T>.Zero;
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            ref T even = ref Unsafe.Add(ref a, i * lda);
            ref T odd = ref Unsafe.Add(ref even, lda);
            e0 += Vector.LoadUnsafe(ref even);
            e1 += Vector.LoadUnsafe(ref even, w);
            e2 += Vector.LoadUnsafe(ref even, 2 * w);
            e3 += Vector.LoadUnsafe(ref even, 3 * w);
            o0 += Vector.LoadUnsafe(ref odd);
            o1 += Vector.LoadUnsafe(ref odd, w);
            o2 += Vector.LoadUnsafe(ref odd, 2 * w);
            o3 += Vector.LoadUnsafe(ref odd, 3 * w);
        }
        if (i < m)
        {
            ref T last = ref Unsafe.Add(ref a, i * lda);
            e0 += Vector.LoadUnsafe(ref last);
            e1 += Vector.LoadUnsafe(ref last, w);
            e2 += Vector.LoadUnsafe(ref last, 2 * w);
            e3 += Vector.LoadUnsafe(ref last, 3 * w);
        }
        return (e0 + o0, e1 + o1, e2 + o2, e3 + o3);
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
