using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Nabla.Tests.Serialization;

public class OnnxExportTests
{
    private static readonly Lazy<MnistData> Sample = new(() => DataSource.Locate(TestFiles.SampleDirectory));

    /// <summary>Runs the exported model in ONNX Runtime on every test image; returns the outputs, row by row.</summary>
    private static float[] RunInOnnxRuntime(byte[] model, Dataset data)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(data.Inputs.AsMemory(0, data.Count * data.InputSize), [data.Count, data.InputSize]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
        var output = results.Single(r => r.Name == OnnxExport.OutputName).AsTensor<float>();
        Assert.Equal([data.Count, 10], output.Dimensions.ToArray());
        return output.ToArray();
    }

    private static float[] RunInNabla(Network<float> network, Dataset data)
    {
        var outputs = new float[data.Count * 10];
        for (int i = 0; i < data.Count; i++) network.FeedForward(data.Input(i)).CopyTo(outputs, i * 10);
        return outputs;
    }

    private static int Correct(float[] outputs, Dataset data)
    {
        Assert.NotNull(data.Labels);
        int[] labels = data.Labels;
        return Enumerable.Range(0, data.Count).Count(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(outputs.AsSpan(i * 10, 10)) == labels[i]);
    }

    [Theory]
    [InlineData("relu", "softmax")]
    [InlineData("sigmoid", "sigmoid")]
    [InlineData("tanh", "softmax")]
    [InlineData("softplus", "identity")]
    public void ONNX_Runtime_gives_Nablas_outputs_and_accuracy_on_the_sample_test_set(string hidden, string output)
    {
        var data = Sample.Value;
        var cost = output == "softmax" ? Cost.LogLikelihood : output == "sigmoid" ? Cost.CrossEntropy : Cost.Quadratic;
        var network = new Network<float>([784, 32, 16, 10], [Activation.FromName(hidden), Activation.FromName(hidden), Activation.FromName(output)], Initialization.ScaledNormal, seed: 3);
        var sgd = new Sgd<float>(network, cost, output switch { "identity" => 0.02f, "sigmoid" => 0.5f, _ => 0.1f }, 20, seed: 1);
        sgd.TrainEpoch(data.Training.Slice(0, 4000)); // trained a little, so that accuracy means something

        var onnx = RunInOnnxRuntime(OnnxExport.ToBytes(network), data.Test);
        var nabla = RunInNabla(network, data.Test);
        double maxDifference = onnx.Zip(nabla, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(maxDifference <= 1e-5, $"max |ONNX − Nabla| = {maxDifference:E2}");
        Assert.Equal(Correct(nabla, data.Test), Correct(onnx, data.Test));
        Assert.True(Correct(nabla, data.Test) > data.Test.Count * 3 / 10, $"the network learned something: {Correct(nabla, data.Test)} / {data.Test.Count}");
    }

    [Fact]
    public void A_float64_network_exports_as_float32_and_matches_within_float_precision()
    {
        var data = Sample.Value;
        var network = new Network<double>([784, 20, 10], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 9);
        var onnx = RunInOnnxRuntime(OnnxExport.ToBytes(network), data.Test);
        var nabla = RunInNabla(network.Convert<float>(), data.Test);
        Assert.True(onnx.Zip(nabla, (a, b) => Math.Abs(a - b)).Max() <= 1e-5);
    }

    [Fact]
    public void Save_writes_a_file_that_ONNX_Runtime_loads_with_the_named_input_and_output()
    {
        using var folder = new TempDirectory();
        var network = new Network<float>([784, 10], [Activation.Softmax], Initialization.ScaledNormal, seed: 1);
        string path = folder.File("model.onnx");
        OnnxExport.Save(network, path);
        using var session = new InferenceSession(path);
        Assert.Equal([OnnxExport.InputName], session.InputMetadata.Keys);
        Assert.Equal([OnnxExport.OutputName], session.OutputMetadata.Keys);
        Assert.Equal([-1, 784], session.InputMetadata[OnnxExport.InputName].Dimensions);
    }

    [Fact]
    public void An_activation_without_an_ONNX_operator_is_refused_by_name()
    {
        var custom = Activation.Custom("cube-test", z => z * z * z, z => 3 * z * z);
        var network = new Network<float>([4, 3], [custom]);
        var e = Assert.Throws<NablaException>(() => OnnxExport.ToBytes(network));
        Assert.Contains("cube-test", e.Message);
    }
}
