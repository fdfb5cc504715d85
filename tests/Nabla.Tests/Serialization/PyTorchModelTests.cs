namespace Nabla.Tests.Serialization;

public class PyTorchModelTests
{
    /// <summary>What safetensors.torch.save_file writes for nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2), Softmax(-1)): no Nabla metadata.</summary>
    private static string WriteSequential(TempDirectory folder, float[] w0, float[] b0, float[] w2, float[] b2)
    {
        string path = folder.File("torch.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorEntry.FromSingles("0.bias", [3], b0),
            SafeTensorEntry.FromSingles("0.weight", [3, 4], w0),
            SafeTensorEntry.FromSingles("2.bias", [2], b2),
            SafeTensorEntry.FromSingles("2.weight", [2, 3], w2),
        ]);
        return path;
    }

    [Fact]
    public void A_PyTorch_Sequential_state_dict_loads_with_the_given_activations_and_computes_the_same_outputs()
    {
        using var folder = new TempDirectory();
        float[] w0 = [0.1f, -0.2f, 0.3f, 0.4f, 0.5f, 0.6f, -0.7f, 0.8f, 0.9f, -1.0f, 1.1f, 1.2f], b0 = [0.01f, -0.02f, 0.03f];
        float[] w2 = [0.2f, -0.4f, 0.6f, -0.8f, 1.0f, 0.5f], b2 = [0.1f, -0.1f];
        string path = WriteSequential(folder, w0, b0, w2, b2);

        var loaded = ModelFile.LoadPyTorchSequential<double>(path, [Activation.ReLU, Activation.Softmax]);
        Assert.Equal([4, 3, 2], loaded.Network.Sizes);
        Assert.Null(loaded.Cost);

        // By hand, as PyTorch computes it: h = relu(W0 x + b0), y = softmax(W2 h + b2).
        double[] x = [1, 2, -1, 0.5];
        var h = new double[3];
        for (int j = 0; j < 3; j++) h[j] = Math.Max(0, Enumerable.Range(0, 4).Sum(k => (double)w0[j * 4 + k] * x[k]) + b0[j]);
        var z = Enumerable.Range(0, 2).Select(j => Enumerable.Range(0, 3).Sum(k => (double)w2[j * 3 + k] * h[k]) + b2[j]).ToArray();
        double[] expected = [Math.Exp(z[0]) / (Math.Exp(z[0]) + Math.Exp(z[1])), Math.Exp(z[1]) / (Math.Exp(z[0]) + Math.Exp(z[1]))];
        var output = loaded.Network.FeedForward(x);
        Assert.Equal(expected[0], output[0], 12);
        Assert.Equal(expected[1], output[1], 12);
    }

    [Fact]
    public void Loading_a_PyTorch_file_as_a_Nabla_model_says_to_give_activations()
    {
        using var folder = new TempDirectory();
        string path = WriteSequential(folder, new float[12], new float[3], new float[6], new float[2]);
        var e = Assert.Throws<InvalidFileException>(() => ModelFile.Load<float>(path));
        Assert.Contains("--activation", e.Message);
    }

    [Fact]
    public void The_wrong_number_of_activations_is_a_clear_error()
    {
        using var folder = new TempDirectory();
        string path = WriteSequential(folder, new float[12], new float[3], new float[6], new float[2]);
        var e = Assert.Throws<NablaException>(() => ModelFile.LoadPyTorchSequential<float>(path, [Activation.ReLU]));
        Assert.Contains("2 Linear layers", e.Message);
    }

    [Fact]
    public void Layers_whose_shapes_do_not_chain_are_refused()
    {
        using var folder = new TempDirectory();
        string path = folder.File("bad.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorEntry.FromSingles("0.weight", [3, 4], new float[12]), SafeTensorEntry.FromSingles("0.bias", [3], new float[3]),
            SafeTensorEntry.FromSingles("2.weight", [2, 5], new float[10]), SafeTensorEntry.FromSingles("2.bias", [2], new float[2]),
        ]);
        var e = Assert.Throws<InvalidFileException>(() => ModelFile.LoadPyTorchSequential<float>(path, [Activation.ReLU, Activation.Softmax]));
        Assert.Contains("'2.weight' takes 5 inputs", e.Message);
    }

    [Fact]
    public void Layer_indices_are_ordered_as_numbers_not_text()
    {
        // Index 10 comes after 2, though "10" < "2" as text.
        using var folder = new TempDirectory();
        string path = folder.File("deep.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorEntry.FromSingles("10.weight", [2, 3], new float[6]), SafeTensorEntry.FromSingles("10.bias", [2], new float[2]),
            SafeTensorEntry.FromSingles("2.weight", [3, 4], new float[12]), SafeTensorEntry.FromSingles("2.bias", [3], new float[3]),
        ]);
        var loaded = ModelFile.LoadPyTorchSequential<float>(path, [Activation.Tanh, Activation.Identity]);
        Assert.Equal([4, 3, 2], loaded.Network.Sizes);
    }
}
