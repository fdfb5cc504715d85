namespace Nabla.Tests.Training;

public class OptimizerTests
{
    // A tiny network [2, 1]: w = [w0, w1], b. Each test gives a gradient and works the update out by hand.
    private static Network<double> Tiny() =>
        new([2, 1], [Activation.Sigmoid], [new Matrix<double>(1, 2, [0.5, -1.0])], [[0.25]]);

    private static Gradient<double> GradientOf(double gw0, double gw1, double gb)
    {
        var g = new Gradient<double>([2, 1]);
        g.Weights[1][0, 0] = gw0;
        g.Weights[1][0, 1] = gw1;
        g.Biases[1][0] = gb;
        return g;
    }

    private static double[] Parameters(Network<double> net) => [net.Weights[1][0, 0], net.Weights[1][0, 1], net.Biases[1][0]];

    [Fact]
    public void Sgd_moves_each_parameter_by_minus_eta_times_its_gradient()
    {
        var net = Tiny();
        Optimizer<double>.Sgd().Step(net, GradientOf(0.2, -0.4, 1.0), 0.5);
        Assert.Equal([0.5 - 0.1, -1.0 + 0.2, 0.25 - 0.5], Parameters(net));
    }

    [Fact]
    public void Momentum_accumulates_velocity_v_becomes_mu_v_minus_eta_g()
    {
        var net = Tiny();
        var momentum = Optimizer<double>.Momentum([2, 1], mu: 0.9);
        momentum.Step(net, GradientOf(0.2, -0.4, 1.0), 0.5);
        // v = −0.5·g = [−0.1, 0.2, −0.5]
        Assert.Equal([0.4, -0.8, -0.25], Parameters(net), (a, b) => Math.Abs(a - b) < 1e-15);
        momentum.Step(net, GradientOf(0.2, 0.0, -1.0), 0.5);
        // v = 0.9·v − 0.5·g = [−0.09 − 0.1, 0.18, −0.45 + 0.5] = [−0.19, 0.18, 0.05]
        Assert.Equal([0.4 - 0.19, -0.8 + 0.18, -0.25 + 0.05], Parameters(net), (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.Equal([-0.19, 0.18], momentum.State["velocity.1.weight"], (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Fact]
    public void Adam_takes_bias_corrected_steps_of_about_eta_at_first()
    {
        var net = Tiny();
        var adam = Optimizer<double>.Adam([2, 1], beta1: 0.9, beta2: 0.999, epsilon: 1e-8);
        adam.Step(net, GradientOf(0.2, -0.4, 1.0), 0.01);
        // t = 1: m̂ = g, v̂ = g², so each step is η·g/(|g| + ε) ≈ η·sgn(g).
        double Step1(double g) => 0.01 * g / (Math.Abs(g) + 1e-8);
        Assert.Equal([0.5 - Step1(0.2), -1.0 - Step1(-0.4), 0.25 - Step1(1.0)], Parameters(net), (a, b) => Math.Abs(a - b) < 1e-15);

        adam.Step(net, GradientOf(0.1, -0.4, -1.0), 0.01);
        // t = 2 for w0: m = 0.9·0.02 + 0.1·0.1 = 0.028, v = 0.999·4e-5 + 0.001·0.01 = 4.996e-5;
        // m̂ = 0.028/0.19, v̂ = 4.996e-5/0.001999.
        double mHat = 0.028 / (1 - 0.81), vHat = 4.996e-5 / (1 - 0.998001);
        double expectedW0 = 0.5 - Step1(0.2) - 0.01 * mHat / (Math.Sqrt(vHat) + 1e-8);
        Assert.Equal(expectedW0, net.Weights[1][0, 0], 14);
        Assert.Equal(2, adam.Steps);
    }

    [Fact]
    public void The_fused_sgd_step_with_l2_equals_the_materialised_gradient_step()
    {
        // SgdOptimizer fuses BP3/BP4 into the update; the generic path materialises ∇C first. Same rule.
        int[] sizes = [5, 4, 3];
        var data = SyntheticData.Make(inputSize: 5, classes: 3, count: 20, seed: 4);
        var fusedNet = new Network<double>(sizes, Activation.Sigmoid, Initialization.ScaledNormal, seed: 1);
        var materialNet = fusedNet.Clone();
        var regularization = Regularization.L2(2.0);
        int[] indices = [0, 3, 5, 7, 9, 11, 12];

        var fused = new MiniBatch<double>(fusedNet, 10);
        fused.Load(data, indices);
        fused.FeedForward();
        fused.BackpropagateError(Cost.CrossEntropy);
        Optimizer<double>.Sgd().Step(fused, 0.3, regularization, data.Count);

        var batch = new MiniBatch<double>(materialNet, 10);
        batch.Load(data, indices);
        batch.FeedForward();
        batch.BackpropagateError(Cost.CrossEntropy);
        var gradient = new Gradient<double>(sizes);
        batch.ComputeMeanGradient(gradient);
        regularization.AddGradient(materialNet, gradient, data.Count);
        Optimizer<double>.Sgd().Step(materialNet, gradient, 0.3);

        for (int l = 1; l <= 2; l++)
        {
            Assert.Equal(materialNet.Weights[l].Data, fusedNet.Weights[l].Data, (a, b) => Math.Abs(a - b) < 1e-14);
            Assert.Equal(materialNet.Biases[l], fusedNet.Biases[l], (a, b) => Math.Abs(a - b) < 1e-14);
        }
    }

    [Theory]
    [InlineData("momentum", "l2", 1)]
    [InlineData("momentum", "l1", 2)]
    [InlineData("adam", "l2", 1)]
    [InlineData("adam", "l2", 2)]
    [InlineData("adam", "l1", 3)]
    public void A_batch_step_with_its_penalty_fused_and_split_across_threads_equals_the_materialised_rule(string name, string penalty, int threads)
    {
        // The batch path adds the penalty's gradient inside the update and cuts the arrays among the threads; the long way
        // materialises ∇C, adds (λ/n)w or (λ/n)sgn(w) to it, and applies the rule on one thread (the hand-checked path above).
        int[] sizes = [784, 50, 10]; // 39,760 parameters: enough for the update to be split
        var data = Performance.ParallelTrainingTests.SyntheticData(examples: 40, seed: 3);
        var regularization = penalty == "l2" ? Regularization.L2(2.0) : Regularization.L1(2.0);
        Optimizer<double> Make() => name == "adam" ? Optimizer<double>.Adam(sizes) : Optimizer<double>.Momentum(sizes, 0.9);
        var fusedNet = new Network<double>(sizes, Activation.Sigmoid, Initialization.ScaledNormal, seed: 1);
        var longNet = fusedNet.Clone();
        using var context = new Nabla.Kernels.ComputeContext(threads);
        var fused = new MiniBatch<double>(fusedNet, 20, context);
        var batch = new MiniBatch<double>(longNet, 20);
        Optimizer<double> fusedOptimizer = Make(), longOptimizer = Make();
        var gradient = new Gradient<double>(sizes);
        for (int step = 0; step < 3; step++)
        {
            int[] indices = Enumerable.Range(step * 10, 20).ToArray();
            fused.Load(data, indices);
            fused.FeedForward();
            fused.BackpropagateError(Cost.Quadratic);
            fusedOptimizer.Step(fused, 0.05, regularization, data.Count);

            batch.Load(data, indices);
            batch.FeedForward();
            batch.BackpropagateError(Cost.Quadratic);
            batch.ComputeMeanGradient(gradient);
            regularization.AddGradient(longNet, gradient, data.Count);
            longOptimizer.Step(longNet, gradient, 0.05);
        }
        for (int l = 1; l <= 2; l++)
        {
            Assert.Equal(longNet.Weights[l].Data, fusedNet.Weights[l].Data, (a, b) => Math.Abs(a - b) <= 1e-15 * Math.Max(1, Math.Abs(a)));
            Assert.Equal(longNet.Biases[l], fusedNet.Biases[l], (a, b) => Math.Abs(a - b) <= 1e-15 * Math.Max(1, Math.Abs(a)));
        }
        Assert.NotEqual(new Network<double>(sizes, Activation.Sigmoid, Initialization.ScaledNormal, seed: 1).Weights[1].Data, fusedNet.Weights[1].Data);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("adam")]
    public void An_optimiser_step_allocates_nothing(string name)
    {
        int[] sizes = [6, 5, 3];
        var data = SyntheticData.Make(inputSize: 6, classes: 3, count: 16, seed: 2);
        var net = new Network<float>(sizes, Activation.Sigmoid, Initialization.ScaledNormal, seed: 3);
        var sgd = new Sgd<float>(net, Cost.CrossEntropy, 0.1f, 8)
        {
            Optimizer = name switch { "sgd" => Optimizer<float>.Sgd(), "momentum" => Optimizer<float>.Momentum(sizes, 0.9), _ => Optimizer<float>.Adam(sizes) },
            Regularization = Regularization.L2(1.0),
            DropoutProbability = 0.25,
        };
        int[] indices = [0, 1, 2, 3, 4, 5, 6, 7];
        sgd.Step(data, indices); // warm-up: the optimiser makes its gradient buffer once
        long allocated = TestFiles.SteadyAllocation(() => { for (int i = 0; i < 5; i++) sgd.Step(data, indices); });
        Assert.Equal(0, allocated);
    }
}
