using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LyzerHub.Server.Hosting;

namespace LyzerHub.Server.Audit;

/// <summary>
/// The secret that seals audit chains: an entry's hash is HMAC-SHA256 under this key over a canonical encoding of
/// the entry and the previous entry's hash. The key lives only in <c>DataDir/audit.key</c> (mode 0600, made at
/// first start), never in the database, so whoever can rewrite rows cannot recompute valid hashes. It is never
/// logged and never leaves this class.
/// </summary>
public sealed class AuditChainKey
{
    public const string FileName = "audit.key";
    private const int KeyBytes = 32;

    // A version tag first: a future encoding can be told apart instead of silently failing verification.
    private static readonly byte[] s_domain = "lyzer-audit-v1\n"u8.ToArray();

    // One keyed HMAC per thread, reset by each use: a one-shot HMACSHA256.HashData sets up a fresh native context
    // (and re-keys it) on every call, which costs more than hashing an entry.
    private readonly ThreadLocal<IncrementalHash> _hmac;

    public AuditChainKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16) throw new ArgumentException("An audit chain key needs at least 16 bytes.", nameof(key));
        var copy = key.ToArray();
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, copy));
    }

    /// <summary>Reads <c>audit.key</c> under the data directory, creating it (0600) when it does not exist.</summary>
    public static AuditChainKey LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dataDir);
            TlsCertificates.WriteSecretFile(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)));
        }

        var text = File.ReadAllText(path).Trim();
        try
        {
            return new AuditChainKey(Convert.FromBase64String(text));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // The content is never echoed: it is the secret, however damaged.
            throw new HubConfigurationException($"Hub:DataDir: {path} does not hold an audit chain key.");
        }
    }

    /// <summary>The hash <paramref name="entry"/> must carry: lower-case hex, ignoring its own Hash field.</summary>
    public string Seal(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var buffer = new ArrayBufferWriter<byte>(512);
        buffer.Write(s_domain);
        Field(buffer, entry.Chain);
        Field(buffer, entry.Seq.ToString(CultureInfo.InvariantCulture));
        Field(buffer, entry.Id);
        Field(buffer, entry.Time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Field(buffer, entry.TenantId);
        Field(buffer, entry.Actor);
        Field(buffer, entry.ActorKeyId);
        Field(buffer, entry.Action);
        Field(buffer, entry.Target);
        Field(buffer, entry.ClientAddress);
        Field(buffer, entry.UserAgent);
        Field(buffer, entry.RequestId);
        Field(buffer, entry.Outcome);
        Field(buffer, entry.Count.ToString(CultureInfo.InvariantCulture));
        Field(buffer, entry.Detail);
        Field(buffer, entry.ContinuesFrom);
        Field(buffer, entry.PreviousHash);

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var hmac = _hmac.Value!;
        hmac.AppendData(buffer.WrittenSpan);
        hmac.GetHashAndReset(mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Whether <paramref name="entry"/>'s hash is the one this key gives it (constant-time).</summary>
    public bool IsSealed(AuditEntry entry)
    {
        var expected = Encoding.ASCII.GetBytes(Seal(entry));
        var actual = Encoding.ASCII.GetBytes(entry.Hash);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    // Length-prefixed, with null distinct from empty: no two different entries encode to the same bytes.
    private static void Field(ArrayBufferWriter<byte> buffer, string? value)
    {
        var length = value is null ? -1 : Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), length);
        buffer.Advance(4);
        if (length <= 0) return;

        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }
}
