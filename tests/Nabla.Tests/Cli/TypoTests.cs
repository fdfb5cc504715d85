using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>
/// A mistyped command, option or value gets one line that names what was typed and the nearest thing that exists,
/// for every command (the real `nabla`, run as a process).
/// </summary>
public class TypoTests
{
    private static void AssertSuggests(string[] args, params string[] fragments)
    {
        var result = CliProcess.Run(args);
        Assert.True(result.ExitCode == ExitCodes.InvalidArguments, $"exit code {result.ExitCode}; stderr: {result.Stderr}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: error: ", line);
        foreach (var fragment in fragments) Assert.Contains(fragment, line);
    }

    [Theory]
    [InlineData("trian", "'nabla' has no command 'trian'; did you mean 'train'?")]
    [InlineData("evalute", "did you mean 'evaluate'?")]
    [InlineData("gradchek", "did you mean 'gradcheck'?")]
    [InlineData("bnech", "did you mean 'bench'?")]
    [InlineData("exprot", "did you mean 'export'?")]
    [InlineData("explian", "did you mean 'explain'?")]
    [InlineData("fit", "did you mean 'train'?")]
    public void A_mistyped_command_suggests_the_nearest(string typed, string expected) => AssertSuggests([typed], expected);

    [Theory]
    [InlineData("deamon", "did you mean 'demon'?")]
    [InlineData("path", "did you mean 'paths'?")]
    [InlineData("saturaton", "did you mean 'saturation'?")]
    [InlineData("slowdonw", "did you mean 'slowdown'?")]
    [InlineData("wieghts", "did you mean 'weights'?")]
    public void A_mistyped_explain_command_suggests_the_nearest(string typed, string expected) =>
        AssertSuggests(["explain", typed], $"'nabla explain' has no command '{typed}'", expected);

    [Theory]
    [InlineData("train", "--epoch", "did you mean '--epochs'?")]
    [InlineData("train", "--lr", "did you mean '--eta'?")]
    [InlineData("train", "--batch-size", "did you mean '--batch'?")]
    [InlineData("train", "--checkpiont", "did you mean '--checkpoint'?")]
    [InlineData("evaluate", "--modle", "did you mean '--model'?")]
    [InlineData("gradcheck", "--sampel", "did you mean '--sample'?")]
    [InlineData("bench", "--thread", "did you mean '--threads'?")]
    [InlineData("export", "--onxx", "did you mean '--onnx'?")]
    [InlineData("explain demon", "--nueron", "did you mean '--neuron'?")]
    [InlineData("explain paths", "--max-path", "did you mean '--max-paths'?")]
    [InlineData("explain saturation", "--derivative-treshold", "did you mean '--derivative-threshold'?")]
    [InlineData("explain slowdown", "--train-szie", "did you mean '--train-size'?")]
    [InlineData("explain weights", "--neuron", "did you mean '--neurons'?")]
    [InlineData("train", "--jsno", "did you mean '--json'?")]
    public void A_mistyped_option_suggests_the_nearest_option_of_that_command(string command, string typed, string expected) =>
        AssertSuggests([.. command.Split(' '), typed, "1"], $"'nabla {command}' has no option '{typed}'", expected, $"(see 'nabla {command} --help')");

    [Fact]
    public void An_option_without_its_dashes_is_recognised() =>
        AssertSuggests(["train", "epochs", "5"], "'nabla train' takes no argument 'epochs'; did you mean '--epochs'?");

    [Fact]
    public void Nothing_near_says_so_without_a_wrong_guess()
    {
        var result = CliProcess.Run("train", "--frobnicate", "1");
        Assert.Contains("'nabla train' has no option '--frobnicate' (see 'nabla train --help')", result.Stderr);
        Assert.DoesNotContain("did you mean", result.Stderr);
    }

    [Theory]
    [InlineData("", "'nabla' needs a command: ", "train", "evaluate", "gradcheck", "explain", "bench", "export")]
    [InlineData("explain", "'nabla explain' needs a command: ", "demon", "paths", "saturation", "slowdown", "weights")]
    public void A_missing_command_lists_the_commands(string command, string expected, params string[] commands) =>
        AssertSuggests(command.Split(' ', StringSplitOptions.RemoveEmptyEntries), [expected, .. commands.Select(c => $" {c}")]);

    [Theory]
    [InlineData("--cost", "cross-entrpy", "did you mean 'cross-entropy'?")]
    [InlineData("--activation", "relu,sofmax", "--activation: 'sofmax' is not", "did you mean 'softmax'?")]
    [InlineData("--optimizer", "adma", "--optimizer: 'adma' is not sgd, momentum or adam; did you mean 'adam'?")]
    [InlineData("--schedule", "halfing", "did you mean 'halving'?")]
    [InlineData("--init", "scaled-normla", "did you mean 'scaled-normal'?")]
    [InlineData("--monitor", "training-acuracy", "did you mean 'training-accuracy'?")]
    [InlineData("--regularization", "l3", "did you mean 'l2' or 'l1'?")]
    public void A_mistyped_value_suggests_the_nearest(string option, string value, params string[] expected) =>
        AssertSuggests(["train", option, value, "--lambda", "1", "--epochs", "0", "--data", TestFiles.SampleDirectory], expected);

    [Theory]
    [InlineData("--eta", "abc", "--eta: 'abc' is not a number")]
    [InlineData("--epochs", "2.5", "--epochs: '2.5' is not a whole number")]
    [InlineData("--epochs", null, "--epochs: needs a value (a whole number)")]
    public void A_value_of_the_wrong_kind_is_named_in_words_not_dotnet_types(string option, string? value, string expected)
    {
        var result = CliProcess.Run(value is null ? ["train", option] : ["train", option, value]);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
    }

    [Theory]
    [InlineData("train", "trian", 1)]
    [InlineData("train", "tran", 1)]
    [InlineData("epochs", "epoch", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Distance_counts_a_swap_of_neighbours_as_one_edit(string a, string b, int expected)
    {
        Assert.Equal(expected, Suggestions.Distance(a, b));
        Assert.Equal(expected, Suggestions.Distance(b, a));
    }
}
