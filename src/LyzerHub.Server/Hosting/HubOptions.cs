namespace LyzerHub.Server.Hosting;

/// <summary>The <c>Hub</c> configuration section (PRODUCT.md §2).</summary>
public sealed class HubOptions
{
    public const string SectionName = "Hub";

    /// <summary>Everything the hub keeps: control-plane database, event store and <c>tls/</c>.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Listener addresses, separated by ';'.</summary>
    public string Urls { get; set; } = "https://127.0.0.1:5443";

    public bool AllowInsecureHttp { get; set; }

    /// <summary>Reverse proxies whose <c>X-Forwarded-For</c> is believed; nobody's by default.</summary>
    public IList<string> KnownProxies { get; set; } = [];

    public TlsOptions Tls { get; set; } = new();

    public BootstrapOptions Bootstrap { get; set; } = new();

    public DuckDbOptions DuckDb { get; set; } = new();

    public PasswordHashingOptions PasswordHashing { get; set; } = new();

    public string DataDirFullPath => Path.GetFullPath(DataDir);
}

public sealed class TlsOptions
{
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }
}

public sealed class BootstrapOptions
{
    /// <summary>The operator's password on first start; generated and printed once when absent.</summary>
    public string? AdminPassword { get; set; }
}

public sealed partial class DuckDbOptions
{
    /// <summary>DuckDB's <c>memory_limit</c>, e.g. "1GB".</summary>
    public string MemoryLimit { get; set; } = "1GB";

    /// <summary>DuckDB's worker threads; 0 means one per core.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// A size DuckDB understands, like 512MB or 2GiB. Checked before it is spliced into a SET statement,
    /// which takes no parameters.
    /// </summary>
    public static bool IsValidMemoryLimit(string value) => MemoryLimitPattern().IsMatch(value);

    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9]+(\.[0-9]+)?\s*(B|[KMGT]i?B)$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase
        | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex MemoryLimitPattern();
}

public sealed class PasswordHashingOptions
{
    /// <summary>How many Argon2id hashes may run at once; 0 means one per core.</summary>
    public int MaxConcurrency { get; set; }

    /// <summary>How long a login waits for a hashing slot before the answer is 503 overloaded.</summary>
    public int QueueTimeoutMilliseconds { get; set; } = 2000;
}
