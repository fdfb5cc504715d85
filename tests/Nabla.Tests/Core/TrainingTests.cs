using static Nabla.Tests.Core.TestNetworks;

namespace Nabla.Tests.Core;

public class TrainingTests
{
    private static Dataset RandomData(int count, int inputs, int classes, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, count * inputs).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray();
        return new Dataset(x, labels, inputs, classes);
    }

    [Fact]
    public void One_SGD_step_is_the_update_rule_applied_by_hand()
    {
        int[] sizes = [6, 5, 4];
        var data = RandomData(20, 6, 4, seed: 1);
        var net = new Network<double>(sizes, Activation.Sigmoid, seed: 2);
        var before = net.Clone();
        int[] batch = [3, 7, 11, 0, 19];
        const double eta = 0.75;

        new Sgd<double>(net, Cost.Quadratic, eta, miniBatchSize: batch.Length).Step(data, batch);

        // w → w − (η/m) Σ_x ∂C_x/∂w, b → b − (η/m) Σ_x ∂C_x/∂b, from per-example backprop.
        var sum = new Gradient<double>(sizes);
        foreach (int i in batch)
        {
            var x = data.Input(i).ToArray().Select(v => (double)v).ToArray();
            var y = new double[4];
            y[data.Labels![i]] = 1;
            sum.Add(before.Backprop(x, y, Cost.Quadratic));
        }
        for (int l = 1; l <= net.L; l++)
        {
            for (int j = 0; j < sizes[l]; j++)
            {
                Assert.Equal(before.Biases[l][j] - eta / batch.Length * sum.Biases[l][j], net.Biases[l][j], 1e-13);
                for (int k = 0; k < sizes[l - 1]; k++)
                    Assert.Equal(before.Weights[l][j, k] - eta / batch.Length * sum.Weights[l][j, k], net.Weights[l][j, k], 1e-13);
            }
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_training_run_and_another_seed_another()
    {
        var data = RandomData(200, 8, 3, seed: 5);
        float[] Run(int shuffleSeed)
        {
            var net = new Network<float>([8, 6, 3], seed: 1);
            new Sgd<float>(net, Cost.CrossEntropy, 0.5f, 10, seed: shuffleSeed).Train(data, epochs: 2);
            return net.Weights[1].Data;
        }
        Assert.Equal(Run(4), Run(4));
        Assert.NotEqual(Run(4), Run(5));
    }

    [Fact]
    public void Training_lowers_the_cost_and_reports_each_epoch()
    {
        // Two well-separated classes: SGD must learn them.
        var random = new Random(3);
        int n = 300;
        var labels = Enumerable.Range(0, n).Select(i => i % 2).ToArray();
        var x = labels.SelectMany(c => new[] { (float)(c + 0.3 * random.NextDouble()), (float)(1 - c + 0.3 * random.NextDouble()) }).ToArray();
        var data = new Dataset(x, labels, 2, 2);
        var net = new Network<float>([2, 4, 2], seed: 7);
        var sgd = new Sgd<float>(net, Cost.Quadratic, 3f, 10, seed: 1);
        var start = sgd.Evaluate(data);
        var reports = new List<EpochReport>();
        sgd.Train(data, epochs: 5, evaluation: data, onEpoch: reports.Add);
        Assert.Equal(5, reports.Count);
        Assert.Equal(Enumerable.Range(0, 5), reports.Select(r => r.Epoch));
        Assert.True(reports[^1].Cost < start.Cost / 2, $"cost {start.Cost} → {reports[^1].Cost}");
        Assert.Equal(n, reports[^1].Correct);
        Assert.StartsWith("Epoch 4: 300 / 300", reports[^1].ToString());
    }

    [Fact]
    public void Bad_hyper_parameters_are_refused()
    {
        var net = new Network<float>([2, 2]);
        Assert.Contains("learning rate", Assert.Throws<NablaException>(() => new Sgd<float>(net, Cost.Quadratic, 0f, 10)).Message);
        Assert.Contains("learning rate", Assert.Throws<NablaException>(() => new Sgd<float>(net, Cost.Quadratic, float.NaN, 10)).Message);
        Assert.Contains("mini-batch", Assert.Throws<NablaException>(() => new Sgd<float>(net, Cost.Quadratic, 1f, 0)).Message);
    }

    [Fact]
    public void One_SGD_step_on_regression_targets_is_the_update_rule_applied_by_hand()
    {
        // Real-valued targets reach BP1 as y itself (no one-hot): identity output, quadratic cost.
        int[] sizes = [3, 4, 2];
        var random = new Random(8);
        var inputs = Enumerable.Range(0, 10 * 3).Select(_ => (float)random.NextDouble()).ToArray();
        var targets = Enumerable.Range(0, 10 * 2).Select(_ => (float)(4 * random.NextDouble() - 2)).ToArray();
        var data = Dataset.ForRegression(inputs, targets, inputSize: 3, targetSize: 2);
        var net = new Network<double>(sizes, [Activation.Tanh, Activation.Identity], seed: 3);
        var before = net.Clone();
        int[] batch = [9, 2, 5];
        const double eta = 0.1;

        new Sgd<double>(net, Cost.Quadratic, eta, miniBatchSize: batch.Length).Step(data, batch);

        var sum = new Gradient<double>(sizes);
        foreach (int i in batch)
        {
            var x = data.Input(i).ToArray().Select(v => (double)v).ToArray();
            var y = new[] { (double)targets[2 * i], targets[2 * i + 1] };
            sum.Add(before.Backprop(x, y, Cost.Quadratic));
        }
        for (int l = 1; l <= net.L; l++)
            for (int j = 0; j < sizes[l]; j++)
            {
                Assert.Equal(before.Biases[l][j] - eta / batch.Length * sum.Biases[l][j], net.Biases[l][j], 1e-13);
                for (int k = 0; k < sizes[l - 1]; k++)
                    Assert.Equal(before.Weights[l][j, k] - eta / batch.Length * sum.Weights[l][j, k], net.Weights[l][j, k], 1e-13);
            }
    }

    [Fact]
    public void Regression_data_of_another_width_than_the_output_layer_is_refused()
    {
        var data = Dataset.ForRegression(new float[6], new float[6], inputSize: 2, targetSize: 2);
        var net = new Network<float>([2, 3, 1], seed: 1);

        var e = Assert.Throws<NablaException>(() => new Sgd<float>(net, Cost.Quadratic, 0.1f, 3).Step(data, [0, 1]));

        Assert.Contains("2 target values per example but the output layer has 1 neurons", e.Message);
    }
    [Fact]
    public void A_regression_run_ranks_epochs_by_the_error_alone_not_by_the_weight_penalty_the_reported_cost_adds()
    {
        // Heavy L2: the penalty falls epoch after epoch as the weights shrink, while the fit gets worse, so the reported
        // cost (error + penalty) and the error alone rank the epochs differently; the best epoch must be the least error.
        var random = new Random(5);
        var inputs = Enumerable.Range(0, 40 * 2).Select(_ => (float)random.NextDouble()).ToArray();
        var targets = Enumerable.Range(0, 40).Select(i => 3 * inputs[2 * i] - 2 * inputs[2 * i + 1]).ToArray();
        var data = Dataset.ForRegression(inputs, targets, inputSize: 2, targetSize: 1);
        var net = new Network<double>([2, 8, 1], [Activation.Tanh, Activation.Identity], seed: 2);
        using var sgd = new Sgd<double>(net, Cost.Quadratic, 0.05, miniBatchSize: 8, seed: 1) { Regularization = Regularization.L2(50) };
        var run = new TrainingRun<double>(sgd, new ConstantSchedule(0.05), epochs: 12);

        var errors = new List<double>();
        var costs = new List<double>();
        while (!run.Finished)
        {
            var e = run.RunEpoch(data, data).Evaluation!.Value;
            costs.Add(e.Cost);
            errors.Add(Sgd<double>.Evaluate(net, Cost.Quadratic, data).Cost);
        }

        int leastError = errors.IndexOf(errors.Min());
        Assert.NotEqual(leastError, costs.IndexOf(costs.Min())); // the case: the penalty would choose another epoch
        Assert.Equal(leastError, run.BestEpoch);
        Assert.Equal(-errors[leastError], run.BestAccuracy, 12);
    }
}
