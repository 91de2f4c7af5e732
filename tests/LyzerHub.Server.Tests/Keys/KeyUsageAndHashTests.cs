using System.Security.Cryptography;
using System.Text;
using LyzerHub.Server.Keys;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.Keys;

public sealed class KeyUsageAndHashTests
{
    [Fact]
    public void Hash_ManyKeysOnOneThread_EqualsOneShotSha256Each()
    {
        for (var i = 0; i < 20; i++)
        {
            var key = KeyFormat.Generate();

            var hash = KeyFormat.Hash(key);

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key))), hash.ToHex());
        }
    }

    [Fact]
    public void HasKeyShape_LengthAndPrefix_NoChecksumNeeded()
    {
        var key = KeyFormat.Generate();

        Assert.True(KeyFormat.HasKeyShape(key));
        Assert.True(KeyFormat.HasKeyShape(key[..^1] + "!"));
        Assert.False(KeyFormat.HasKeyShape(key.AsSpan(0, key.Length - 1)));
        Assert.False(KeyFormat.HasKeyShape("xyz_" + key[4..]));
    }

    [Fact]
    public async Task Recorder_ConcurrentRecords_DrainedExactlyOnceWithTheLatestTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
        var recorder = new KeyUsageRecorder(time);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++) recorder.Record(t % 2 == 0 ? "key_a" : "key_b");
        })));
        time.Advance(TimeSpan.FromSeconds(5));
        recorder.Record("key_a");
        var first = recorder.Drain();
        var second = recorder.Drain();
        var third = recorder.Drain();

        Assert.Equal(4001, first.Single(u => u.KeyId == "key_a").Requests);
        Assert.Equal(4000, first.Single(u => u.KeyId == "key_b").Requests);
        Assert.Equal(time.GetUtcNow(), first.Single(u => u.KeyId == "key_a").LastUsedAt);
        Assert.Empty(second);
        Assert.Empty(third);
    }

    [Fact]
    public void Recorder_KeyIdleForAPeriodThenUsed_CountedAgain()
    {
        var recorder = new KeyUsageRecorder(new FakeTimeProvider());
        recorder.Record("key_a");
        recorder.Drain();
        recorder.Drain(); // idle: its counter is retired

        recorder.Record("key_a");
        recorder.Record("key_a");

        Assert.Equal(2, Assert.Single(recorder.Drain()).Requests);
    }
}
