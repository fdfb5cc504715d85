using System.Globalization;

namespace Nabla.Diagnostics;

/// <summary>
/// The chapter's symbols with their indices as text: w^1_{18,740}, b^2_5, z^1_{12}. A subscript of more than one
/// character is braced, as in TeX, so that w^1_{18,740} (j = 18, k = 740) never reads as w^1_1 followed by 8,740.
/// </summary>
public static class Notation
{
    /// <summary><paramref name="symbol"/> of layer <paramref name="layer"/> with <paramref name="indices"/> as its subscript.</summary>
    public static string Indexed(string symbol, int layer, params int[] indices)
    {
        string subscript = string.Join(",", indices.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        return $"{symbol}^{layer.ToString(CultureInfo.InvariantCulture)}_{(subscript.Length == 1 ? subscript : "{" + subscript + "}")}";
    }

    /// <summary>w^l_{j,k}: the weight from neuron k of layer l−1 to neuron j of layer l.</summary>
    public static string Weight(int layer, int j, int k) => Indexed("w", layer, j, k);
}
