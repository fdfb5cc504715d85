using static Nabla.Tests.Core.TestNetworks;

namespace Nabla.Tests.Core;

public class NetworkTests
{
    [Fact]
    public void Weights_are_stored_as_w_l_jk_from_neuron_k_of_layer_l_minus_1_to_neuron_j_of_layer_l()
    {
        var net = new Network<double>([784, 30, 10]);
        Assert.Equal(2, net.L);
        Assert.Equal((30, 784), (net.Weights[1].Rows, net.Weights[1].Columns));
        Assert.Equal((10, 30), (net.Weights[2].Rows, net.Weights[2].Columns));
        Assert.Equal(30, net.Biases[1].Length);
        Assert.Equal(784 * 30 + 30 + 30 * 10 + 10, net.ParameterCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Weights[0]);
    }

    [Fact]
    public void Feedforward_is_equation_23_neuron_by_neuron()
    {
        var net = new Network<double>([3, 4, 2], Activation.Tanh, seed: 4);
        double[] x = [0.5, -1, 2];
        var pass = net.Forward(x);
        for (int l = 1; l <= net.L; l++)
            for (int j = 0; j < net.Sizes[l]; j++)
            {
                // a^l_j = σ(Σ_k w^l_jk a^(l−1)_k + b^l_j)
                double z = net.Biases[l][j];
                for (int k = 0; k < net.Sizes[l - 1]; k++) z += net.Weights[l][j, k] * pass.Activation(l - 1)[k];
                Assert.Equal(z, pass.WeightedInput(l)[j], 12);
                Assert.Equal(Math.Tanh(z), pass.Activation(l)[j], 12);
            }
    }

    [Fact]
    public void The_same_seed_gives_the_same_network_in_float_and_double()
    {
        var a = new Network<double>([5, 4, 3], seed: 9);
        var b = new Network<double>([5, 4, 3], seed: 9);
        var f = new Network<float>([5, 4, 3], seed: 9);
        var c = new Network<double>([5, 4, 3], seed: 10);
        Assert.Equal(a.Weights[1].Data, b.Weights[1].Data);
        Assert.Equal(a.Weights[2].Data.Select(v => (float)v), f.Weights[2].Data);
        Assert.NotEqual(a.Weights[1].Data, c.Weights[1].Data);
    }

    [Fact]
    public void Initialisations_have_the_stated_spread()
    {
        var standard = new Network<double>([400, 300], seed: 1);
        var scaled = new Network<double>([400, 300], Activation.Sigmoid, Initialization.ScaledNormal, seed: 1);
        double Std(double[] v) => Math.Sqrt(v.Select(x => x * x).Average() - Math.Pow(v.Average(), 2));
        Assert.InRange(Std(standard.Weights[1].Data), 0.98, 1.02);
        Assert.InRange(Std(scaled.Weights[1].Data), 0.98 / 20, 1.02 / 20); // 1/√400
        Assert.InRange(Std(scaled.Biases[1]), 0.85, 1.15);
    }

    [Fact]
    public void Wrong_shapes_are_refused_with_a_message()
    {
        Assert.Contains("at least an input and an output", Assert.Throws<NablaException>(() => new Network<float>([784])).Message);
        Assert.Contains("layer 1 has 0 neurons", Assert.Throws<NablaException>(() => new Network<float>([784, 0, 10])).Message);
        var net = new Network<double>([3, 2]);
        Assert.Contains("input x has 2 entries", Assert.Throws<NablaException>(() => net.Forward([1.0, 2.0])).Message);
    }

    [Theory]
    [MemberData(nameof(BackpropagationTests.ActivationsTimesCosts), MemberType = typeof(BackpropagationTests))]
    public void Activation_derivatives_match_finite_differences(string activation, string unusedCost)
    {
        _ = unusedCost;
        var σ = Activation.FromName(activation);
        double[] z = [-3.1, -0.7, -0.2, 0.3, 0.9, 2.5, 4.0, -5.5, 1.1];
        var a = new double[z.Length];
        var derivative = new double[z.Length];
        σ.Apply<double>(z, a, z.Length);
        σ.Derivative<double>(z, a, derivative);
        for (int i = 0; i < z.Length; i++)
        {
            double[] up = [z[i] + 1e-6], down = [z[i] - 1e-6], au = new double[1], ad = new double[1];
            σ.Apply<double>(up, au, 1);
            σ.Apply<double>(down, ad, 1);
            Assert.Equal((au[0] - ad[0]) / 2e-6, derivative[i], 7);
        }
        // The Hadamard form used by BP1/BP2, in place, agrees with σ' times g.
        var g = RandomVector(new Random(1), z.Length);
        var delta = (double[])g.Clone();
        σ.MultiplyByDerivative<double>(z, a, delta, delta, z.Length);
        for (int i = 0; i < z.Length; i++) Assert.Equal(g[i] * derivative[i], delta[i], 14);
    }

    [Fact]
    public void Float_and_double_activations_agree()
    {
        float[] zf = Enumerable.Range(-20, 41).Select(i => i * 0.37f).ToArray();
        foreach (var σ in AllActivations())
        {
            var af = new float[zf.Length];
            var ad = new double[zf.Length];
            σ.Apply<float>(zf, af, zf.Length);
            σ.Apply<double>(zf.Select(v => (double)v).ToArray(), ad, zf.Length);
            for (int i = 0; i < zf.Length; i++) Assert.Equal(ad[i], af[i], 1e-5 * Math.Max(1, Math.Abs(ad[i])));
        }
    }

    [Fact]
    public void Quadratic_cost_is_half_the_squared_distance_and_cross_entropy_the_binary_log_loss()
    {
        double[] a = [0.2, 0.9], y = [0, 1];
        Assert.Equal(0.5 * (0.04 + 0.01), Cost.Quadratic.Total<double>(a, y), 15);
        Assert.Equal(-Math.Log(0.8) - Math.Log(0.9), Cost.CrossEntropy.Total<double>(a, y), 14);
        // A saturated correct output costs 0, not NaN (0·ln 0 is taken as 0).
        Assert.Equal(0.0, Cost.CrossEntropy.Total<double>([1.0, 0.0], [1.0, 0.0]));
    }
}
