using System.Text;
using Geralt;
using LyzerHub.Server.Hosting;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Auth;

/// <summary>
/// Argon2id through libsodium (Geralt), with a bound on how many hashes run at once: each costs tens of
/// milliseconds of a core and ~19 MiB, so unbounded logins would starve every other request.
/// </summary>
public sealed class PasswordHasher(PasswordHashingSlots slots)
{
    public const int MinLength = 12;
    public const int MaxLength = 256;

    // OWASP's Argon2id minimum (m=19 MiB, t=2, p=1): ~25 ms a hash on this machine kind.
    private const int Iterations = 2;
    private const int MemoryBytes = 19 * 1024 * 1024;

    private readonly Lazy<string> _decoyHash =
        new(() => HashNow(Convert.ToBase64String(Guid.NewGuid().ToByteArray())));

    /// <summary>
    /// A hash to verify against when the user does not exist, so that costs what a wrong password does.
    /// </summary>
    public string DecoyHash => _decoyHash.Value;

    /// <summary>Hashes with a fresh salt; null when no hashing slot freed up in time (answer 503).</summary>
    public async Task<string?> HashAsync(string password, CancellationToken cancellationToken)
    {
        if (!await slots.TryEnterAsync(cancellationToken)) return null;
        try
        {
            return HashNow(password);
        }
        finally
        {
            slots.Exit();
        }
    }

    /// <summary>Verifies; null when no hashing slot freed up in time (answer 503).</summary>
    public async Task<bool?> VerifyAsync(string encodedHash, string password, CancellationToken cancellationToken)
    {
        if (!await slots.TryEnterAsync(cancellationToken)) return null;
        try
        {
            var bytes = Encoding.UTF8.GetBytes(password);
            try
            {
                return Argon2id.VerifyHash(encodedHash, bytes);
            }
            finally
            {
                Array.Clear(bytes);
            }
        }
        finally
        {
            slots.Exit();
        }
    }

    private static string HashNow(string password)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        var encoded = new char[Argon2id.HashSize];
        try
        {
            Argon2id.ComputeHash(encoded, bytes, Iterations, MemoryBytes);
            // libsodium pads the encoded string with NULs up to HashSize.
            return new string(encoded).TrimEnd('\0');
        }
        finally
        {
            Array.Clear(bytes);
        }
    }
}

/// <summary>
/// How many Argon2id hashes may run at once (<c>Hub:PasswordHashing</c>), and how long a caller waits for one.
/// A service of its own so that the whole hub shares one bound.
/// </summary>
public sealed class PasswordHashingSlots(IOptions<HubOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(SlotCount(options.Value), SlotCount(options.Value));
    private readonly TimeSpan _queueTimeout =
        TimeSpan.FromMilliseconds(options.Value.PasswordHashing.QueueTimeoutMilliseconds);

    /// <summary>Takes a slot, waiting at most the configured queue timeout; false when none freed up.</summary>
    public Task<bool> TryEnterAsync(CancellationToken cancellationToken) =>
        _slots.WaitAsync(_queueTimeout, cancellationToken);

    public void Exit() => _slots.Release();

    public void Dispose() => _slots.Dispose();

    private static int SlotCount(HubOptions options) => options.PasswordHashing.MaxConcurrency > 0
        ? options.PasswordHashing.MaxConcurrency
        : Environment.ProcessorCount;
}
