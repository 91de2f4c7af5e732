namespace LyzerHub.Bench;

/// <summary>A fresh directory under the system temp folder, removed again on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException exception)
        {
            // Leaving a temp folder behind is worth a line, not a failed benchmark.
            Console.Error.WriteLine($"warning: could not delete {Path}: {exception.Message}");
        }
    }
}
