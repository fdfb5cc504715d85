using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Nabla.Kernels;

/// <summary>Copies the examples of a mini-batch out of a data set: inputs as rows, labels as one-hot rows.</summary>
public static class Gather
{
    /// <summary>
    /// Row i of <paramref name="destination"/> = row <c>indices[i]</c> of <paramref name="source"/> (rows of
    /// <paramref name="width"/> floats), converted to T: a plain copy when T is float.
    /// </summary>
    public static void Rows<T>(ReadOnlySpan<float> source, int width, ReadOnlySpan<int> indices, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (destination.Length != indices.Length * width)
            throw new ArgumentException($"destination has length {destination.Length}; expected {indices.Length} rows × {width}", nameof(destination));
        int rows = source.Length / width;
        for (int i = 0; i < indices.Length; i++)
        {
            int row = indices[i];
            if ((uint)row >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(indices), row, $"index {i} names example {row}; there are {rows}");
            var from = source.Slice(row * width, width);
            var to = destination.Slice(i * width, width);
            if (typeof(T) == typeof(float))
                from.CopyTo(MemoryMarshal.Cast<T, float>(to));
            else
                TensorPrimitives.ConvertTruncating<float, T>(from, to);
        }
    }

    /// <summary>Row i of <paramref name="destination"/> = the one-hot vector of class <c>labels[indices[i]]</c>, <paramref name="width"/> classes.</summary>
    public static void OneHot<T>(ReadOnlySpan<byte> labels, ReadOnlySpan<int> indices, Span<T> destination, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.Length != indices.Length * width)
            throw new ArgumentException($"destination has length {destination.Length}; expected {indices.Length} rows × {width}", nameof(destination));
        destination.Clear();
        for (int i = 0; i < indices.Length; i++)
        {
            int label = labels[indices[i]];
            if (label >= width)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"example {indices[i]} has class {label}; there are {width} outputs");
            destination[i * width + label] = T.One;
        }
    }
}
