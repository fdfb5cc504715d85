using System.Numerics;
using Nabla.Serialization;

namespace Nabla.Tests.Serialization;

public class ModelFileTests
{
    private static readonly int[] Sizes = [4, 3, 2];

    private static Network<T> MakeNetwork<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        new(Sizes, [Activation.Tanh, Activation.Sigmoid], Initialization.ScaledNormal, seed: 7);

    private static T[] Input<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        [T.CreateChecked(0.25), T.CreateChecked(-1.5), T.CreateChecked(0.75), T.CreateChecked(2.0)];

    private static void RoundTripGivesIdenticalOutputs<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        var network = MakeNetwork<T>();

        ModelFile.Save(network, Cost.CrossEntropy, path, new Dictionary<string, string> { ["note"] = "round trip" });
        var loaded = ModelFile.Load<T>(path);

        Assert.Equal(network.Sizes, loaded.Network.Sizes);
        Assert.Equal(["tanh", "sigmoid"], loaded.Network.Activations.Select(a => a.Name));
        Assert.Same(Cost.CrossEntropy, loaded.Cost);
        Assert.Equal("round trip", loaded.Metadata["note"]);
        for (int l = 1; l <= network.L; l++)
        {
            Assert.Equal(network.Weights[l].Data, loaded.Network.Weights[l].Data);
            Assert.Equal(network.Biases[l], loaded.Network.Biases[l]);
        }
        // Bit-for-bit equal parameters must give bit-for-bit equal outputs.
        Assert.Equal(network.FeedForward(Input<T>()), loaded.Network.FeedForward(Input<T>()));
    }

    [Fact]
    public void A_float_model_loads_back_with_identical_outputs() => RoundTripGivesIdenticalOutputs<float>();

    [Fact]
    public void A_double_model_loads_back_with_identical_outputs() => RoundTripGivesIdenticalOutputs<double>();

    [Fact]
    public void A_double_model_loads_as_float_rounded_to_nearest()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        var network = MakeNetwork<double>();
        ModelFile.Save(network, null, path);

        var loaded = ModelFile.Load<float>(path);

        Assert.Equal(network.Weights[1].Data.Select(w => (float)w), loaded.Network.Weights[1].Data);
        Assert.Null(loaded.Cost);
    }

    /// <summary>Saves a valid float model, lets <paramref name="damage"/> change its tensors and metadata, and writes it back.</summary>
    private static string Damaged(TempDirectory dir, Action<List<SafeTensorEntry>, Dictionary<string, string>> damage)
    {
        string path = dir.File("damaged.safetensors");
        ModelFile.Save(MakeNetwork<float>(), Cost.Quadratic, path);
        var file = SafeTensors.Read(path);
        var entries = file.Entries.ToList();
        var metadata = new Dictionary<string, string>(file.Metadata);
        damage(entries, metadata);
        SafeTensors.Write(path, entries, metadata);
        return path;
    }

    private static void Replace(List<SafeTensorEntry> entries, SafeTensorEntry replacement) =>
        entries[entries.FindIndex(e => e.Name == replacement.Name)] = replacement;

    /// <summary>Loading must fail with an InvalidFileException naming the file and containing <paramref name="expected"/>.</summary>
    private static void AssertRejected(string path, string expected)
    {
        foreach (var load in new Action[] { () => ModelFile.Load<float>(path), () => ModelFile.Load<double>(path) })
        {
            var e = Assert.Throws<InvalidFileException>(load);
            Assert.Equal(path, e.Path);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void Rejects_huge_layer_sizes_in_the_metadata_before_allocating_the_network()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, (_, meta) => meta["sizes"] = "4,1000000000,2");

        // A network of 10^9 hidden neurons would need gigabytes; the shapes are compared first.
        long allocated = TestFiles.AllocatedDuring(() => AssertRejected(path, "'layers.1.weight' has shape [3, 4] but the metadata's layer sizes need [1000000000, 4]"));
        Assert.True(allocated < 10_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Rejects_millions_of_layers_in_the_metadata_without_parsing_them()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, (_, meta) => meta["sizes"] = string.Join(",", Enumerable.Repeat("1", 2_000_000)));

        long allocated = TestFiles.AllocatedDuring(() => AssertRejected(path, "metadata 'sizes' names 2000000 layers, which need 3999998 tensors"));
        // The header itself is 4 MB and is read twice per load (float, double); splitting it would add ~100 MB.
        Assert.True(allocated < 40_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Rejects_layer_sizes_that_are_not_positive_numbers()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (_, meta) => meta["sizes"] = "4,x,2"), "is not a list of positive layer sizes");
        AssertRejected(Damaged(dir, (_, meta) => meta["sizes"] = "4,0,2"), "is not a list of positive layer sizes");
        AssertRejected(Damaged(dir, (_, meta) => meta["sizes"] = "4,-3,2"), "is not a list of positive layer sizes");
    }

    [Fact]
    public void Rejects_sizes_that_disagree_with_the_tensor_shapes()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (_, meta) => meta["sizes"] = "4,3,5"), "'layers.2.weight' has shape [2, 3] but the metadata's layer sizes need [5, 3]");
    }

    [Fact]
    public void Rejects_a_bias_whose_shape_disagrees_with_the_sizes()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (entries, _) => Replace(entries, SafeTensorEntry.FromSingles("layers.1.bias", [1, 3], [1f, 2f, 3f]))),
            "'layers.1.bias' has shape [1, 3] but the metadata's layer sizes need [3]");
    }

    [Fact]
    public void Rejects_a_wrong_number_of_activations()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (_, meta) => meta["activations"] = "sigmoid"), "metadata names 1 activations for 2 layers");
        AssertRejected(Damaged(dir, (_, meta) => meta["activations"] = "sigmoid,sigmoid,sigmoid"), "metadata names 3 activations for 2 layers");
    }

    [Fact]
    public void Rejects_an_unknown_activation_or_cost()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (_, meta) => meta["activations"] = "sigmoid,swish-2000"), "swish-2000");
        AssertRejected(Damaged(dir, (_, meta) => meta["cost"] = "hinge"), "hinge");
    }

    [Fact]
    public void Rejects_a_file_without_model_metadata()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (_, meta) => meta.Remove("sizes")), "the metadata has no 'sizes' entry");
        AssertRejected(Damaged(dir, (_, meta) => meta.Remove("activations")), "the metadata has no 'activations' entry");
    }

    [Fact]
    public void Rejects_an_extra_tensor_by_name()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (entries, _) => entries[0] = SafeTensorEntry.FromSingles("layers.1.weight_extra", [3, 4], new float[12])),
            "tensor 'layers.1.weight_extra' is not one of the 2-layer model's tensors");
    }

    [Fact]
    public void Rejects_a_missing_or_additional_tensor()
    {
        using var dir = new TempDirectory();
        AssertRejected(Damaged(dir, (entries, _) => entries.RemoveAll(e => e.Name == "layers.2.bias")), "need 4 tensors (layers.1.weight … layers.2.bias), but the file has 3");
        AssertRejected(Damaged(dir, (entries, _) => entries.Add(SafeTensorEntry.FromSingles("optimizer.state", [1], [0f]))), "need 4 tensors (layers.1.weight … layers.2.bias), but the file has 5");
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Rejects_non_finite_weights_naming_the_tensor_and_element(float value, string shown)
    {
        using var dir = new TempDirectory();
        var weights = Enumerable.Repeat(0.5f, 6).ToArray();
        weights[4] = value;
        AssertRejected(Damaged(dir, (entries, _) => Replace(entries, SafeTensorEntry.FromSingles("layers.2.weight", [2, 3], weights))),
            $"tensor 'layers.2.weight' element 4 is {shown}");
    }

    [Fact]
    public void Rejects_a_double_bias_too_large_for_float_when_loading_as_float()
    {
        using var dir = new TempDirectory();
        string path = Damaged(dir, (entries, _) => Replace(entries, SafeTensorEntry.FromDoubles("layers.1.bias", [3], [0.0, 1e300, 0.0])));

        var e = Assert.Throws<InvalidFileException>(() => ModelFile.Load<float>(path));
        Assert.Contains("tensor 'layers.1.bias' element 1 is Infinity as float32", e.Message);
        Assert.Equal(1e300, ModelFile.Load<double>(path).Network.Biases[1][1]);
    }

    [Fact]
    public void Rejects_a_tensor_with_an_empty_name_as_an_invalid_file()
    {
        using var dir = new TempDirectory();
        byte[] json = """{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"""u8.ToArray();
        byte[] bytes = [.. BitConverter.GetBytes((ulong)json.Length), .. json, 0, 0, 0, 0];
        string path = dir.Write("empty-name.safetensors", bytes);

        var e = Assert.Throws<InvalidFileException>(() => ModelFile.Load<float>(path));
        Assert.Contains("a tensor has an empty name", e.Message);
    }

    [Fact]
    public async Task Refuses_to_read_a_named_pipe_instead_of_waiting_for_a_writer()
    {
        using var dir = new TempDirectory();
        string pipe = dir.File("model.safetensors");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe])) mkfifo.WaitForExit();

        var load = Task.Run(() => Assert.Throws<NablaException>(() => ModelFile.Load<float>(pipe)));
        Assert.True(await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(30))) == load, "ModelFile.Load waited on the pipe");
        Assert.Contains("it is a device, pipe or socket, not a regular file", (await load).Message);
    }
}
