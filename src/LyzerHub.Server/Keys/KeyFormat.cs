using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace LyzerHub.Server.Keys;

/// <summary>
/// The key format of PRODUCT.md §3: <c>lyz_</c>, 30 random base62 characters, then 6 base62 characters of the
/// CRC-32 of those 30. The checksum lets the hub refuse a mistyped or made-up key without a store lookup.
/// </summary>
public static class KeyFormat
{
    public const string Prefix = "lyz_";
    public const int RandomLength = 30;
    public const int ChecksumLength = 6;
    public const int Length = 40;
    public const int StartLength = 8;

    private const string Base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    [ThreadStatic]
    private static IncrementalHash? t_sha256;

    public static string Generate()
    {
        Span<char> key = stackalloc char[Length];
        Prefix.CopyTo(key);
        var random = key.Slice(Prefix.Length, RandomLength);
        RandomNumberGenerator.GetItems(Base62Alphabet, random);
        WriteChecksum(random, key[(Prefix.Length + RandomLength)..]);
        return new string(key);
    }

    /// <summary>True when the text has the shape and a correct checksum. Allocation-free.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> key)
    {
        if (key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;

        var body = key[Prefix.Length..];
        foreach (var c in body)
        {
            if (!char.IsAsciiLetterOrDigit(c)) return false;
        }

        Span<char> expected = stackalloc char[ChecksumLength];
        WriteChecksum(body[..RandomLength], expected);
        return expected.SequenceEqual(body[RandomLength..]);
    }

    /// <summary>The displayable beginning of a key (<c>lyz_</c> and 4 more), stored as <c>start</c>.</summary>
    public static string StartOf(string key) => key[..StartLength];

    /// <summary>
    /// True when the text could be a key: the right length and prefix. Far cheaper than
    /// <see cref="IsWellFormed"/>; enough to hash it and ask the cache, which only ever holds well-formed keys.
    /// </summary>
    public static bool HasKeyShape(ReadOnlySpan<char> key) =>
        key.Length == Length && key.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>SHA-256 over the whole key's ASCII bytes: the only form of a key the stores keep.</summary>
    /// <remarks>
    /// Each thread reuses one hash object: the one-shot <see cref="SHA256.HashData(ReadOnlySpan{byte})"/> sets up
    /// a fresh OpenSSL digest context per call, which cost more than everything else in a cached key check.
    /// Non-ASCII characters become '?', which no well-formed key contains, so they cannot collide with one.
    /// </remarks>
    public static KeyHash Hash(ReadOnlySpan<char> key)
    {
        if (key.Length > Length) throw new ArgumentException($"A key is at most {Length} characters.", nameof(key));

        Span<byte> ascii = stackalloc byte[Length];
        var written = Encoding.ASCII.GetBytes(key, ascii);
        var sha256 = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha256.AppendData(ascii[..written]);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        sha256.GetHashAndReset(digest);
        return KeyHash.FromBytes(digest);
    }

    private static void WriteChecksum(ReadOnlySpan<char> random, Span<char> destination)
    {
        Span<byte> ascii = stackalloc byte[RandomLength];
        Encoding.ASCII.GetBytes(random, ascii);
        var crc = Crc32.HashToUInt32(ascii);
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            destination[i] = Base62Alphabet[(int)(crc % 62)];
            crc /= 62;
        }
    }
}

/// <summary>A SHA-256 digest as four words: a dictionary key that costs no allocation to build or compare.</summary>
public readonly record struct KeyHash(ulong A, ulong B, ulong C, ulong D)
{
    public static KeyHash FromBytes(ReadOnlySpan<byte> digest) => new(
        BinaryPrimitives.ReadUInt64BigEndian(digest),
        BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(digest[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(digest[24..]));

    public static KeyHash FromHex(string hex) => FromBytes(Convert.FromHexString(hex));

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, A);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], D);
        return Convert.ToHexStringLower(bytes);
    }
}
