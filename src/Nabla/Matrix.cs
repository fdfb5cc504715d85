using System.Numerics;

namespace Nabla;

/// <summary>
/// A dense row-major matrix. For a weight matrix w^l, row j is neuron j of layer l and column k is
/// neuron k of layer l−1, so <c>w[j, k]</c> is the chapter's w^l_jk.
/// </summary>
public sealed class Matrix<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>The entries, row after row (row-major). Exposed so that kernels work on spans without copies.</summary>
    public T[] Data { get; }

    public Matrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        Data = new T[checked(rows * columns)];
    }

    public Matrix(int rows, int columns, T[] data)
    {
        if (data.Length != checked(rows * columns))
            throw new ArgumentException($"a {rows}×{columns} matrix needs {rows * columns} entries, got {data.Length}", nameof(data));
        Rows = rows;
        Columns = columns;
        Data = data;
    }

    public ref T this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
                throw new IndexOutOfRangeException($"[{row}, {column}] is outside a {Rows}×{Columns} matrix");
            return ref Data[row * Columns + column];
        }
    }

    public Span<T> Row(int row) => Data.AsSpan(row * Columns, Columns);
    public Span<T> AsSpan() => Data;

    public Matrix<T> Clone() => new(Rows, Columns, (T[])Data.Clone());

    public override string ToString() => $"Matrix<{typeof(T).Name}>[{Rows}×{Columns}]";
}

/// <summary>
/// Per-layer values numbered as in the chapter: index l runs from 1 (the first layer with weights)
/// to L (the output layer). Layer 0 is the input, which has no weights, biases or activation function.
/// </summary>
public sealed class PerLayer<TItem> : IReadOnlyList<TItem>
{
    private readonly TItem[] _items; // _items[l - 1] holds layer l

    internal PerLayer(TItem[] items) => _items = items;

    /// <summary>The value of layer l, for 1 ≤ l ≤ L.</summary>
    public TItem this[int l]
    {
        get
        {
            if (l < 1 || l > _items.Length)
                throw new ArgumentOutOfRangeException(nameof(l), l,
                    l == 0 ? "layer 0 is the input layer: it has no weights, biases or activation function"
                           : $"layers with parameters are numbered 1 to {_items.Length}");
            return _items[l - 1];
        }
    }

    /// <summary>L, the number of layers after the input layer.</summary>
    public int Count => _items.Length;

    public IEnumerator<TItem> GetEnumerator() => ((IEnumerable<TItem>)_items).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
