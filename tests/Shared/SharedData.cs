namespace LyzerHub.Tests.Shared;

/// <summary>
/// Finds the workplace's shared test data (<c>../shared/data</c> beside the repository), or
/// <c>LYZER_SHARED_DATA</c>. Absent in a clone elsewhere: tests that need it then report themselves skipped.
/// </summary>
public static class SharedData
{
    public static string? Find(string fileName)
    {
        if (Environment.GetEnvironmentVariable("LYZER_SHARED_DATA") is { Length: > 0 } configured)
        {
            var candidate = Path.Combine(configured, fileName);
            return File.Exists(candidate) ? candidate : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "LyzerHub.slnx"))) continue;
            var candidate = Path.Combine(dir.FullName, "..", "shared", "data", fileName);
            return File.Exists(candidate) ? Path.GetFullPath(candidate) : null;
        }

        return null;
    }
}
