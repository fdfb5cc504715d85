using Nabla.Data;

namespace Nabla.Tests.Data;

public class DatasetTests
{
    [Fact]
    public void Reads_the_bundled_test_set_as_inputs_between_zero_and_one()
    {
        string images = TestFiles.Sample("t10k-images-idx3-ubyte.gz");
        var data = Dataset.FromIdx(images, TestFiles.Sample("t10k-labels-idx1-ubyte.gz"));

        Assert.Equal(2_000, data.Count);
        Assert.Equal(784, data.InputSize);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(2_000 * 784, data.Inputs.Length);
        Assert.All(data.Inputs, x => Assert.InRange(x, 0f, 1f));
        Assert.Equal(0f, data.Inputs.Min());
        Assert.Equal(1f, data.Inputs.Max());

        // Each input is its pixel divided by 255, in the same place.
        var pixels = Idx.ReadImages(images).Pixels;
        var last = data.Input(1_999);
        for (int j = 0; j < 784; j++)
            Assert.Equal(pixels[1_999 * 784 + j] / 255f, last[j]);
    }

    [Fact]
    public void Rejects_image_and_label_files_whose_counts_disagree()
    {
        string images = TestFiles.Sample("t10k-images-idx3-ubyte.gz");
        string labels = TestFiles.Sample("train-labels-idx1-ubyte.gz");

        var e = Assert.Throws<InvalidFileException>(() => Dataset.FromIdx(images, labels));

        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("10,000 labels", e.Message);
        Assert.Contains("2,000 images", e.Message);
    }

    [Fact]
    public void Rejects_a_label_file_with_a_class_outside_0_to_9_naming_the_example()
    {
        using var dir = new TempDirectory();
        string images = dir.Write("images", TestFiles.Idx([3, 1, 2], new byte[6]));
        string labels = dir.Write("labels", TestFiles.Idx([3], [0, 9, 10]));

        var e = Assert.Throws<InvalidFileException>(() => Dataset.FromIdx(images, labels));

        Assert.Contains(labels, e.Message);
        Assert.Contains("example 2 is 10", e.Message);
        Assert.Equal(8 + 2, e.Offset);
    }

    [Fact]
    public void Constructor_rejects_a_label_out_of_range_naming_its_index()
    {
        var e = Assert.Throws<NablaException>(() => new Dataset(new float[6], [1, 3, 2], inputSize: 2, classCount: 3));

        Assert.Contains("example 1 is 3", e.Message);
    }

    [Fact]
    public void Constructor_rejects_inputs_that_do_not_match_the_labels()
    {
        var e = Assert.Throws<NablaException>(() => new Dataset(new float[5], [0, 1, 2], inputSize: 2));

        Assert.Contains("3 labels need 6 inputs", e.Message);
    }

    [Fact]
    public void Slices_copy_the_right_examples()
    {
        float[] inputs = [0, 1, 10, 11, 20, 21, 30, 31];
        var data = new Dataset(inputs, [0, 1, 2, 3], inputSize: 2);

        var slice = data.Slice(1, 2);

        Assert.Equal(2, slice.Count);
        Assert.Equal([10f, 11f, 20f, 21f], slice.Inputs);
        Assert.NotNull(slice.Labels);
        Assert.Equal([1, 2], slice.Labels);
        Assert.Equal([20f, 21f], slice.Input(1).ToArray());
        inputs[2] = -1;
        Assert.Equal(10f, slice.Inputs[0]); // a copy, not a view
    }

    [Fact]
    public void Rejects_slices_and_indices_outside_the_examples()
    {
        var data = new Dataset(new float[8], [0, 1, 2, 3], inputSize: 2);

        Assert.Throws<NablaException>(() => data.Slice(3, 2));
        Assert.Throws<NablaException>(() => data.Slice(-1, 1));
        Assert.Throws<NablaException>(() => data.Input(4));
        Assert.Throws<NablaException>(() => data.Input(-1));
    }

    [Fact]
    public void Regression_data_holds_rows_of_real_targets_and_gathers_them_as_y()
    {
        float[] inputs = [0, 1, 10, 11, 20, 21];
        float[] targets = [0.5f, -1, 1.5f, -2, 2.5f, -3];
        var data = Dataset.ForRegression(inputs, targets, inputSize: 2, targetSize: 2);

        Assert.False(data.IsClassification);
        Assert.Null(data.Labels);
        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.OutputSize);
        Assert.Equal(0, data.ClassCount);

        var y = new double[4];
        data.GatherTargets<double>([2, 0], y);
        Assert.Equal([2.5, -3, 0.5, -1], y);

        var slice = data.Slice(1, 2);
        Assert.NotNull(slice.Targets);
        Assert.Equal([1.5f, -2, 2.5f, -3], slice.Targets);
        Assert.Equal([10f, 11f, 20f, 21f], slice.Inputs);
    }

    [Fact]
    public void Classification_targets_are_the_one_hot_vectors_of_the_labels()
    {
        var data = new Dataset(new float[6], [2, 0, 1], inputSize: 2, classCount: 3);

        var y = new float[6];
        data.GatherTargets<float>([0, 2], y);

        Assert.True(data.IsClassification);
        Assert.Equal(3, data.OutputSize);
        Assert.Equal([0f, 0, 1, 0, 1, 0], y);
    }

    [Fact]
    public void Regression_data_rejects_targets_that_are_not_whole_rows_or_do_not_match_the_inputs()
    {
        var ragged = Assert.Throws<NablaException>(() => Dataset.ForRegression(new float[4], new float[3], inputSize: 2, targetSize: 2));
        Assert.Contains("3 target values are not whole rows of 2", ragged.Message);

        var mismatch = Assert.Throws<NablaException>(() => Dataset.ForRegression(new float[5], new float[2], inputSize: 2, targetSize: 1));
        Assert.Contains("2 target rows need 4 inputs", mismatch.Message);
    }

    [Fact]
    public void A_class_index_need_not_fit_in_a_byte()
    {
        var labels = Enumerable.Range(0, 300).ToArray();
        var data = new Dataset(new float[300], labels, inputSize: 1, classCount: 300);

        var y = new float[300];
        data.GatherTargets<float>([299], y);

        Assert.Equal(1f, y[299]);
        Assert.Equal(1f, y.Sum());
    }
}
