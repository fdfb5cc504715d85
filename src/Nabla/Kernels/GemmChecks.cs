namespace Nabla.Kernels;

/// <summary>Argument validation shared by <see cref="Gemm"/> and <see cref="ReferenceGemm"/>: cheap, once per call.</summary>
internal static class GemmChecks
{
    public static void MultiplyTransposedAddBias<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k)
    {
        Dims(m, n, k);
        Length(a.Length, m, k, "a", "m×k");
        Length(b.Length, n, k, "b", "n×k");
        Length(c.Length, m, n, "c", "m×n");
        if (!bias.IsEmpty && bias.Length != n)
            throw new ArgumentException($"bias has length {bias.Length}; expected n = {n} or empty.", nameof(bias));
        NoOverlap(c, a, "a");
        NoOverlap(c, b, "b");
        NoOverlap(c, bias, "bias");
    }

    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k)
    {
        Dims(m, n, k);
        Length(a.Length, m, k, "a", "m×k");
        Length(b.Length, k, n, "b", "k×n");
        Length(c.Length, m, n, "c", "m×n");
        NoOverlap(c, a, "a");
        NoOverlap(c, b, "b");
    }

    public static void MultiplyTransposedAAccumulate<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k)
    {
        Dims(m, n, k);
        Length(a.Length, m, n, "a", "m×n");
        Length(b.Length, m, k, "b", "m×k");
        Length(c.Length, n, k, "c", "n×k");
        NoOverlap(c, a, "a");
        NoOverlap(c, b, "b");
    }

    public static void SumRowsAccumulate<T>(ReadOnlySpan<T> a, Span<T> sum, int m, int n)
    {
        Dims(m, n, 0);
        Length(a.Length, m, n, "a", "m×n");
        if (sum.Length != n)
            throw new ArgumentException($"sum has length {sum.Length}; expected n = {n}.", nameof(sum));
        NoOverlap(sum, a, "a");
    }

    public static void RowRange(int rowStart, int rowEnd, int rows) => Range("Row", rowStart, rowEnd, rows);

    public static void ColumnRange(int colStart, int colEnd, int cols) => Range("Column", colStart, colEnd, cols);

    private static void Range(string what, int start, int end, int count)
    {
        if ((uint)start > (uint)count || end < start || end > count)
            throw new ArgumentOutOfRangeException(nameof(start), $"{what} range [{start}, {end}) is not inside [0, {count}).");
    }

    private static void Dims(int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
    }

    private static void Length(int actual, int rows, int cols, string name, string shape)
    {
        long expected = (long)rows * cols;
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}; expected {shape} = {rows}×{cols} = {expected}.", name);
    }

    private static void NoOverlap<T>(Span<T> output, ReadOnlySpan<T> input, string name)
    {
        if (!output.IsEmpty && !input.IsEmpty && ((ReadOnlySpan<T>)output).Overlaps(input))
            throw new ArgumentException($"The output overlaps {name}; the kernels do not work in place.", name);
    }
}
