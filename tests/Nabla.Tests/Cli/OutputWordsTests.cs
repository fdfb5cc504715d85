using System.Text.RegularExpressions;

namespace Nabla.Tests.Cli;

/// <summary>
/// What `nabla` prints is in the CLI's own words: float32 not Single, standard-normal not StandardNormal, l2 not L2,
/// [784, 30, 10] not Network&lt;Single&gt;, and "1 epoch" not "1 epochs" (the real `nabla`, every command, run as a process).
/// </summary>
public class OutputWordsTests
{
    private static readonly string[] DotNetNames =
        ["Single", "Double", "Int32", "Int64", "Boolean", "System.", "Network<", "StandardNormal", "ScaledNormal", "MonitoredFigures", "RegularizationKind", "L2 λ", "L1 λ"];

    private static void AssertInWords(string[] args)
    {
        var result = CliProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"nabla {string.Join(' ', args)}: exit {result.ExitCode}: {result.Stderr}");
        string output = result.Stdout + result.Stderr;
        foreach (var name in DotNetNames) Assert.False(output.Contains(name), $"nabla {string.Join(' ', args)} printed '{name}':\n{output}");
        Assert.DoesNotMatch(new Regex(@"(?<![\d,.])1 (epochs|examples|paths|parameters|threads|hidden neurons)\b"), output);
        Assert.DoesNotContain("(s)", output);
    }

    public static TheoryData<string> Commands => new()
    {
        "train --epochs 1 --train-size 1 --lambda 5 --init scaled-normal",
        "train --epochs 1 --train-size 1 --lambda 5 --precision float64 --json",
        "train --epochs 1 --train-size 50 --diagnostics --regularization l1 --lambda 1",
        "evaluate --model MODEL",
        "evaluate --model MODEL --json",
        "explain saturation --model MODEL",
        "explain weights --model MODEL --plot PLOT",
        "export --model MODEL --onnx ONNX",
        "bench --epochs 1 --threads 1",
        "bench --epochs 1 --precision float64 --json",
        "gradcheck --sample 50",
        "gradcheck --layers 4,5,3 --synthetic --timing",
        "explain demon --model MODEL",
        "explain paths --layers 3,1,2 --synthetic --top 1",
        "explain slowdown --epochs 1 --train-size 200",
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_speaks_in_the_CLIs_words(string command)
    {
        using var dir = new TempDirectory();
        string model = dir.File("model.safetensors");
        ModelFile.Save(new Network<float>([784, 5, 10], Activation.Sigmoid, seed: 1), Cost.Quadratic, model);
        var args = command.Split(' ').Select(a => a switch { "MODEL" => model, "PLOT" => dir.File("w.png"), "ONNX" => dir.File("m.onnx"), _ => a }).ToList();
        if (!command.Contains("--synthetic") && !command.StartsWith("export") && !command.Contains("weights")) args.AddRange(["--data", TestFiles.SampleDirectory]);
        AssertInWords([.. args]);
    }

    [Fact]
    public void The_train_header_names_the_init_precision_and_regularisation_as_the_options_spell_them()
    {
        var result = CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--epochs", "1", "--train-size", "1", "--lambda", "5", "--init", "scaled-normal");
        Assert.Contains("scaled-normal init, float32;", result.Stdout);
        Assert.Contains("regularisation l2, λ = 5,", result.Stdout);
        Assert.Contains("1 epoch on 1 example, seed 1", result.Stdout);
    }
}
