using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nabla.Data;

/// <summary>
/// What a network trained on images takes and answers: <see cref="Rows"/> × <see cref="Columns"/> 8-bit grey pixels, each
/// given as pixel / 255 (as <see cref="Dataset.FromIdx"/> reads them; objects light on black, as in MNIST), and the names of
/// its classes. `nabla train` on IDX files saves it in the model file, so that `nabla predict` can take an IDX file or a
/// picture and name the classes.
/// </summary>
public sealed class ImageInputs
{
    /// <summary>The model-file metadata key under which <see cref="ToJson"/> is stored.</summary>
    public const string MetadataKey = "nabla.images";

    /// <summary>Fashion-MNIST's ten classes, in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Image height and width in pixels; Rows × Columns is the network's input size.</summary>
    /// <exception cref="NablaException">The sizes are not positive, or the class names are not distinct.</exception>
    public ImageInputs(int rows, int columns, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (rows <= 0 || columns <= 0 || (long)rows * columns > int.MaxValue)
            throw new NablaException($"images of {rows}×{columns} pixels cannot be a network's input");
        if (classNames.Count == 0 || classNames.Distinct(StringComparer.Ordinal).Count() != classNames.Count || classNames.Any(string.IsNullOrEmpty))
            throw new NablaException($"the class names must be distinct and non-empty ({classNames.Count} given)");
        (Rows, Columns, ClassNames) = (rows, columns, classNames.ToArray());
    }

    /// <summary>The height of an image, in pixels.</summary>
    public int Rows { get; }
    /// <summary>The width of an image, in pixels.</summary>
    public int Columns { get; }
    /// <summary>Rows × Columns: the input layer's neurons.</summary>
    public int InputSize => Rows * Columns;
    /// <summary>One name per output neuron: Fashion-MNIST's when the data was Fashion-MNIST, else the labels "0", "1", ….</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The classes 0, 1, … named by their numbers.</summary>
    public static IReadOnlyList<string> NumberedClasses(int count) => Enumerable.Range(0, count).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>
    /// What a model file without <see cref="MetadataKey"/> (one saved before it existed, or a state dict from elsewhere) most
    /// likely takes: square images when its input size is a square number (784 → 28 × 28), classes numbered; else null.
    /// </summary>
    public static ImageInputs? Square(int inputSize, int classCount)
    {
        int side = (int)Math.Round(Math.Sqrt(inputSize));
        return side > 0 && side * side == inputSize && classCount > 0 ? new ImageInputs(side, side, NumberedClasses(classCount)) : null;
    }

    /// <summary>The description as one line of JSON (version, rows, columns, the input's scaling, the class names), for the model file's metadata.</summary>
    public string ToJson() => new JsonObject
    {
        ["version"] = 1,
        ["rows"] = Rows,
        ["columns"] = Columns,
        ["input"] = "pixel / 255",
        ["classes"] = new JsonArray(ClassNames.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>Reads <see cref="ToJson"/>'s text back, checking every field.</summary>
    /// <exception cref="InvalidFileException">The text is not valid; <paramref name="source"/> names the model file.</exception>
    public static ImageInputs FromJson(string json, string source)
    {
        InvalidFileException Bad(string problem) => new(source, -1, $"metadata '{MetadataKey}': {problem}");
        try
        {
            var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 4 }) as JsonObject ?? throw Bad("not a JSON object");
            if ((int?)root["version"] != 1) throw Bad($"version {root["version"]?.ToJsonString() ?? "missing"} is not 1");
            int rows = (int?)root["rows"] ?? throw Bad("no rows"), columns = (int?)root["columns"] ?? throw Bad("no columns");
            var classes = (root["classes"] as JsonArray ?? throw Bad("no classes")).Select(c => (string?)c ?? throw Bad("a class is not text")).ToArray();
            return new ImageInputs(rows, columns, classes);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw Bad($"not valid: {e.Message}");
        }
        catch (NablaException e) when (e is not InvalidFileException)
        {
            throw Bad(e.Message);
        }
    }
}
