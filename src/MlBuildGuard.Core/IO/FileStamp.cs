using System.Runtime.InteropServices;

namespace MlBuildGuard.Core.IO;

/// <summary>
/// What identifies one version of a file without reading it: size, modification time, status-change time and the file's
/// identity (device + inode on Unix, volume + file index on Windows). The change time cannot be set back by tools such as
/// <c>touch</c>, and the identity changes when a file is replaced, so an edited file whose modification time was restored
/// still gets a new stamp.
/// </summary>
public readonly record struct FileStamp(long Size, long ModifiedTicks, long ChangedTicks, ulong Device, ulong FileId)
{
    /// <summary>Reads the stamp of an existing regular file (links followed); false when it is missing or not a file.</summary>
    public static bool TryGet(string path, out FileStamp stamp) => Probe(path, out stamp) == FileKind.Regular;

    /// <summary>
    /// Classifies a path without opening it (opening a FIFO would block) and, for a regular file, reads its stamp.
    /// </summary>
    public static FileKind Probe(string path, out FileStamp stamp)
    {
        if (OperatingSystem.IsLinux())
        {
            var kind = LinuxStat.Probe(path, out stamp);
            if (kind != FileKind.Unknown)
            {
                return kind;
            }
        }

        if (OperatingSystem.IsWindows() && WindowsStat.TryGet(path, out stamp))
        {
            return FileKind.Regular;
        }

        stamp = default;
        if (Directory.Exists(path))
        {
            return FileKind.Directory;
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return FileKind.Missing;
        }

        stamp = new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks, 0, 0, 0);
        return FileKind.Regular;
    }

    /// <summary>
    /// As <see cref="Probe"/>, in one system call where the platform allows, and also telling whether the path itself is a
    /// symbolic link (then its stamp and kind are those of the file it leads to, which takes a second call).
    /// </summary>
    public static FileKind ProbeNoFollow(string path, out FileStamp stamp, out bool isLink)
    {
        if (OperatingSystem.IsLinux())
        {
            var kind = LinuxStat.Probe(path, out stamp, followLinks: false, out isLink);
            if (kind != FileKind.Unknown && !isLink)
            {
                return kind;
            }

            if (isLink)
            {
                return Probe(path, out stamp);
            }
        }

        isLink = IsLink(path);
        return Probe(path, out stamp);
    }

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The newest of the two times, as UTC ticks.</summary>
    public long LatestTicks => Math.Max(ModifiedTicks, ChangedTicks);
}

/// <summary>What a path names, as far as hashing is concerned.</summary>
public enum FileKind
{
    /// <summary>The platform could not tell; the caller finds out by opening it.</summary>
    Unknown,
    Missing,
    Regular,
    Directory,

    /// <summary>A FIFO, socket or device: never opened, since reading one can block or never end.</summary>
    Special,
}

internal static unsafe partial class LinuxStat
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const ushort FileTypeMask = 0xF000;
    private const ushort RegularFile = 0x8000;
    private const ushort DirectoryType = 0x4000;
    private const ushort LinkType = 0xA000;
    private const int AtSymlinkNoFollow = 0x100;
    private static bool s_unavailable;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    public static FileKind Probe(string path, out FileStamp stamp) => Probe(path, out stamp, followLinks: true, out _);

    /// <param name="isLink">Set when <paramref name="followLinks"/> is false and the path is a symbolic link (kind <see cref="FileKind.Special"/>, no stamp).</param>
    public static FileKind Probe(string path, out FileStamp stamp, bool followLinks, out bool isLink)
    {
        stamp = default;
        isLink = false;
        if (s_unavailable)
        {
            return FileKind.Unknown;
        }

        var buffer = stackalloc byte[256];
        int rc;
        try
        {
            rc = Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return FileKind.Unknown;
        }

        if (rc != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 38 /* ENOSYS */ || errno == 1 /* EPERM: seccomp */)
            {
                s_unavailable = true;
                return FileKind.Unknown;
            }

            return errno is 2 /* ENOENT */ or 20 /* ENOTDIR */ ? FileKind.Missing : FileKind.Unknown;
        }

        var type = *(ushort*)(buffer + 28) & FileTypeMask;
        if (type == LinkType)
        {
            isLink = true;
            return FileKind.Special;
        }

        if (type == DirectoryType)
        {
            return FileKind.Directory;
        }

        if (type != RegularFile)
        {
            return FileKind.Special;
        }

        var ino = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var ctime = Ticks(buffer + 96);
        var mtime = Ticks(buffer + 112);
        var devMajor = *(uint*)(buffer + 136);
        var devMinor = *(uint*)(buffer + 140);
        stamp = new FileStamp(size, mtime, ctime, ((ulong)devMajor << 32) | devMinor, ino);
        return FileKind.Regular;
    }

    private static long Ticks(byte* timestamp)
    {
        var seconds = *(long*)timestamp;
        var nanos = *(uint*)(timestamp + 8);
        return DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanos / 100);
    }
}

internal static partial class WindowsStat
{
    [StructLayout(LayoutKind.Sequential)]
    private struct ByHandleFileInformation
    {
        public uint FileAttributes;
        public long CreationTime;
        public long LastAccessTime;
        public long LastWriteTime;
        public uint VolumeSerialNumber;
        public uint FileSizeHigh;
        public uint FileSizeLow;
        public uint NumberOfLinks;
        public uint FileIndexHigh;
        public uint FileIndexLow;
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetFileInformationByHandle(Microsoft.Win32.SafeHandles.SafeFileHandle handle, out ByHandleFileInformation info);

    public static bool TryGet(string path, out FileStamp stamp)
    {
        stamp = default;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (!GetFileInformationByHandle(handle, out var info))
            {
                return false;
            }

            var size = ((long)info.FileSizeHigh << 32) | info.FileSizeLow;
            var changed = File.GetLastWriteTimeUtc(path).Ticks; // Windows has no status-change time in this structure
            stamp = new FileStamp(size, DateTime.FromFileTimeUtc(info.LastWriteTime).Ticks, changed, info.VolumeSerialNumber,
                ((ulong)info.FileIndexHigh << 32) | info.FileIndexLow);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
