using Nabla.Data;

namespace Nabla.Tests.Data;

public class DataSourceTests
{
    [Fact]
    public void Loads_the_bundled_sample_from_an_explicit_directory_with_the_books_split()
    {
        var data = DataSource.Locate(TestFiles.SampleDirectory);

        Assert.Equal(8_334, data.Training.Count);
        Assert.Equal(1_666, data.Validation.Count);
        Assert.Equal(2_000, data.Test.Count);
        Assert.False(data.IsBundledSample);
        Assert.Equal(TestFiles.SampleDirectory, data.Directory);
        Assert.Contains("(8,334 training, 1,666 validation, 2,000 test)", data.Description);
    }

    [Fact]
    public void Validation_is_the_last_sixth_of_the_training_file()
    {
        var data = DataSource.Locate(TestFiles.SampleDirectory);
        var whole = Dataset.FromIdx(TestFiles.Sample("train-images-idx3-ubyte.gz"), TestFiles.Sample("train-labels-idx1-ubyte.gz"));

        Assert.Equal(whole.Input(8_333).ToArray(), data.Training.Input(8_333).ToArray());
        Assert.Equal(whole.Input(8_334).ToArray(), data.Validation.Input(0).ToArray());
        Assert.Equal(whole.Input(9_999).ToArray(), data.Validation.Input(1_665).ToArray());
        Assert.Equal(whole.Labels.AsSpan(8_334).ToArray(), data.Validation.Labels);
    }

    [Fact]
    public void LocateTest_reads_a_folder_that_holds_only_the_test_files_and_names_them_when_missing()
    {
        using var dir = new TempDirectory();
        File.Copy(TestFiles.Sample("t10k-images-idx3-ubyte.gz"), dir.File("t10k-images-idx3-ubyte.gz"));
        File.Copy(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"), dir.File("t10k-labels-idx1-ubyte.gz"));

        var test = DataSource.LocateTest(dir.Path);

        Assert.Equal(DataSource.Locate(TestFiles.SampleDirectory).Test.Labels, test.Test.Labels);
        Assert.Equal(dir.Path, test.Directory);
        Assert.EndsWith("(2,000 test)", test.Description);
        File.Delete(dir.File("t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<NablaException>(() => DataSource.LocateTest(dir.Path));
        Assert.Contains("lacks t10k-labels-idx1-ubyte (", e.Message);
    }

    [Fact]
    public void Names_the_files_an_explicit_directory_lacks()
    {
        using var dir = new TempDirectory();
        File.Copy(TestFiles.Sample("train-images-idx3-ubyte.gz"), dir.File("train-images-idx3-ubyte.gz"));

        var e = Assert.Throws<NablaException>(() => DataSource.Locate(dir.Path));

        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("t10k-images-idx3-ubyte", e.Message);
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Assert.DoesNotContain("train-images-idx3-ubyte,", e.Message);
    }

    [Fact]
    public void Reports_an_explicit_directory_that_does_not_exist()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nowhere");

        var e = Assert.Throws<NablaException>(() => DataSource.Locate(missing));

        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Accepts_the_dotted_file_names_and_raw_files()
    {
        using var dir = new TempDirectory();
        // Names as some mirrors spell them, one of them decompressed.
        File.Copy(TestFiles.Sample("train-images-idx3-ubyte.gz"), dir.File("train-images.idx3-ubyte.gz"));
        File.Copy(TestFiles.Sample("train-labels-idx1-ubyte.gz"), dir.File("train-labels.idx1-ubyte.gz"));
        File.Copy(TestFiles.Sample("t10k-images-idx3-ubyte.gz"), dir.File("t10k-images.idx3-ubyte.gz"));
        dir.Write("t10k-labels-idx1-ubyte", TestFiles.Gunzip(TestFiles.Sample("t10k-labels-idx1-ubyte.gz")));

        var data = DataSource.Locate(dir.Path);

        Assert.Equal((8_334, 1_666, 2_000), (data.Training.Count, data.Validation.Count, data.Test.Count));
    }

    [Fact]
    public void Falls_back_to_the_bundled_sample_when_no_system_data_is_installed()
    {
        using var dir = new TempDirectory();

        var data = DataSource.Locate(null, systemDirectory: dir.File("not-installed"));

        Assert.True(data.IsBundledSample);
        Assert.Equal((8_334, 1_666, 2_000), (data.Training.Count, data.Validation.Count, data.Test.Count));
        Assert.Contains("install Debian's package dataset-fashion-mnist or pass --data DIR", data.Description);
        Assert.True(File.Exists(Path.Combine(data.Directory, "train-images-idx3-ubyte.gz")));
    }

    [Fact]
    public void Prefers_the_system_data_set_when_it_is_installed()
    {
        var data = DataSource.Locate(null);

        if (Directory.Exists(DataSource.SystemDirectory))
        {
            // The full Fashion-MNIST: the book's 50,000 / 10,000 split and the 10,000 test images.
            Assert.False(data.IsBundledSample);
            Assert.Equal(DataSource.SystemDirectory, data.Directory);
            Assert.Equal((50_000, 10_000, 10_000), (data.Training.Count, data.Validation.Count, data.Test.Count));
            Assert.Equal($"Fashion-MNIST from {DataSource.SystemDirectory} (50,000 training, 10,000 validation, 10,000 test)", data.Description);
        }
        else
        {
            Assert.True(data.IsBundledSample);
        }
    }

    [Fact]
    public void Rejects_test_images_of_another_size_than_the_training_images()
    {
        using var dir = new TempDirectory();
        File.Copy(TestFiles.Sample("train-images-idx3-ubyte.gz"), dir.File("train-images-idx3-ubyte.gz"));
        File.Copy(TestFiles.Sample("train-labels-idx1-ubyte.gz"), dir.File("train-labels-idx1-ubyte.gz"));
        string testImages = dir.Write("t10k-images-idx3-ubyte", TestFiles.Idx([2, 2, 2], new byte[8]));
        dir.Write("t10k-labels-idx1-ubyte", TestFiles.Idx([2], [0, 1]));

        var e = Assert.Throws<InvalidFileException>(() => DataSource.Locate(dir.Path));

        Assert.Contains(testImages, e.Message);
        Assert.Contains("2×2", e.Message);
        Assert.Contains("28×28", e.Message);
    }
}
