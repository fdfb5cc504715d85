using System.Collections;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Cli;

/// <summary>
/// Nabla's kernels are written on <see cref="Vector{T}"/>, whose width .NET fixes when the process starts: 256 bits unless
/// DOTNET_MaxVectorTBitWidth says otherwise, even on cores whose FMA units are 512 bits wide. On such a core (measured on this
/// project's Zen 5 machine, `nabla bench --peak`: 266 GFLOP/s a core with 512-bit vectors against 133 with 256) the products of
/// backprop run twice as fast with 512-bit vectors (GEMM shapes of the practitioner recipe: 120 → 240 GFLOP/s on one core;
/// an epoch of it 2.7 → 1.6 s). So, on Linux, where the runtime says 512-bit vectors are accelerated (it says not on cores
/// that slow their clock for them) and the user has not set the width, the `nabla` process starts itself again, in place
/// (execve: same process id, same standard streams), with DOTNET_MaxVectorTBitWidth=512. NABLA_VECTOR_WIDTH=default
/// turns this off.
/// </summary>
internal static class WidestVectors
{
    private const string WidthVariable = "DOTNET_MaxVectorTBitWidth";

    /// <summary>Returns only when the process keeps its vector width (nothing to gain, not possible, or the restart failed).</summary>
    public static void Ensure()
    {
        if (!OperatingSystem.IsLinux() || !Vector512.IsHardwareAccelerated || Vector<float>.Count * 32 >= 512) return;
        if (Environment.GetEnvironmentVariable(WidthVariable) is not null) return; // the user's choice, or already restarted
        if (Environment.GetEnvironmentVariable("NABLA_VECTOR_WIDTH") == "default") return;
        string[] argv;
        try { argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0'); }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        var environment = new List<string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            environment.Add($"{variable.Key}={variable.Value}");
        environment.Add($"{WidthVariable}=512");
        environment.Add(null);
        execve("/proc/self/exe", [.. argv, null], [.. environment]);
        // execve returns only on failure: carry on with the width we have.
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int execve(string path, string?[] argv, string?[] envp);
}
