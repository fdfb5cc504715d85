using System.Numerics;

namespace Nabla.Distributed;

/// <summary>
/// The collective operations data-parallel training needs among the processes of one job, each called by every process in
/// the same order. <see cref="Mpi"/> is the implementation (Open MPI); anything else that offers these can stand in for it.
/// </summary>
public interface ICommunicator
{
    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes.</summary>
    int Size { get; }

    /// <summary>Replaces every process's <paramref name="buffer"/> by the element-wise sum over all processes (the same length everywhere).</summary>
    void AllReduceSum<T>(Span<T> buffer) where T : unmanaged, INumber<T>;

    /// <summary>Replaces every process's <paramref name="buffer"/> by the element-wise maximum over all processes.</summary>
    void AllReduceMax<T>(Span<T> buffer) where T : unmanaged, INumber<T>;

    /// <summary>Copies process <paramref name="root"/>'s bytes into every other process's <paramref name="buffer"/> (the same length everywhere).</summary>
    void Broadcast(Span<byte> buffer, int root = 0);

    /// <summary>Returns when every process has called it.</summary>
    void Barrier();
}
