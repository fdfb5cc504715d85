using System.Numerics;
using Nabla.Kernels;

namespace Nabla.Tests.Performance;

/// <summary>Allocation counts are per thread; nothing else should run meanwhile.</summary>
[CollectionDefinition(nameof(AllocationCounting), DisableParallelization = true)]
public sealed class AllocationCounting;

[Collection(nameof(AllocationCounting))]
public class TrainingAllocationTests
{
    private const int Steps = 1000;

    [Fact]
    public void AThousandSgdStepsAllocateNothing()
    {
        AssertSgdStepsAllocateNothing<float>();
        AssertSgdStepsAllocateNothing<double>();
    }

    [Fact]
    public void AThousandTwoThreadStepsAllocateNothingOnEitherThread()
    {
        AssertTwoThreadStepsAllocateNothing<float>();
        AssertTwoThreadStepsAllocateNothing<double>();
    }

    [Fact]
    public void AThousandTwoThreadPractitionerStepsAllocateNothingOnEitherThread()
    {
        // ReLU, softmax and log-likelihood, dropout, Adam with L2: the gradient's products and the update split across both threads.
        var data = ParallelTrainingTests.SyntheticData(examples: 100, seed: 5);
        int[] sizes = [784, 100, 40, 10];
        var network = new Network<float>(sizes, [Activation.ReLU, Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 2);
        using var sgd = new Sgd<float>(network, Cost.LogLikelihood, 0.001f, miniBatchSize: 20, seed: 3, threads: 2)
        {
            Optimizer = Optimizer<float>.Adam(sizes), Regularization = Regularization.L2(1.0), DropoutProbability = 0.3,
        };
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        for (int i = 0; i < 300; i++) sgd.Step(data, order.AsSpan(i % 5 * 20, 20));

        var (here, worker) = SteadyStateAllocations(sgd.Context, i => sgd.Step(data, order.AsSpan(i % 5 * 20, 20)));
        Assert.True(here == 0, $"{Steps:N0} two-thread practitioner steps allocated {here} bytes on the calling thread");
        Assert.True(worker == 0, $"{Steps:N0} two-thread practitioner steps allocated {worker} bytes on the worker thread");
    }

    private static void AssertSgdStepsAllocateNothing<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = ParallelTrainingTests.SyntheticData(examples: 100, seed: 5);
        var network = new Network<T>([784, 30, 10], Activation.Sigmoid, Initialization.StandardNormal, seed: 2);
        var sgd = new Sgd<T>(network, Cost.Quadratic, T.CreateChecked(3.0), miniBatchSize: 10, seed: 3); // one thread: all work is here
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        for (int i = 0; i < 300; i++) // warm-up: JIT, first-use caches
            sgd.Step(data, order.AsSpan(i % 10 * 10, 10));

        long allocated = TestFiles.SteadyAllocation(() =>
        {
            for (int i = 0; i < Steps; i++)
                sgd.Step(data, order.AsSpan(i % 10 * 10, 10));
        });

        Assert.True(allocated == 0, $"{Steps:N0} Sgd steps ({typeof(T).Name}) allocated {allocated} bytes");
    }

    // Sgd.Step's phases on a MiniBatch with a two-thread context, and a probe that reads the worker's own counter.
    private static void AssertTwoThreadStepsAllocateNothing<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = ParallelTrainingTests.SyntheticData(examples: 100, seed: 5);
        var network = new Network<T>([784, 100, 10], Activation.Sigmoid, Initialization.StandardNormal, seed: 2);
        using var context = new ComputeContext(2);
        var batch = new MiniBatch<T>(network, 10, context);
        using var loader = new MiniBatchLoader<T>(network.Sizes, 10, context);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        T eta = T.CreateChecked(3.0);
        void Step(int i)
        {
            loader.Load(batch, data, order.AsSpan(i % 10 * 10, 10)); // the rows gathered by both threads
            batch.FeedForward();
            batch.BackpropagateError(Cost.Quadratic);
            batch.GradientDescentStep(eta);
        }
        for (int i = 0; i < 300; i++) Step(i);

        var (here, worker) = SteadyStateAllocations(context, Step);
        Assert.True(here == 0, $"{Steps:N0} two-thread steps ({typeof(T).Name}) allocated {here} bytes on the calling thread");
        Assert.True(worker == 0, $"{Steps:N0} two-thread steps ({typeof(T).Name}) allocated {worker} bytes on the worker thread");
    }

    /// <summary>
    /// Bytes allocated on the calling thread and on the worker over <see cref="Steps"/> steps, in steady state. A part's scratch
    /// buffers are made on the thread that first runs it, and the caller runs the worker's part whenever the worker is late
    /// (a busy machine): so the worker can meet a part for the first time after any warm-up. Up to three windows are measured;
    /// the first that allocates nothing on either thread is steady state (a step that allocated every time never gets there).
    /// </summary>
    private static (long Here, long Worker) SteadyStateAllocations(ComputeContext context, Action<int> step)
    {
        var probe = new WorkerAllocationProbe(context);
        (long, long) last = default;
        for (int window = 0; window < 3; window++)
        {
            long workerBefore = probe.Read();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Steps; i++) step(i);
            last = (GC.GetAllocatedBytesForCurrentThread() - before, probe.Read() - workerBefore);
            if (last == (0, 0)) break;
        }
        return last;
    }

    /// <summary>Reads GC.GetAllocatedBytesForCurrentThread on the worker (retrying when the caller ran part 1 itself).</summary>
    private sealed class WorkerAllocationProbe(ComputeContext context) : ParallelWork
    {
        private readonly int _caller = Environment.CurrentManagedThreadId;
        private long _bytes;
        private bool _onWorker;

        public long Read()
        {
            for (int attempt = 0; attempt < 10_000; attempt++)
            {
                context.Run(this);
                if (_onWorker) return _bytes;
            }
            throw new InvalidOperationException("the worker never ran part 1");
        }

        public override void Execute(int part, int parts)
        {
            if (part == 0)
            {
                Thread.Sleep(1); // give the worker time to start part 1 before the caller would take it over
                return;
            }
            _onWorker = Environment.CurrentManagedThreadId != _caller;
            _bytes = GC.GetAllocatedBytesForCurrentThread();
        }
    }
}
