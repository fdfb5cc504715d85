using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Kernels;

/// <summary>
/// The SIMD kernels of <see cref="Gemm"/>, written once for any vector width <typeparamref name="TSimd"/> (<see cref="ISimd{TVector, T}"/>);
/// <see cref="Gemm"/> calls them with the widest the processor accelerates. Every method assumes the vectorised dimension is at
/// least one vector (the dispatchers route everything else to the scalar code). Remainders are handled without scalar loops:
/// a last, overlapping vector whose already-done lanes are masked off (zeroed in a dot product, or blended back on store).
/// The tile kernels are never inlined: with tiered PGO the JIT sometimes inlined a tile into its hot caller, ran out of
/// inlining budget there and left the multiply-add as a call in the inner loop (the update at 9 GFLOP/s instead of 80). A
/// call per tile (hundreds of FMAs) costs nothing.
/// </summary>
internal static class SimdGemm<T, TVector, TSimd>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVector : struct
    where TSimd : ISimd<TVector, T>
{
    /// <summary>
    /// Depth (p) block of the broadcast kernels: a packed tile of B (depth × two vectors) is then 16 KB, which stays in L1 beside
    /// the rows of A that stream past it (Zen 4 has 32 KB of L1, Zen 5 48).
    /// </summary>
    private static int DepthBlock => 16 * 1024 / (2 * TSimd.Count * Unsafe.SizeOf<T>());

    /// <summary>The broadcast kernels pack a tile of B from this many rows of C on (8 row groups of 6 reuse each packed tile).</summary>
    private const int PackBMinRows = 48;

    /// <summary>Bytes of A (rows of activations) the dot-product forward kernel keeps in L2 at once.</summary>
    private const int ForwardBlockBytes = 192 * 1024;

    private static int W => TSimd.Count;

    // ---------------------------------------------------------------- forward, dot-product form: C = A·Bᵀ + bias (few rows)

    /// <summary>C[rowStart..rowEnd, colStart..colEnd) = A·Bᵀ + bias as dot products along k (k ≥ one vector).</summary>
    public static void ForwardDots(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int n, int k, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        int rem = k % W;
        // The k remainder is one extra vector at k − w whose first w − rem lanes (already counted) are zeroed in A.
        TVector mask = rem != 0 ? TSimd.LanesFrom(W - rem) : TSimd.Zero;
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
                        DotTile<ThreeRows>(ref a0, k, 2 * (nint)k, ref b0, b1, b2, b3, k, rem, mask, ref c0, n, 3, nj, ref biasJ, hasBias);
                        i += 3;
                    }
                    else
                    {
                        int ni = Math.Min(2, left);
                        DotTile<TwoRows>(ref a0, ni > 1 ? k : 0, 0, ref b0, b1, b2, b3, k, rem, mask, ref c0, n, ni, nj, ref biasJ, hasBias);
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
    private static void DotTile<TRows>(ref T a0, nint a1, nint a2, ref T b0, nint b1, nint b2, nint b3, int k, int rem, TVector mask,
        ref T c, int ldc, int ni, int nj, ref T bias, bool hasBias)
        where TRows : struct, ITileRows
    {
        nuint w = (nuint)W;
        nuint kMain = (nuint)(k - rem);
        var sums = new DotSums();
        ref T a1r = ref Unsafe.Add(ref a0, a1);
        ref T a2r = ref Unsafe.Add(ref a0, a2);
        ref T b1r = ref Unsafe.Add(ref b0, b1);
        ref T b2r = ref Unsafe.Add(ref b0, b2);
        ref T b3r = ref Unsafe.Add(ref b0, b3);
        for (nuint p = 0; p < kMain; p += w)
            sums.Add<TRows>(TSimd.Load(ref a0, p), TSimd.Load(ref a1r, p), TRows.Count == 3 ? TSimd.Load(ref a2r, p) : default,
                ref b0, ref b1r, ref b2r, ref b3r, p);
        if (rem != 0)
        {
            // One more vector at k − w, with the lanes already counted zeroed in A.
            nuint p = (nuint)k - w;
            sums.Add<TRows>(TSimd.And(TSimd.Load(ref a0, p), mask), TSimd.And(TSimd.Load(ref a1r, p), mask),
                TRows.Count == 3 ? TSimd.And(TSimd.Load(ref a2r, p), mask) : default, ref b0, ref b1r, ref b2r, ref b3r, p);
        }
        StoreDots(ref c, nj, TSimd.Sum(sums.C00), TSimd.Sum(sums.C01), TSimd.Sum(sums.C02), TSimd.Sum(sums.C03), ref bias, hasBias);
        if (ni > 1)
            StoreDots(ref Unsafe.Add(ref c, ldc), nj, TSimd.Sum(sums.C10), TSimd.Sum(sums.C11), TSimd.Sum(sums.C12), TSimd.Sum(sums.C13), ref bias, hasBias);
        if (ni > 2)
            StoreDots(ref Unsafe.Add(ref c, 2 * ldc), nj, TSimd.Sum(sums.C20), TSimd.Sum(sums.C21), TSimd.Sum(sums.C22), TSimd.Sum(sums.C23), ref bias, hasBias);
    }

    /// <summary>The 12 running sums of a forward tile: row i of A with row j of B in Cij.</summary>
    private struct DotSums
    {
        public TVector C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23;

        /// <summary>One step: x0, x1 (and x2 for three rows) against the vectors at p of the 4 rows of B.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add<TRows>(TVector x0, TVector x1, TVector x2, ref T b0, ref T b1, ref T b2, ref T b3, nuint p)
            where TRows : struct, ITileRows
        {
            bool three = TRows.Count == 3;
            TVector y = TSimd.Load(ref b0, p);
            C00 = TSimd.MulAdd(x0, y, C00);
            C10 = TSimd.MulAdd(x1, y, C10);
            if (three) C20 = TSimd.MulAdd(x2, y, C20);
            y = TSimd.Load(ref b1, p);
            C01 = TSimd.MulAdd(x0, y, C01);
            C11 = TSimd.MulAdd(x1, y, C11);
            if (three) C21 = TSimd.MulAdd(x2, y, C21);
            y = TSimd.Load(ref b2, p);
            C02 = TSimd.MulAdd(x0, y, C02);
            C12 = TSimd.MulAdd(x1, y, C12);
            if (three) C22 = TSimd.MulAdd(x2, y, C22);
            y = TSimd.Load(ref b3, p);
            C03 = TSimd.MulAdd(x0, y, C03);
            C13 = TSimd.MulAdd(x1, y, C13);
            if (three) C23 = TSimd.MulAdd(x2, y, C23);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDots(ref T c, int nj, T s0, T s1, T s2, T s3, ref T bias, bool hasBias)
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

    // ---------------------------------------------------------------- forward, broadcast form (a batch of rows)

    /// <summary>
    /// C[rowStart..rowEnd, colStart..colEnd) = A·Wᵀ + bias in the broadcast form of <see cref="Broadcast"/>: row i of C is
    /// bias + Σ_p A[i, p] · Wᵀ[p, :], with Wᵀ[p, :] a row of a tile of W packed transposed (<see cref="PackTransposedTile"/>),
    /// once per step and reused by every row of the batch. The columns must span at least two vectors. In the dot-product
    /// form each of a tile's 12 sums ended in a horizontal sum, and a tile's rows of A came from L2 at 7 loads per 12 FMAs:
    /// 136 GFLOP/s a core at m = 128 on Zen 5, where the broadcast kernels ran at 218.
    /// </summary>
    public static void ForwardBroadcast(ReadOnlySpan<T> a, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> c, int n, int k,
        int rowStart, int rowEnd, int colStart, int colEnd)
    {
        int tile = 2 * W;
        int cols = colEnd - colStart, rows = rowEnd - rowStart;
        ref T aRef = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (nint)rowStart * k);
        ref T wRef = ref MemoryMarshal.GetReference(weights);
        ref T cRef = ref Unsafe.Add(ref MemoryMarshal.GetReference(c), (nint)rowStart * n);
        ref T biasRef = ref MemoryMarshal.GetReference(bias);
        int depthBlock = Math.Min(DepthBlock, k);
        ref T packed = ref MemoryMarshal.GetReference(PackBuffer.Tile(depthBlock * tile));
        int tiles = (cols + tile - 1) / tile;
        int fresh = cols - (tiles - 1) * tile; // columns of the last tile not in the one before
        var last = new LastTile(fresh, tile);
        for (int p0 = 0; p0 < k; p0 += depthBlock)
        {
            int depth = Math.Min(depthBlock, k - p0);
            // The first depth block starts from the bias (or zero), later ones add to what the first wrote.
            var start = p0 == 0 ? (bias.IsEmpty ? TileStart.Zero : TileStart.Bias) : TileStart.Accumulate;
            for (int t = 0; t < tiles; t++)
            {
                bool masked = t == tiles - 1 && last.Masked;
                int col = masked ? colEnd - tile : colStart + t * tile;
                PackTransposedTile(ref Unsafe.Add(ref wRef, (nint)col * k + p0), k, depth, ref packed);
                var epilogue = new Epilogue(start, TSimd.Create(T.One), ref Unsafe.Add(ref biasRef, bias.IsEmpty ? 0 : col), masked ? last : default);
                for (int r = 0; r < rows; r += 6)
                    Tile6xV2(ref Unsafe.Add(ref aRef, (nint)r * k + p0), k, 1, Math.Min(6, rows - r), ref packed, tile,
                        ref Unsafe.Add(ref cRef, (nint)r * n + col), n, depth, epilogue);
            }
        }
    }

    /// <summary>
    /// tile[p, jj] = w[jj, p] for p &lt; depth, jj &lt; two vectors: the rows of two vectors' worth of neurons, transposed in square
    /// blocks of one vector (<see cref="ISimd{TVector, T}.Transpose"/>); a last part block of the depth one element at a time.
    /// </summary>
    private static void PackTransposedTile(ref T w, nint ldw, int depth, ref T tile)
    {
        int lanes = W;
        nint ldt = 2 * lanes;
        int p = 0;
        for (; p + lanes <= depth; p += lanes)
        {
            ref T to = ref Unsafe.Add(ref tile, p * ldt);
            TSimd.Transpose(ref Unsafe.Add(ref w, p), ldw, ref to, ldt);
            TSimd.Transpose(ref Unsafe.Add(ref w, lanes * ldw + p), ldw, ref Unsafe.Add(ref to, lanes), ldt);
        }
        for (; p < depth; p++)
            for (int jj = 0; jj < ldt; jj++)
                Unsafe.Add(ref tile, p * ldt + jj) = Unsafe.Add(ref w, jj * ldw + p);
    }

    // ---------------------------------------------------------------- broadcast form: C = beta·C + alpha·Σ_p a(r,p)·B[p,:]

    /// <summary>
    /// C[rows×cols] (row stride ldc) = beta·C + alpha · Σ_{p&lt;depth} a(r,p) · B[p, :], where a(r,p) = a[r·aRow + p·aP] and B has
    /// row stride ldb (cols ≥ one vector). Both BP2 and BP4 are this shape; only the strides of A differ. Columns are taken two
    /// vectors at a time (a tile of B), each tile packed once per depth block, when many rows reuse it, into one contiguous,
    /// cache-line aligned strip that stays in L1 while every row passes; the rows of A are read where they lie.
    /// </summary>
    public static void Broadcast(ReadOnlySpan<T> a, int aRow, int aP, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int rows, int cols, int depth, T alpha, T beta)
    {
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        int tile = 2 * W;
        if (cols < tile)
        {
            // One vector wide, and a last one overlapping it: 4 rows at a time, B read where it lies.
            BroadcastColumnTile(ref aRef, aRow, aP, ref bRef, ldb, ref cRef, ldc, rows, depth, alpha, beta, masked: false, TSimd.Zero);
            if (cols > W)
                BroadcastColumnTile(ref aRef, aRow, aP, ref Unsafe.Add(ref bRef, cols - W), ldb, ref Unsafe.Add(ref cRef, cols - W), ldc,
                    rows, depth, alpha, beta, masked: true, TSimd.LanesFrom(2 * W - cols));
            return;
        }
        if (beta != T.Zero && beta != T.One)
        {
            // The wide kernel adds to C or overwrites it; any other beta scales C first.
            Gemm.ScaleRows(c, ldc, rows, cols, beta);
            beta = T.One;
        }
        // Packing B pays when many rows reuse it; for a few (m = 10: BP2's rows, the update of 30 neurons) B is read where it lies.
        bool packB = rows >= PackBMinRows;
        int depthBlock = Math.Min(DepthBlock, depth);
        ref T packed = ref MemoryMarshal.GetReference(packB ? PackBuffer.Tile(depthBlock * tile) : default);
        int tiles = (cols + tile - 1) / tile;
        var last = new LastTile(cols - (tiles - 1) * tile, tile);
        var vAlpha = TSimd.Create(alpha);
        for (int p0 = 0; p0 < depth; p0 += depthBlock)
        {
            int pc = Math.Min(depthBlock, depth - p0);
            var start = p0 == 0 && beta == T.Zero ? TileStart.Zero : TileStart.Accumulate; // later depth blocks add to what the first wrote
            ref T aBlock = ref Unsafe.Add(ref aRef, (nint)p0 * aP);
            ref T bBlock = ref Unsafe.Add(ref bRef, (nint)p0 * ldb);
            for (int t = 0; t < tiles; t++)
            {
                bool masked = t == tiles - 1 && last.Masked;
                int col = masked ? cols - tile : t * tile;
                ref T bTile = ref Unsafe.Add(ref bBlock, col);
                if (packB)
                    PackTile(ref bTile, ldb, pc, ref packed);
                var epilogue = new Epilogue(start, vAlpha, ref Unsafe.NullRef<T>(), masked ? last : default);
                for (int r = 0; r < rows; r += 6)
                    Tile6xV2(ref Unsafe.Add(ref aBlock, (nint)r * aRow), aRow, aP, Math.Min(6, rows - r), ref packB ? ref packed : ref bTile,
                        packB ? tile : ldb, ref Unsafe.Add(ref cRef, (nint)r * ldc + col), ldc, pc, epilogue);
            }
        }
    }

    /// <summary>B[0..depth, 0..2w) into one contiguous tile, two vectors a row.</summary>
    private static void PackTile(ref T b, nint ldb, int depth, ref T tile)
    {
        nuint w = (nuint)W;
        for (int p = 0; p < depth; p++)
        {
            ref T from = ref Unsafe.Add(ref b, p * ldb);
            ref T to = ref Unsafe.Add(ref tile, p * 2 * (nint)w);
            TSimd.Store(TSimd.Load(ref from, 0), ref to, 0);
            TSimd.Store(TSimd.Load(ref from, w), ref to, w);
        }
    }

    /// <summary>How a tile's sums reach C: they replace it, are added to it, or replace it after the bias (forward, first depth block).</summary>
    private enum TileStart { Zero, Accumulate, Bias }

    /// <summary>
    /// The last tile of a row when the columns are not a whole number of tiles: it starts two vectors before the end, overlapping
    /// the tile before, and only its last <c>fresh</c> columns are stored.
    /// </summary>
    private readonly struct LastTile(int fresh, int tile)
    {
        public readonly bool Masked = fresh < tile;
        public readonly TVector Mask0 = TSimd.LanesFrom(tile - fresh), Mask1 = TSimd.LanesFrom(tile / 2 - fresh);
    }

    /// <summary>What a tile does with its sums: C = start + alpha·sums, start being 0, C or the bias; a masked tile stores only its fresh lanes.</summary>
    private readonly ref struct Epilogue(TileStart start, TVector alpha, ref T bias, LastTile last)
    {
        public readonly TileStart Start = start;
        public readonly TVector Alpha = alpha;
        public readonly ref T Bias = ref bias;
        public readonly LastTile Last = last;
    }

    /// <summary>All rows of one column tile one vector wide (matrices narrower than two vectors), 4 rows at a time.</summary>
    private static void BroadcastColumnTile(ref T a, int aRow, int aP, ref T b, int ldb, ref T c, int ldc, int rows, int depth,
        T alpha, T beta, bool masked, TVector mask)
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
    /// 6 rows × 2 vectors: C = start + alpha · Σ_p a(i, p) · tile[p, :] for i &lt; nr, with a(i, p) = a[i·aRow + p·aP] and rows of the
    /// tile <paramref name="ldt"/> apart (2w when packed). 12 accumulators (enough independent FMAs to hide their latency), 2
    /// loads of B and 6 broadcasts per step. Edge tiles (nr &lt; 6) repeat row 0 for the missing rows and drop their results.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile6xV2(ref T a, nint aRow, nint aP, int nr, ref T tile, nint ldt, ref T c, nint ldc, int depth, in Epilogue epilogue)
    {
        nuint w = (nuint)W;
        nint o1 = nr > 1 ? aRow : 0, o2 = nr > 2 ? 2 * aRow : 0, o3 = nr > 3 ? 3 * aRow : 0, o4 = nr > 4 ? 4 * aRow : 0, o5 = nr > 5 ? 5 * aRow : 0;
        TVector c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero, c20 = TSimd.Zero, c21 = TSimd.Zero;
        TVector c30 = TSimd.Zero, c31 = TSimd.Zero, c40 = TSimd.Zero, c41 = TSimd.Zero, c50 = TSimd.Zero, c51 = TSimd.Zero;
        ref T ap = ref a;
        ref T bp = ref tile;
        for (int p = 0; p < depth; p++)
        {
            TVector y0 = TSimd.Load(ref bp, 0);
            TVector y1 = TSimd.Load(ref bp, w);
            TVector x = TSimd.Create(ap);
            c00 = TSimd.MulAdd(x, y0, c00);
            c01 = TSimd.MulAdd(x, y1, c01);
            x = TSimd.Create(Unsafe.Add(ref ap, o1));
            c10 = TSimd.MulAdd(x, y0, c10);
            c11 = TSimd.MulAdd(x, y1, c11);
            x = TSimd.Create(Unsafe.Add(ref ap, o2));
            c20 = TSimd.MulAdd(x, y0, c20);
            c21 = TSimd.MulAdd(x, y1, c21);
            x = TSimd.Create(Unsafe.Add(ref ap, o3));
            c30 = TSimd.MulAdd(x, y0, c30);
            c31 = TSimd.MulAdd(x, y1, c31);
            x = TSimd.Create(Unsafe.Add(ref ap, o4));
            c40 = TSimd.MulAdd(x, y0, c40);
            c41 = TSimd.MulAdd(x, y1, c41);
            x = TSimd.Create(Unsafe.Add(ref ap, o5));
            c50 = TSimd.MulAdd(x, y0, c50);
            c51 = TSimd.MulAdd(x, y1, c51);
            ap = ref Unsafe.Add(ref ap, aP);
            bp = ref Unsafe.Add(ref bp, ldt);
        }
        // The common cases first, each with one branch per row: adding to C, and replacing it (after the bias, if any).
        TVector alpha = epilogue.Alpha;
        if (!epilogue.Last.Masked && epilogue.Start == TileStart.Accumulate)
        {
            AddRow(ref c, c00, c01, alpha);
            if (nr > 1) AddRow(ref Unsafe.Add(ref c, ldc), c10, c11, alpha);
            if (nr > 2) AddRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha);
            if (nr > 3) AddRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha);
            if (nr > 4) AddRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, alpha);
            if (nr > 5) AddRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, alpha);
            return;
        }
        TVector start0 = TSimd.Zero, start1 = TSimd.Zero;
        if (epilogue.Start == TileStart.Bias)
        {
            start0 = TSimd.Load(ref epilogue.Bias, 0);
            start1 = TSimd.Load(ref epilogue.Bias, w);
        }
        if (!epilogue.Last.Masked)
        {
            SetRow(ref c, c00, c01, alpha, start0, start1);
            if (nr > 1) SetRow(ref Unsafe.Add(ref c, ldc), c10, c11, alpha, start0, start1);
            if (nr > 2) SetRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha, start0, start1);
            if (nr > 3) SetRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha, start0, start1);
            if (nr > 4) SetRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, alpha, start0, start1);
            if (nr > 5) SetRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, alpha, start0, start1);
            return;
        }
        StoreMaskedRow(ref c, c00, c01, start0, start1, epilogue);
        if (nr > 1) StoreMaskedRow(ref Unsafe.Add(ref c, ldc), c10, c11, start0, start1, epilogue);
        if (nr > 2) StoreMaskedRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, start0, start1, epilogue);
        if (nr > 3) StoreMaskedRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, start0, start1, epilogue);
        if (nr > 4) StoreMaskedRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, start0, start1, epilogue);
        if (nr > 5) StoreMaskedRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, start0, start1, epilogue);
    }

    /// <summary>c[0..2w) += alpha·(s0, s1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(ref T c, TVector s0, TVector s1, TVector alpha)
    {
        nuint w = (nuint)W;
        TSimd.Store(TSimd.MulAdd(alpha, s0, TSimd.Load(ref c, 0)), ref c, 0);
        TSimd.Store(TSimd.MulAdd(alpha, s1, TSimd.Load(ref c, w)), ref c, w);
    }

    /// <summary>c[0..2w) = start + alpha·(s0, s1), C not read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetRow(ref T c, TVector s0, TVector s1, TVector alpha, TVector start0, TVector start1)
    {
        TSimd.Store(TSimd.MulAdd(alpha, s0, start0), ref c, 0);
        TSimd.Store(TSimd.MulAdd(alpha, s1, start1), ref c, (nuint)W);
    }

    /// <summary>A row of the last, overlapping tile: as <see cref="AddRow"/> or <see cref="SetRow"/> on its fresh lanes, the others left as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMaskedRow(ref T c, TVector s0, TVector s1, TVector start0, TVector start1, in Epilogue epilogue)
    {
        nuint w = (nuint)W;
        TVector old0 = TSimd.Load(ref c, 0), old1 = TSimd.Load(ref c, w);
        bool accumulate = epilogue.Start == TileStart.Accumulate;
        TVector r0 = TSimd.MulAdd(epilogue.Alpha, s0, accumulate ? old0 : start0);
        TVector r1 = TSimd.MulAdd(epilogue.Alpha, s1, accumulate ? old1 : start1);
        TSimd.Store(TSimd.Select(epilogue.Last.Mask0, r0, old0), ref c, 0);
        TSimd.Store(TSimd.Select(epilogue.Last.Mask1, r1, old1), ref c, w);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile4xV1(ref T a, nint o1, nint o2, nint o3, nint aP, ref T b, nint ldb, ref T c, nint ldc, int nr, int depth,
        T alpha, T beta, bool masked, TVector mask)
    {
        TVector c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero;
        ref T ap = ref a;
        ref T bp = ref b;
        for (int p = 0; p < depth; p++)
        {
            TVector y = TSimd.Load(ref bp, 0);
            c0 = TSimd.MulAdd(TSimd.Create(ap), y, c0);
            c1 = TSimd.MulAdd(TSimd.Create(Unsafe.Add(ref ap, o1)), y, c1);
            c2 = TSimd.MulAdd(TSimd.Create(Unsafe.Add(ref ap, o2)), y, c2);
            c3 = TSimd.MulAdd(TSimd.Create(Unsafe.Add(ref ap, o3)), y, c3);
            ap = ref Unsafe.Add(ref ap, aP);
            bp = ref Unsafe.Add(ref bp, ldb);
        }
        TVector va = TSimd.Create(alpha);
        TVector vb = TSimd.Create(beta);
        bool readC = beta != T.Zero;
        StoreAcc(ref c, c0, va, vb, readC, masked, mask);
        if (nr > 1) StoreAcc(ref Unsafe.Add(ref c, ldc), c1, va, vb, readC, masked, mask);
        if (nr > 2) StoreAcc(ref Unsafe.Add(ref c, 2 * ldc), c2, va, vb, readC, masked, mask);
        if (nr > 3) StoreAcc(ref Unsafe.Add(ref c, 3 * ldc), c3, va, vb, readC, masked, mask);
    }

    /// <summary>c = beta·c + alpha·acc (c not read when !readC); when masked, only the lanes set in mask change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreAcc(ref T c, TVector acc, TVector alpha, TVector beta, bool readC, bool masked, TVector mask)
    {
        TVector r = TSimd.Multiply(alpha, acc);
        if (masked)
        {
            TVector old = TSimd.Load(ref c, 0);
            if (readC)
                r = TSimd.MulAdd(beta, old, r);
            r = TSimd.Select(mask, r, old);
        }
        else if (readC)
        {
            r = TSimd.MulAdd(beta, TSimd.Load(ref c, 0), r);
        }
        TSimd.Store(r, ref c, 0);
    }

    /// <summary>
    /// Per-thread scratch for a packed tile of B, grown to the largest size asked for, so steady state allocates nothing.
    /// Pinned and 64-byte aligned, so that each row of a packed tile starts a cache line.
    /// </summary>
    private static class PackBuffer
    {
        [ThreadStatic] private static T[]? t_tile;

        public static unsafe Span<T> Tile(int length)
        {
            int slack = 64 / sizeof(T);
            if (t_tile is null || t_tile.Length < length + slack)
                t_tile = GC.AllocateUninitializedArray<T>(length + slack, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_tile));
            int skip = (int)(-address & 63) / sizeof(T);
            return t_tile.AsSpan(skip, length);
        }
    }

    // ---------------------------------------------------------------- column sums

    /// <summary>sum[n] = beta·sum + alpha · Σᵢ A[i, :] (n ≥ one vector; with beta = 0, sum is not read).</summary>
    public static void SumRows(ReadOnlySpan<T> a, Span<T> sum, int m, int n, T alpha, T beta)
    {
        int w = W;
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T sRef = ref MemoryMarshal.GetReference(sum);
        TVector va = TSimd.Create(alpha);
        TVector vb = TSimd.Create(beta);
        bool readS = beta != T.Zero;
        int col = 0;
        // Four vectors of columns at a time: a walk down the rows then reads two whole cache lines of each row, with eight
        // independent sums, instead of half a line with two (at 1,000 columns the one-vector walk took 86 µs for m = 100).
        for (; col + 4 * w <= n; col += 4 * w)
        {
            ref T s = ref Unsafe.Add(ref sRef, col);
            var (s0, s1, s2, s3) = ColumnSum4(ref Unsafe.Add(ref aRef, col), n, m);
            StoreAcc(ref s, s0, va, vb, readS, false, TSimd.Zero);
            StoreAcc(ref Unsafe.Add(ref s, w), s1, va, vb, readS, false, TSimd.Zero);
            StoreAcc(ref Unsafe.Add(ref s, 2 * w), s2, va, vb, readS, false, TSimd.Zero);
            StoreAcc(ref Unsafe.Add(ref s, 3 * w), s3, va, vb, readS, false, TSimd.Zero);
        }
        for (; col + w <= n; col += w)
            StoreAcc(ref Unsafe.Add(ref sRef, col), ColumnSum(ref Unsafe.Add(ref aRef, col), n, m), va, vb, readS, false, TSimd.Zero);
        if (col < n)
            StoreAcc(ref Unsafe.Add(ref sRef, n - w), ColumnSum(ref Unsafe.Add(ref aRef, n - w), n, m), va, vb, readS, true, TSimd.LanesFrom(w - (n - col)));
    }

    /// <summary>As <see cref="ColumnSum"/> for four adjacent vectors of columns, each summed in the same order.</summary>
    private static (TVector, TVector, TVector, TVector) ColumnSum4(ref T a, nint lda, int m)
    {
        nuint w = (nuint)W;
        TVector e0 = TSimd.Zero, e1 = TSimd.Zero, e2 = TSimd.Zero, e3 = TSimd.Zero;
        TVector o0 = TSimd.Zero, o1 = TSimd.Zero, o2 = TSimd.Zero, o3 = TSimd.Zero;
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            ref T even = ref Unsafe.Add(ref a, i * lda);
            ref T odd = ref Unsafe.Add(ref even, lda);
            e0 = TSimd.Add(e0, TSimd.Load(ref even, 0));
            e1 = TSimd.Add(e1, TSimd.Load(ref even, w));
            e2 = TSimd.Add(e2, TSimd.Load(ref even, 2 * w));
            e3 = TSimd.Add(e3, TSimd.Load(ref even, 3 * w));
            o0 = TSimd.Add(o0, TSimd.Load(ref odd, 0));
            o1 = TSimd.Add(o1, TSimd.Load(ref odd, w));
            o2 = TSimd.Add(o2, TSimd.Load(ref odd, 2 * w));
            o3 = TSimd.Add(o3, TSimd.Load(ref odd, 3 * w));
        }
        if (i < m)
        {
            ref T last = ref Unsafe.Add(ref a, i * lda);
            e0 = TSimd.Add(e0, TSimd.Load(ref last, 0));
            e1 = TSimd.Add(e1, TSimd.Load(ref last, w));
            e2 = TSimd.Add(e2, TSimd.Load(ref last, 2 * w));
            e3 = TSimd.Add(e3, TSimd.Load(ref last, 3 * w));
        }
        return (TSimd.Add(e0, o0), TSimd.Add(e1, o1), TSimd.Add(e2, o2), TSimd.Add(e3, o3));
    }

    private static TVector ColumnSum(ref T a, nint lda, int m)
    {
        TVector s0 = TSimd.Zero, s1 = TSimd.Zero;
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            s0 = TSimd.Add(s0, TSimd.Load(ref Unsafe.Add(ref a, i * lda), 0));
            s1 = TSimd.Add(s1, TSimd.Load(ref Unsafe.Add(ref a, (i + 1) * lda), 0));
        }
        if (i < m)
            s0 = TSimd.Add(s0, TSimd.Load(ref Unsafe.Add(ref a, i * lda), 0));
        return TSimd.Add(s0, s1);
    }
}
