using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace LyzerHub.Server.WebConsole;

/// <summary>
/// Data Protection's key ring (which protects console cookies and antiforgery tokens) in <c>DataDir/keys</c>:
/// the directory is 0700 and each key file 0600, like every other secret the hub keeps on disk. The file
/// handling itself stays ASP.NET Core's <see cref="FileSystemXmlRepository"/>.
/// </summary>
public sealed class OwnerOnlyXmlRepository : IXmlRepository
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;

    private readonly DirectoryInfo _directory;
    private readonly FileSystemXmlRepository _files;

    public OwnerOnlyXmlRepository(string directory, ILoggerFactory loggers)
    {
        _directory = OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(directory)
            : Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, OwnerOnlyDirectory);
        _files = new FileSystemXmlRepository(_directory, loggers);
    }

    public IReadOnlyCollection<XElement> GetAllElements() => _files.GetAllElements();

    public void StoreElement(XElement element, string friendlyName)
    {
        _files.StoreElement(element, friendlyName);
        if (OperatingSystem.IsWindows()) return;

        // The repository writes with the process umask; the directory is already owner-only, so no other user
        // could read the file in the moment before this narrows it.
        foreach (var file in _directory.EnumerateFiles("*.xml")) file.UnixFileMode = OwnerOnlyFile;
    }
}
