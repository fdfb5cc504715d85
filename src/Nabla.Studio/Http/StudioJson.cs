using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nabla.Studio.Http;

/// <summary>The API's JSON: snake_case names as `nabla ... --json` writes them; NaN and ±∞ as the strings "NaN", "Infinity".</summary>
public static class StudioJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Answers are JSON read by scripts and the page, never pasted into HTML: keep η, ∂ and quotes readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
