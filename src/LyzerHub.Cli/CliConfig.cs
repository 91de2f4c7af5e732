using System.Text.Json;

namespace LyzerHub.Cli;

/// <summary>
/// What <c>lyzer login</c> keeps between runs, in <c>$XDG_CONFIG_HOME/lyzer</c> (else <c>~/.config/lyzer</c>):
/// the key alone in <c>key</c> (mode 0600, a file whose one purpose is that secret) and the hub's address and
/// certificate path, which are not secrets, in <c>config.json</c>.
/// </summary>
internal sealed class CliConfig(CliEnvironment environment)
{
    public const string HubUrlVariable = "LYZER_HUB_URL";
    public const string KeyVariable = "LYZER_KEY";
    public const string CaCertVariable = "LYZER_CA_CERT";
    public const string DefaultHubUrl = "https://127.0.0.1:5443";

    public string Directory
    {
        get
        {
            var root = environment.Variable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(environment.Variable("HOME") is { Length: > 0 } home
                    ? home
                    : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(root, "lyzer");
        }
    }

    public string KeyPath => Path.Combine(Directory, "key");

    private string SettingsPath => Path.Combine(Directory, "config.json");

    /// <summary>The hub address: <c>LYZER_HUB_URL</c>, else the one stored at login, else the default.</summary>
    public string HubUrl => environment.Variable(HubUrlVariable) is { Length: > 0 } url
        ? url
        : ReadSettings()?.HubUrl ?? DefaultHubUrl;

    /// <summary>The certificate to trust: <c>LYZER_CA_CERT</c>, else the one stored at login.</summary>
    public string? CaCertificate => environment.Variable(CaCertVariable) is { Length: > 0 } path
        ? Path.GetFullPath(path)
        : ReadSettings()?.CaCert;

    /// <summary>The key: <c>LYZER_KEY</c>, else the stored one, else null.</summary>
    public string? Key
    {
        get
        {
            if (environment.Variable(KeyVariable) is { Length: > 0 } key) return key.Trim();
            return File.Exists(KeyPath) ? File.ReadAllText(KeyPath).Trim() : null;
        }
    }

    public void Save(string key, string hubUrl, string? caCertificate)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Written to a new 0600 file and renamed over the old one: the key is never readable by others, not even
        // for an instant, and a crash leaves either the old key or the new one.
        WriteSecret(KeyPath, key);
        var settings = JsonSerializer.Serialize(new StoredSettings(hubUrl, caCertificate), CliJson.Options);
        File.WriteAllText(SettingsPath, settings + "\n");
    }

    private static void WriteSecret(string path, string secret)
    {
        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(secret);
            writer.Write('\n');
        }

        File.Move(temporary, path, overwrite: true);
    }

    private StoredSettings? ReadSettings()
    {
        if (!File.Exists(SettingsPath)) return null;
        try
        {
            return JsonSerializer.Deserialize<StoredSettings>(File.ReadAllText(SettingsPath), CliJson.Options);
        }
        catch (JsonException)
        {
            // A hand-edited, broken file: fall back to the defaults rather than refuse to run.
            return null;
        }
    }

    private sealed record StoredSettings(string? HubUrl, string? CaCert);
}
