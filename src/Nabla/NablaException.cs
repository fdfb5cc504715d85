namespace Nabla;

/// <summary>
/// The one exception type Nabla throws for bad input: a file that is not what it claims, an argument
/// out of range, shapes that disagree. The message says what is wrong and where (file, byte offset,
/// argument), so a command-line front end can print it as one line.
/// </summary>
public class NablaException : Exception
{
    public NablaException(string message) : base(message) { }
    public NablaException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A data or model file whose bytes are not valid. <see cref="Path"/> and <see cref="Offset"/> say where.</summary>
public sealed class InvalidFileException : NablaException
{
    public string Path { get; }
    /// <summary>Byte offset in the (decompressed) file where the problem was found, or -1 when it concerns the whole file.</summary>
    public long Offset { get; }

    public InvalidFileException(string path, long offset, string problem)
        : base(offset >= 0 ? $"{path}: at byte {offset}: {problem}" : $"{path}: {problem}")
    {
        Path = path;
        Offset = offset;
    }
}
