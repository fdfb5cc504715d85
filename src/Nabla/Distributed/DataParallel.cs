using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// Synchronous data-parallel SGD, as Horovod and PyTorch's DDP do it. C = (1/n) Σ_x C_x makes ∇C a sum over examples, so
/// each process computes Σ_x ∂C_x/∂w and Σ_x ∂C_x/∂b over its share of a global mini-batch, one all-reduce adds the shares
/// up, and every process applies the same update to the same weights. The processes check that they train on the same data
/// and start from the same weights, and that their weights still agree after every epoch (checksums, all-reduced); the
/// evaluation is process 0's, shared, so that schedules and early stopping decide alike everywhere.
/// </summary>
internal sealed class DataParallel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Network<T> _network;
    private readonly T[] _buffer; // Σ ∂C/∂w, ∂C/∂b (the gradient's P entries), then one entry: how many processes asked to stop
    private readonly Gradient<T> _sum;
    private bool _started;

    public ICommunicator Communicator { get; }
    public int Rank => Communicator.Rank;
    public int Ranks => Communicator.Size;

    public DataParallel(ICommunicator communicator, Network<T> network)
    {
        if (communicator.Size < 1 || communicator.Rank < 0 || communicator.Rank >= communicator.Size)
            throw new NablaException($"a communicator of {communicator.Size} processes cannot have rank {communicator.Rank}");
        (Communicator, _network) = (communicator, network);
        int parameters = Gradient<T>.ParameterCount(network.Sizes);
        _buffer = new T[parameters + 1];
        _sum = new Gradient<T>(network.Sizes, _buffer);
    }

    /// <summary>
    /// This process's rows of a global mini-batch of <paramref name="count"/> examples: the <paramref name="rank"/>-th of
    /// <paramref name="ranks"/> nearly equal consecutive slices (m each when count = ranks·m; a process may get none of a
    /// last mini-batch smaller than the number of processes).
    /// </summary>
    public static (int First, int Count) Share(int count, int rank, int ranks)
    {
        int first = (int)((long)count * rank / ranks), end = (int)((long)count * (rank + 1) / ranks);
        return (first, end - first);
    }

    /// <summary>
    /// Once, before the first step: the processes must hold the same training examples and the same starting weights
    /// (a data path that names other files on another node, a checkpoint of another run); else the job stops here.
    /// </summary>
    public void CheckStart(Dataset training)
    {
        if (_started) return;
        CheckSame("the training data", Checksum(training), "every process must read the same files (put the data on a path all nodes share, or copy it identically)");
        CheckSame("the weights at the start", Checksum(_network), "every process must start from the same seed or checkpoint");
        _started = true;
    }

    /// <summary>
    /// The step's gradient and update, after this process's forward and backward passes over its rows (if any): the
    /// partial sums into the buffer, one all-reduce, then <paramref name="optimizer"/>'s update by ∇C = Σ / <paramref name="globalCount"/>.
    /// Returns true when any process asked to stop (then every process stops after this same step).
    /// </summary>
    /// <exception cref="TrainingDivergedException">The summed output error is not finite: every process throws at the same step.</exception>
    public bool Step(MiniBatch<T> batch, bool hasRows, int globalCount, Optimizer<T> optimizer, T eta, Regularization regularization, int n,
        bool stopRequested, int stepInEpoch)
    {
        var timing = batch.Timing;
        if (hasRows) batch.ComputeGradientSum(_sum);
        else _sum.Clear();
        _buffer[^1] = stopRequested ? T.One : T.Zero;
        timing?.Mark(StepPhase.Gradient);
        if (timing is not null)
        {
            // Only when timed: the wait for the slowest process apart from the all-reduce's own transfer.
            Communicator.Barrier();
            timing.Mark(StepPhase.Wait);
        }
        Communicator.AllReduceSum<T>(_buffer); // one call for every layer's ∂C/∂w and ∂C/∂b, and the stop requests
        timing?.Mark(StepPhase.AllReduce);
        // Σ_j ∂C/∂b^L_j is the sum of every δ^L of the global batch: finite on one process, finite on all.
        if (!T.IsFinite(TensorPrimitives.Sum<T>(_sum.Biases[_network.L])))
            throw new TrainingDivergedException(null, stepInEpoch, "the output error δ^L");
        optimizer.StepFromSum(_network, _sum, globalCount, eta, regularization, n, batch.Context);
        timing?.Mark(StepPhase.Update);
        return _buffer[^1] > T.Zero;
    }

    /// <summary>After an epoch: the weights must still be the same on every process.</summary>
    public void CheckWeights() =>
        CheckSame("the weights after an epoch", Checksum(_network),
            "the processes applied the same updates but their weights differ: nodes whose arithmetic differs (another CPU or runtime) cannot train together");

    /// <summary>Process 0 runs <paramref name="evaluate"/>; every process returns its result.</summary>
    public Evaluation Share(Func<Evaluation> evaluate)
    {
        Span<byte> bytes = stackalloc byte[32];
        if (Rank == 0)
        {
            var e = evaluate();
            BinaryPrimitives.WriteInt64LittleEndian(bytes, e.Correct);
            BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], e.Total);
            BinaryPrimitives.WriteDoubleLittleEndian(bytes[16..], e.Cost);
            bytes[24] = e.SameOutputForEveryExample ? (byte)1 : (byte)0;
        }
        Communicator.Broadcast(bytes, root: 0);
        return new Evaluation((int)BinaryPrimitives.ReadInt64LittleEndian(bytes), (int)BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadDoubleLittleEndian(bytes[16..])) { SameOutputForEveryExample = bytes[24] == 1 };
    }

    /// <summary>Every process's <paramref name="checksum"/> must be the same (the maximum of h and of ¬h over the processes tell).</summary>
    private void CheckSame(string what, ulong checksum, string advice)
    {
        Span<long> extremes = [(long)checksum, ~(long)checksum];
        Communicator.AllReduceMax<long>(extremes);
        long highest = extremes[0], lowest = ~extremes[1];
        if (highest != lowest)
            throw new NablaException($"the {Ranks} processes of the distributed run disagree on {what} (checksums from {(ulong)lowest:x16} to {(ulong)highest:x16}; " +
                                     $"this process, rank {Rank}, has {checksum:x16}): {advice}");
    }

    /// <summary>A 64-bit checksum of the weights and biases, bit for bit.</summary>
    internal static ulong Checksum(Network<T> network)
    {
        ulong h = Offset;
        for (int l = 1; l <= network.L; l++)
        {
            h = Mix(h, MemoryMarshal.AsBytes(network.Weights[l].AsSpan()));
            h = Mix(h, MemoryMarshal.AsBytes(network.Biases[l].AsSpan()));
        }
        return h;
    }

    /// <summary>A 64-bit checksum of the examples: their count, inputs (as stored: pixels or floats) and targets.</summary>
    internal static ulong Checksum(Dataset data)
    {
        ulong h = Mix(Offset, MemoryMarshal.AsBytes<long>([data.Count, data.InputSize, data.OutputSize]));
        h = data.Pixels is { } pixels ? Mix(h, pixels) : Mix(h, MemoryMarshal.AsBytes(data.Inputs.AsSpan()));
        if (data.Labels is { } labels) h = Mix(h, MemoryMarshal.AsBytes(labels.AsSpan()));
        if (data.Targets is { } targets) h = Mix(h, MemoryMarshal.AsBytes(targets.AsSpan()));
        return h;
    }

    private const ulong Offset = 0xCBF29CE484222325;

    // Eight bytes at a time: multiply, then fold the high bits down (every input bit reaches every output bit within a few words).
    private static ulong Mix(ulong h, ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong word in words) h = Round(h, word);
        for (int i = words.Length * 8; i < bytes.Length; i++) h = Round(h, bytes[i]);
        return Round(h, (ulong)bytes.Length);
    }

    private static ulong Round(ulong h, ulong word)
    {
        h = (h ^ word) * 0x9E3779B97F4A7C15;
        return h ^ (h >> 29);
    }
}
