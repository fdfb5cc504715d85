using Nabla.Data;

namespace Nabla.Studio.Engine;

/// <summary>
/// The MNIST-format data the server trains on, found once at start as `nabla train` finds it (--data, else Debian's
/// Fashion-MNIST, else the bundled sample), with the names of its classes.
/// </summary>
public sealed class StudioData
{
    public MnistData Mnist { get; }
    public string[] ClassNames { get; }
    /// <summary>Width and height of an image (28 × 28), when the inputs are square.</summary>
    public int ImageSide { get; }

    public StudioData(MnistData mnist)
    {
        Mnist = mnist;
        ClassNames = mnist.Images.ClassNames.ToArray();
        int side = (int)Math.Round(Math.Sqrt(mnist.Training.InputSize));
        ImageSide = side * side == mnist.Training.InputSize ? side : 0;
    }

    /// <summary>Loads the data; a missing or damaged file throws <see cref="NablaException"/> with its name.</summary>
    public static StudioData Locate(string? directory) => new(DataSource.Locate(directory));
}
