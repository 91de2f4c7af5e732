namespace LyzerHub.Server.Hosting;

/// <summary>
/// An exclusive lock on <c>DataDir/hub.lock</c> held for the process's life, so two hubs (or a hub and
/// <c>reset-admin-password</c>) never work on one data directory at once.
/// </summary>
public sealed class DataDirLock : IDisposable
{
    private readonly FileStream _stream;

    private DataDirLock(FileStream stream) => _stream = stream;

    public static DataDirLock? TryAcquire(string dataDir)
    {
        // Owner-only: the databases hold hashes of passwords and keys, which are no one else's business.
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dataDir);
        else Directory.CreateDirectory(dataDir,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var stream = new FileStream(Path.Combine(dataDir, "hub.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite,
                FileShare.None);
            return new DataDirLock(stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
