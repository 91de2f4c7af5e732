using LyzerHub.Server.Keys;

namespace LyzerHub.Server.Tests.Keys;

public sealed class KeyFormatTests
{
    private const string ContractVector = "lyz_7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZzv";

    [Fact]
    public void IsWellFormed_ContractTestVector_Accepted()
    {
        Assert.True(KeyFormat.IsWellFormed(ContractVector));
    }

    [Fact]
    public void Checksum_ContractTestVector_IsCrc32OfTheRandomPart()
    {
        // Independent route: zlib's CRC-32 of the 30 characters, printed in base62 by hand.
        var crc = System.IO.Hashing.Crc32.HashToUInt32("7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e"u8);
        Assert.Equal(0x9D84B20Bu, crc);

        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var digits = "";
        for (var i = 0; i < 6; i++, crc /= 62) digits = alphabet[(int)(crc % 62)] + digits;
        Assert.Equal(ContractVector[^6..], digits);
    }

    [Theory]
    [InlineData("lyz_7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZzw")] // last checksum character changed
    [InlineData("lyz_8Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZzv")] // random part changed
    [InlineData("lyx_7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZzv")] // prefix
    [InlineData("lyz_7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZz")] // too short
    [InlineData("lyz_7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZzv0")] // too long
    [InlineData("lyz_7Hq2LmXk9PzR4tVb8NcW1sYd3FgJ5e2sqZz!")] // not base62
    [InlineData("")]
    public void IsWellFormed_DamagedKey_Refused(string key)
    {
        Assert.False(KeyFormat.IsWellFormed(key));
    }

    [Fact]
    public void Generate_ManyKeys_AllWellFormedAndDistinct()
    {
        var keys = Enumerable.Range(0, 2000).Select(_ => KeyFormat.Generate()).ToArray();

        Assert.All(keys, k => Assert.True(KeyFormat.IsWellFormed(k), k));
        Assert.All(keys, k => Assert.Equal(KeyFormat.Length, k.Length));
        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Hash_Key_IsSha256OfTheWholeKey()
    {
        var expected = Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(ContractVector)));

        Assert.Equal(expected, KeyFormat.Hash(ContractVector).ToHex());
    }
}
