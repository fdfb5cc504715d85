using System.Numerics;

namespace Nabla;

/// <summary>
/// The checks of the readers' limits (<see cref="Data.IdxLimits"/>, <see cref="Serialization.SafeTensorsLimits"/>, Nabla.Data's TableReadOptions): a
/// count is positive, and a size that one array must hold is at most <see cref="Array.MaxLength"/>.
/// </summary>
internal static class ReaderLimit
{
    public static T Positive<T>(T value, string name) where T : INumber<T> =>
        value > T.Zero ? value : throw new NablaException($"{name} must be positive, not {value}.");

    public static long ArrayLength(long value, string name) =>
        value > 0 && value <= Array.MaxLength
            ? value
            : throw new NablaException($"{name} must be between 1 and {Array.MaxLength:N0}, not {value:N0}.");
}
