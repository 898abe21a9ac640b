using System.Runtime.InteropServices;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// What a path is without following a final link: its hard-link count, whether it is a regular file, and its size.
/// A file with several hard links may be the same file as one outside a folder that only looks contained (ONNX's
/// hard-link bypass), which no path comparison can show.
/// </summary>
public static unsafe class FileLinks
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxNlink = 0x4, StatxSize = 0x200;
    private static bool s_unavailable;

    /// <summary>Links, type and size from Linux <c>statx</c>; null elsewhere or when it cannot be asked.</summary>
    public static (uint Links, bool Regular, long Size)? Get(string path)
    {
        if (!OperatingSystem.IsLinux() || s_unavailable)
        {
            return null;
        }

        var buffer = stackalloc byte[256];
        try
        {
            if (LinuxStat.Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxNlink | StatxSize, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is 38 /* ENOSYS */ or 1 /* EPERM: seccomp */)
                {
                    s_unavailable = true;
                }

                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }

        var returned = *(uint*)buffer;
        var links = (returned & StatxNlink) != 0 ? *(uint*)(buffer + 16) : 1u;
        var mode = *(ushort*)(buffer + 28);
        var regular = (returned & StatxType) == 0 || (mode & 0xF000) == 0x8000;
        var size = *(long*)(buffer + 40);
        return (links, regular, size);
    }
}
