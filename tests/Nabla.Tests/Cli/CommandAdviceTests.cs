using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>
/// Each command reads only the files it needs and its errors speak of its own options: `evaluate` and `explain`
/// never ask for training files or advise --layers about a saved model (the real `nabla`, run as a process).
/// </summary>
public class CommandAdviceTests
{
    /// <summary>A folder with the sample's two test files and nothing else.</summary>
    private static TempDirectory TestFilesOnly()
    {
        var dir = new TempDirectory();
        foreach (var name in new[] { "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            File.Copy(TestFiles.Sample(name), dir.File(name));
        return dir;
    }

    /// <summary>A test set of 10×10 images: data that a 784-input model does not fit.</summary>
    private static TempDirectory SmallImages()
    {
        var dir = new TempDirectory();
        var random = new Random(3);
        var pixels = new byte[20 * 100];
        random.NextBytes(pixels);
        dir.Write("t10k-images-idx3-ubyte", TestFiles.Idx([20, 10, 10], pixels));
        dir.Write("t10k-labels-idx1-ubyte", TestFiles.Idx([20], Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray()));
        return dir;
    }

    private static string Model(TempDirectory dir)
    {
        string path = dir.File("model.safetensors");
        ModelFile.Save(new Network<float>([784, 12, 10], Activation.Sigmoid, seed: 1), Cost.Quadratic, path);
        return path;
    }

    public static TheoryData<string[]> EvaluatingCommands => new()
    {
        { new[] { "evaluate" } },
        { new[] { "explain", "saturation" } },
        { new[] { "gradcheck", "--sample", "10" } },
        { new[] { "explain", "demon" } },
        { new[] { "explain", "paths", "--layer", "2" } },
    };

    [Theory]
    [MemberData(nameof(EvaluatingCommands))]
    public void A_folder_with_only_the_test_files_is_enough_for_commands_that_only_evaluate(string[] command)
    {
        using var models = new TempDirectory();
        using var data = TestFilesOnly();

        var result = CliProcess.Run([.. command, "--model", Model(models), "--data", data.Path]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"from {data.Path} (2,000 test)", result.Stdout);
    }

    [Fact]
    public void Train_still_names_the_training_files_it_lacks()
    {
        using var data = TestFilesOnly();
        var result = CliProcess.Run("train", "--data", data.Path, "--epochs", "1");
        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("lacks train-images-idx3-ubyte, train-labels-idx1-ubyte", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(EvaluatingCommands))]
    public void A_model_made_for_other_data_is_told_to_bring_that_data_not_to_change_layers(string[] command)
    {
        using var models = new TempDirectory();
        using var data = SmallImages();
        string model = Model(models);

        var result = CliProcess.Run([.. command, "--model", model, "--data", data.Path]);

        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"nabla: error: {model}: the model's input layer has 784 neurons but the data has 100 inputs per example (10×10 pixels); " +
                     "the model was made for other data; give that data with --data DIR", line);
    }

    [Fact]
    public void A_random_network_of_the_wrong_size_is_told_to_change_layers()
    {
        using var data = SmallImages();
        var result = CliProcess.Run("gradcheck", "--layers", "784,12,10", "--data", data.Path);
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("the input layer has 784 neurons but the data has 100 inputs per example (10×10 pixels); start --layers with 100", result.Stderr);
    }

    /// <summary>A PyTorch nn.Sequential state dict: keys 0.weight, 0.bias, 2.weight, 2.bias and no Nabla metadata.</summary>
    private static string PyTorchStateDict(TempDirectory dir)
    {
        var network = new Network<float>([784, 12, 10], Activation.Sigmoid, seed: 2);
        string path = dir.File("torch.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorEntry.FromSingles("0.weight", [12, 784], network.Weights[1].Data), SafeTensorEntry.FromSingles("0.bias", [12], network.Biases[1]),
            SafeTensorEntry.FromSingles("2.weight", [10, 12], network.Weights[2].Data), SafeTensorEntry.FromSingles("2.bias", [10], network.Biases[2]),
        ]);
        return path;
    }

    public static TheoryData<string[]> ModelReadingCommands => new()
    {
        { new[] { "evaluate", "--data", TestFiles.SampleDirectory } },
        { new[] { "explain", "saturation", "--data", TestFiles.SampleDirectory } },
        { new[] { "explain", "weights", "--plot", "PLOT" } },
        { new[] { "gradcheck", "--sample", "10", "--data", TestFiles.SampleDirectory } },
        { new[] { "explain", "demon", "--data", TestFiles.SampleDirectory } },
        { new[] { "export", "--onnx", "ONNX" } },
    };

    [Theory]
    [MemberData(nameof(ModelReadingCommands))]
    public void Every_command_that_reads_a_model_has_the_activation_option_its_PyTorch_advice_names(string[] command)
    {
        using var dir = new TempDirectory();
        string model = PyTorchStateDict(dir);
        string[] args = [.. command.Select(a => a == "PLOT" ? dir.File("w.png") : a == "ONNX" ? dir.File("m.onnx") : a), "--model", model];

        var refused = CliProcess.Run(args);
        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Contains("PyTorch nn.Sequential state dict", refused.Stderr);
        Assert.Contains("--activation relu,softmax", refused.Stderr);

        var read = CliProcess.Run([.. args, "--activation", "sigmoid,sigmoid"]);
        Assert.True(read.ExitCode == 0, read.Stderr);
    }
}
