using System.Numerics;

namespace Nabla;

/// <summary>
/// A dense row-major matrix. For a weight matrix w^l, row j is neuron j of layer l and column k is
/// neuron k of layer l−1, so <c>w[j, k]</c> is the chapter's w^l_jk. A matrix owns its array, or is a view of
/// rows × columns entries inside a larger one (a <see cref="Gradient{T}"/>'s layers, which share one buffer).
/// </summary>
public sealed class Matrix<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _entries;
    private readonly int _offset;
    private readonly bool _isView;

    /// <summary>The number of rows: for w^l, the neurons of layer l.</summary>
    public int Rows { get; }
    /// <summary>The number of columns: for w^l, the neurons of layer l−1.</summary>
    public int Columns { get; }

    /// <summary>
    /// The entries, row after row (row-major), of a matrix that owns its array. Exposed so that kernels work on spans
    /// without copies. A view has no array of its own: use <see cref="AsSpan"/> or <see cref="AsMemory"/>, which serve both.
    /// </summary>
    public T[] Data => _isView
        ? throw new InvalidOperationException($"this {Rows}×{Columns} matrix is a view into a larger buffer (a gradient's layer): use AsSpan() or AsMemory()")
        : _entries;

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> matrix of zeros, owning a new array.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="OverflowException">rows × columns exceeds <see cref="int.MaxValue"/>.</exception>
    public Matrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        _entries = new T[checked(rows * columns)];
    }

    /// <summary>A matrix over <paramref name="data"/>, row-major (the array is used, not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> does not hold rows × columns entries.</exception>
    public Matrix(int rows, int columns, T[] data)
    {
        if (data.Length != checked(rows * columns))
            throw new ArgumentException($"a {rows}×{columns} matrix needs {rows * columns} entries, got {data.Length}", nameof(data));
        Rows = rows;
        Columns = columns;
        _entries = data;
    }

    /// <summary>A view of the rows × columns entries of <paramref name="buffer"/> from <paramref name="offset"/> on (not copied).</summary>
    internal Matrix(int rows, int columns, T[] buffer, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (offset < 0 || (long)offset + (long)rows * columns > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"a {rows}×{columns} view does not fit in {buffer.Length} entries from there");
        (Rows, Columns, _entries, _offset, _isView) = (rows, columns, buffer, offset, true);
    }

    /// <summary>The entry in row <paramref name="row"/> and column <paramref name="column"/>, by reference (w^l_jk is <c>w[j, k]</c>).</summary>
    /// <exception cref="IndexOutOfRangeException">The position is outside the matrix.</exception>
    public ref T this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
                throw new IndexOutOfRangeException($"[{row}, {column}] is outside a {Rows}×{Columns} matrix");
            return ref _entries[_offset + row * Columns + column];
        }
    }

    /// <summary>Row <paramref name="row"/> in place: for w^l, the weights into neuron j = <paramref name="row"/> of layer l.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of the matrix.</exception>
    public Span<T> Row(int row) => (uint)row < (uint)Rows
        ? _entries.AsSpan(_offset + row * Columns, Columns)
        : throw new ArgumentOutOfRangeException(nameof(row), row, $"a {Rows}×{Columns} matrix has rows 0 to {Rows - 1}");
    /// <summary>The entries, row after row.</summary>
    public Span<T> AsSpan() => _entries.AsSpan(_offset, Rows * Columns);
    /// <summary>The entries, row after row, for kernels that take memory (split across threads).</summary>
    public Memory<T> AsMemory() => _entries.AsMemory(_offset, Rows * Columns);

    /// <summary>A matrix of its own with the same entries.</summary>
    public Matrix<T> Clone() => new(Rows, Columns, AsSpan().ToArray());

    /// <summary>The element type and shape, e.g. <c>Matrix&lt;Single&gt;[30×784]</c> (not the entries).</summary>
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

    /// <summary>The value of layer l, for 1 ≤ l ≤ L (by reference, so that a view's entries can be set in place: <c>nablaB[l][j] = …</c>).</summary>
    public ref readonly TItem this[int l]
    {
        get
        {
            if (l < 1 || l > _items.Length)
                throw new ArgumentOutOfRangeException(nameof(l), l,
                    l == 0 ? "layer 0 is the input layer: it has no weights, biases or activation function"
                           : $"layers with parameters are numbered 1 to {_items.Length}");
            return ref _items[l - 1];
        }
    }

    TItem IReadOnlyList<TItem>.this[int index] => this[index];

    /// <summary>L, the number of layers after the input layer.</summary>
    public int Count => _items.Length;

    /// <summary>The values of layers 1 to L, in order.</summary>
    public IEnumerator<TItem> GetEnumerator() => ((IEnumerable<TItem>)_items).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
