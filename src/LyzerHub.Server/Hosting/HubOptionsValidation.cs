using LyzerHub.Server.Auth;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Checks the Hub section before anything starts, so a wrong setting stops the hub with one line naming it
/// (PRODUCT.md §2) instead of a stack trace from deep inside Kestrel or a store.
/// </summary>
public static class HubOptionsValidation
{
    public static string? FirstError(HubOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDir)) return "Hub:DataDir must name a directory.";

        var urls = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0) return "Hub:Urls must name at least one listener.";
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                return $"Hub:Urls has '{url}', which is not an http(s) URL.";
            if (uri.Scheme == "http" && !options.AllowInsecureHttp)
                return $"Hub:Urls has the plain HTTP listener '{url}'; set Hub:AllowInsecureHttp=true to allow it.";
            if (uri.Port is < 0 or > 65535) return $"Hub:Urls has '{url}' with an invalid port.";
        }

        foreach (var proxy in options.KnownProxies)
        {
            if (!System.Net.IPAddress.TryParse(proxy, out _))
                return $"Hub:KnownProxies has '{proxy}', which is not an IP address.";
        }

        if (options.Tls.CertificatePath is { } cert && !File.Exists(cert))
            return $"Hub:Tls:CertificatePath names '{cert}', which does not exist.";
        if (options.Tls.KeyPath is { } key && !File.Exists(key))
            return $"Hub:Tls:KeyPath names '{key}', which does not exist.";
        if (options.Tls.KeyPath is not null && options.Tls.CertificatePath is null)
            return "Hub:Tls:KeyPath is set without Hub:Tls:CertificatePath.";

        if (options.Bootstrap.AdminPassword is { } password
            && (password.Length < PasswordHasher.MinLength || password.Length > PasswordHasher.MaxLength))
        {
            return $"Hub:Bootstrap:AdminPassword must be {PasswordHasher.MinLength} to " +
                $"{PasswordHasher.MaxLength} characters.";
        }

        if (!DuckDbOptions.IsValidMemoryLimit(options.DuckDb.MemoryLimit))
            return $"Hub:DuckDb:MemoryLimit '{options.DuckDb.MemoryLimit}' is not a size like 512MB or 2GB.";
        if (options.DuckDb.Threads < 0) return "Hub:DuckDb:Threads must be 0 (one per core) or more.";
        if (options.PasswordHashing.MaxConcurrency < 0) return "Hub:PasswordHashing:MaxConcurrency must be 0 or more.";
        if (options.PasswordHashing.QueueTimeoutMilliseconds < 0)
            return "Hub:PasswordHashing:QueueTimeoutMilliseconds must be 0 or more.";
        return null;
    }
}
