using System.CommandLine;

namespace Nabla.Cli.Commands;

/// <summary>`nabla evaluate`: accuracy and cost of a saved network on the test set.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model file written by `nabla train --out`", Required = true };
        var data = CommonOptions.TestData();
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var cost = new Option<string?>("--cost") { Description = "Cost to report (default: the one the model was trained with)" };
        var activation = new Option<string?>("--activation") { Description = "Read --model as a PyTorch nn.Sequential state dict (keys 0.weight, 0.bias, 2.weight, …) with these activations, one per Linear layer, e.g. relu,softmax" };
        var command = new Command("evaluate", "Accuracy, cost and per-class precision/recall of a saved network on the test set, or its scores on a table (--data FILE.csv)") { model, data, cost, activation, maxIdxSize, TableTraining.TextColumns, TableTraining.MaxRecordLength };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            if (parse.GetValue(data) is string table && TableReader.IsTable(table)) return TableTraining.Evaluate(parse, path, table);
            var loaded = CommonOptions.LoadModel(path, parse.GetValue(activation));
            var c = parse.GetValue(cost) is string name ? CommonOptions.ParseCost(name) : loaded.Cost ?? Cost.Quadratic;
            var mnist = CommonOptions.LocateTestData(parse.GetValue(data), parse.GetValue(maxIdxSize));
            CommonOptions.CheckModelAgainstData(loaded.Network.Sizes, mnist.Test, path);
            var e = Sgd<float>.Evaluate(loaded.Network, c, mnist.Test);
            var confusion = ConfusionMatrix.Of(loaded.Network, mnist.Test);
            // A model trained on IDX images names its classes (Fashion-MNIST's, say) in its metadata.
            var names = loaded.Metadata.TryGetValue(ImageInputs.MetadataKey, out var images) ? ImageInputs.FromJson(images, path).ClassNames : null;
            var classes = TablePreprocessing.Identity(loaded.Network.Sizes[0], loaded.Network.Sizes[^1], names?.Count == loaded.Network.Sizes[^1] ? names : null);
            if (parse.GetValue(CommandRunner.Json))
                CommandRunner.WriteJson(new { command = "evaluate", model = path, data = mnist.Directory, layers = loaded.Network.Sizes, cost = c.Name, test_correct = e.Correct, test_total = e.Total, test_accuracy = e.Accuracy, test_cost = e.Cost, evaluated_on = "test", test = TableTraining.TestJson(new(confusion, null), classes) });
            else
            {
                Console.WriteLine($"Data: {mnist.Description}");
                Console.WriteLine($"Model: {path}: {Words.Network(loaded.Network)}");
                Console.WriteLine($"Test: {e.Correct} / {e.Total} ({e.Accuracy:P2}), {c.Name} cost {e.Cost:F4}");
                TableTraining.WriteClasses(confusion, classes);
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
