using System.CommandLine;

namespace Nabla.Cli.Commands;

/// <summary>`nabla export`: a saved network as an ONNX model, for ONNX Runtime and other tools.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model file written by `nabla train --out` (or --checkpoint)", Required = true };
        var onnx = new Option<string>("--onnx") { Description = "Write the ONNX model here (opset 13; input 'input' [N, n_0] float, output 'output')", Required = true };
        var activation = new Option<string?>("--activation") { Description = "Read --model as a PyTorch nn.Sequential state dict with these activations, e.g. relu,softmax" };
        var command = new Command("export", "Export a saved network as ONNX") { model, onnx, activation };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!, output = parse.GetValue(onnx)!;
            var loaded = CommonOptions.LoadModel(path, parse.GetValue(activation));
            try { OnnxExport.Save(loaded.Network, output); }
            catch (NablaException e) { throw new CliException($"--onnx: {e.Message}", ExitCodes.InvalidArguments); }
            if (parse.GetValue(CommandRunner.Json))
                CommandRunner.WriteJson(new { command = "export", model = path, onnx = output, layers = loaded.Network.Sizes, activations = loaded.Network.Activations.Select(a => a.Name), opset = OnnxExport.Opset });
            else
                Console.WriteLine($"Exported {Words.Network(loaded.Network)} to {output} (ONNX opset {OnnxExport.Opset})");
            return ExitCodes.Success;
        });
        return command;
    }
}
