using System.IO.Compression;
using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>
/// A file that is not a model: `nabla` says it is not a safetensors model file and, from its first bytes, what it looks
/// like, instead of reading those bytes as a header length of 747,998,182,915,317,795 bytes (the real `nabla`, run as a process).
/// </summary>
public class NotAModelTests
{
    private static void AssertNotAModel(string path, string looksLike)
    {
        var result = CliProcess.Run("evaluate", "--model", path, "--data", TestFiles.SampleDirectory);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"nabla: error: {path}: at byte 0: not a safetensors model file: it looks like {looksLike}", line);
        Assert.DoesNotContain("header length", line);
    }

    [Fact]
    public void A_gzip_file_such_as_an_IDX_data_file()
    {
        AssertNotAModel(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"), "a gzip-compressed file (first bytes 1f 8b");
    }

    [Fact]
    public void An_uncompressed_IDX_data_file()
    {
        using var dir = new TempDirectory();
        AssertNotAModel(dir.Write("labels", TestFiles.Gunzip(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"))), "an IDX data file (the MNIST format: labels), not a model");
    }

    [Fact]
    public void An_ONNX_model()
    {
        using var dir = new TempDirectory();
        string onnx = dir.File("model.onnx");
        OnnxExport.Save(new Network<float>([784, 12, 10], Activation.Sigmoid, seed: 1), onnx);
        AssertNotAModel(onnx, "an ONNX model (protobuf)");
    }

    [Fact]
    public void Text()
    {
        using var dir = new TempDirectory();
        AssertNotAModel(dir.Write("model.safetensors", "this is not a model\n"u8.ToArray()), "text (\"this is not a model\")");
    }

    [Fact]
    public void A_PyTorch_checkpoint_saved_with_torch_save()
    {
        // torch.save writes a zip archive whose entries sit in one folder: <name>/data.pkl, <name>/data/0, …
        using var dir = new TempDirectory();
        string path = dir.File("model.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var pickle = zip.CreateEntry("model/data.pkl", CompressionLevel.NoCompression).Open()) pickle.Write([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
            using (var tensor = zip.CreateEntry("model/data/0", CompressionLevel.NoCompression).Open()) tensor.Write(new byte[48]);
        }
        AssertNotAModel(path, "a PyTorch checkpoint (torch.save's zip archive; save the state dict with safetensors.torch.save_file instead)");
    }

    [Fact]
    public void A_Git_LFS_pointer_in_place_of_the_model()
    {
        using var dir = new TempDirectory();
        AssertNotAModel(dir.Write("model.safetensors", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 95416\n"u8.ToArray()), "a Git LFS pointer");
    }

    [Fact]
    public void Bytes_that_look_like_nothing_known_still_say_it_is_not_a_safetensors_model_file()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[100];
        new Random(5).NextBytes(bytes);
        bytes[0] = 0xf3; // not the start of any known signature
        string path = dir.Write("noise.bin", bytes);

        var result = CliProcess.Run("evaluate", "--model", path, "--data", TestFiles.SampleDirectory);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains($"{path}: at byte 0: not a safetensors model file: its first 8 bytes, read as the header length, give", result.Stderr);
    }
}
