using System.Numerics;
using Nabla.Distributed;

namespace Nabla.Tests.Distributed;

/// <summary>
/// Data-parallel training in one process: each "process" is a thread with its own network and trainer, and a communicator
/// that sums through shared memory in rank order. Quick checks of what mpirun's tests cannot provoke: a process with no row
/// of a mini-batch, processes that disagree on the data or the weights, process 0's evaluation shared.
/// </summary>
public class DataParallelTests
{
    /// <summary>N communicators joined through shared arrays and a barrier: each collective is two barrier phases.</summary>
    private sealed class ThreadCommunicator(int rank, ThreadCommunicator.Job job) : ICommunicator
    {
        public sealed class Job(int size)
        {
            public readonly Barrier Barrier = new(size);
            public readonly object?[] Slots = new object?[size];
        }

        public static ThreadCommunicator[] Create(int size)
        {
            var job = new Job(size);
            return Enumerable.Range(0, size).Select(r => new ThreadCommunicator(r, job)).ToArray();
        }

        public int Rank => rank;
        public int Size => job.Slots.Length;
        public int AllReduces { get; private set; }

        public void AllReduceSum<T>(Span<T> buffer) where T : unmanaged, INumber<T> { AllReduces++; Reduce(buffer, (a, b) => a + b); }
        public void AllReduceMax<T>(Span<T> buffer) where T : unmanaged, INumber<T> => Reduce(buffer, T.Max);

        private void Reduce<T>(Span<T> buffer, Func<T, T, T> op) where T : unmanaged, INumber<T>
        {
            job.Slots[rank] = buffer.ToArray();
            job.Barrier.SignalAndWait();
            var result = (T[])((T[])job.Slots[0]!).Clone();
            for (int r = 1; r < Size; r++)
            {
                var other = (T[])job.Slots[r]!;
                for (int i = 0; i < result.Length; i++) result[i] = op(result[i], other[i]);
            }
            job.Barrier.SignalAndWait(); // every process has read the slots before any writes them again
            result.CopyTo(buffer);
        }

        public void Broadcast(Span<byte> buffer, int root = 0)
        {
            if (rank == root) job.Slots[root] = buffer.ToArray();
            job.Barrier.SignalAndWait();
            ((byte[])job.Slots[root]!).CopyTo(buffer);
            job.Barrier.SignalAndWait();
        }

        public void Barrier() => job.Barrier.SignalAndWait();
    }

    /// <summary>Runs <paramref name="body"/> for each rank on its own thread; returns what each threw (null: nothing).</summary>
    private static Exception?[] OnEveryProcess(int size, Action<ThreadCommunicator> body)
    {
        var communicators = ThreadCommunicator.Create(size);
        var errors = new Exception?[size];
        var threads = communicators.Select(c => new Thread(() =>
        {
            try { body(c); }
            catch (Exception e) { errors[c.Rank] = e; }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(1)), "a process hangs");
        return errors;
    }

    private static Dataset Data(int count, int seed)
    {
        var random = new Random(seed);
        var inputs = Enumerable.Range(0, count * 6).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray();
        return new Dataset(inputs, labels, 6, 3);
    }

    private static Sgd<double> Trainer(int batch, Dataset data) =>
        new(new Network<double>([6, 7, 3], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 4), Cost.LogLikelihood, 0.05, batch, seed: 9)
        {
            Optimizer = Optimizer<double>.Adam([6, 7, 3]),
            Regularization = Regularization.L2(0.5),
            DropoutProbability = 0.25,
        };

    [Theory]
    [InlineData(10, 100)]
    [InlineData(7, 30)]
    [InlineData(3, 7)]
    [InlineData(5, 5)]
    public void Shares_cover_a_mini_batch_once_in_order(int processes, int count)
    {
        int next = 0;
        for (int rank = 0; rank < processes; rank++)
        {
            var (first, share) = DataParallel<double>.Share(count, rank, processes);
            Assert.Equal(next, first);
            Assert.InRange(share, count / processes, count / processes + 1);
            next = first + share;
        }
        Assert.Equal(count, next);
    }

    [Fact]
    public void Three_processes_with_mini_batch_4_take_the_steps_of_one_with_mini_batch_12_even_when_one_has_no_row()
    {
        var data = Data(50, seed: 1); // the last mini-batch has 2 examples: process 0 gets none of them
        var alone = Trainer(12, data);
        for (int epoch = 0; epoch < 3; epoch++) alone.TrainEpoch(data);
        var networks = new Network<double>[3];
        var allReduces = new int[3];
        var errors = OnEveryProcess(3, communicator =>
        {
            var sgd = Trainer(4, data);
            sgd.Communicator = communicator;
            for (int epoch = 0; epoch < 3; epoch++) sgd.TrainEpoch(data);
            networks[communicator.Rank] = sgd.Network;
            allReduces[communicator.Rank] = communicator.AllReduces;
        });
        Assert.All(errors, Assert.Null);
        Assert.Equal([15, 15, 15], allReduces); // one per step: 5 steps an epoch
        for (int rank = 0; rank < 3; rank++)
            for (int l = 1; l <= 2; l++)
            {
                Assert.Equal(networks[0].Weights[l].Data, networks[rank].Weights[l].Data); // the same weights everywhere, bit for bit
                double largest = alone.Network.Weights[l].Data.Max(Math.Abs);
                double difference = alone.Network.Weights[l].Data.Zip(networks[rank].Weights[l].Data, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(difference <= 1e-12 * largest, $"layer {l}: {difference / largest:E2} apart");
            }
    }

    [Fact]
    public void Processes_whose_weights_drift_apart_stop_at_the_end_of_the_epoch_saying_so()
    {
        var data = Data(40, seed: 2);
        var errors = OnEveryProcess(2, communicator =>
        {
            var sgd = Trainer(5, data);
            sgd.Communicator = communicator;
            sgd.TrainEpoch(data, onProgress: _ =>
            {
                if (communicator.Rank == 1) sgd.Network.Weights[1][0, 0] += 1e-9; // as arithmetic that differs on one node would
            });
        });
        Assert.All(errors, e => Assert.Contains("disagree on the weights after an epoch", Assert.IsType<NablaException>(e).Message));
        Assert.Contains("rank 1", errors[1]!.Message);
    }

    [Fact]
    public void Processes_that_read_different_data_stop_before_the_first_step()
    {
        var data = Data(40, seed: 2);
        var other = Data(40, seed: 2);
        other.Labels![17] = (other.Labels[17] + 1) % 3; // one label differs on one node
        var errors = OnEveryProcess(2, communicator =>
        {
            var sgd = Trainer(5, communicator.Rank == 0 ? data : other);
            sgd.Communicator = communicator;
            sgd.TrainEpoch(communicator.Rank == 0 ? data : other);
        });
        Assert.All(errors, e => Assert.Contains("disagree on the training data", Assert.IsType<NablaException>(e).Message));
    }

    [Fact]
    public void Every_process_gets_process_0s_evaluation()
    {
        var data = Data(40, seed: 3);
        var empty = Data(1, seed: 5);
        var results = new Evaluation[2];
        var errors = OnEveryProcess(2, communicator =>
        {
            var sgd = Trainer(5, data);
            sgd.Communicator = communicator;
            results[communicator.Rank] = sgd.Evaluate(communicator.Rank == 0 ? data : empty); // another process's data is not read
        });
        Assert.All(errors, Assert.Null);
        var expected = Sgd<double>.Evaluate(Trainer(5, data).Network, Cost.LogLikelihood, data);
        Assert.Equal(40, results[1].Total);
        Assert.Equal(results[0], results[1]);
        Assert.Equal(expected.Correct, results[1].Correct);
    }
}
