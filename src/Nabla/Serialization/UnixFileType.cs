using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Serialization;

/// <summary>
/// The type of a path on Unix (regular file, folder, link, device, pipe, socket), which no public .NET API reports:
/// FileAttributes say Normal for a device. The readers refuse devices and pipes (opening a pipe waits for a writer,
/// forever), and the writer refuses to rename its file over one (as root, /dev/null would become a plain file).
/// </summary>
internal static unsafe partial class UnixFileType
{
    // System.Native is the runtime's own shim over stat(2)/lstat(2); its FileStatus struct is the same on every Unix
    // and architecture, with Mode (int32, S_IF* type bits included) at byte 4.
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStat(string path, byte* status);

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte* status);

    private const int TypeMask = 0xF000, Regular = 0x8000, Directory = 0x4000, SymbolicLink = 0xA000;

    /// <summary>
    /// True when <paramref name="path"/> exists and is neither a regular file, a folder, nor a symbolic link
    /// (<paramref name="followLinks"/>: the type of what a link points to).
    /// </summary>
    public static bool IsSpecial(string path, bool followLinks)
    {
        if (OperatingSystem.IsWindows() || OperatingSystem.IsBrowser())
            return false;
        try
        {
            byte* status = stackalloc byte[512]; // larger than FileStatus in any runtime version
            if ((followLinks ? Stat(path, status) : LStat(path, status)) != 0)
                return false; // missing or not reachable: opening it reports that better
            int type = Unsafe.ReadUnaligned<int>(status + 4) & TypeMask;
            return type is not (Regular or Directory or SymbolicLink);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a runtime without the shim: the callers' other checks still apply
        }
    }

    /// <summary>Refuses a device, pipe or socket before it is opened for reading <paramref name="kind"/> data.</summary>
    /// <exception cref="NablaException">It is one.</exception>
    public static void CheckReadable(string path, string kind)
    {
        if (IsSpecial(path, followLinks: true))
            throw new NablaException($"{path}: cannot read the {kind} file: it is a device, pipe or socket, not a regular file");
    }
}
