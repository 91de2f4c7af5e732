using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Storage;

public abstract partial class ControlStoreContractTests
{
    [Fact]
    public async Task RollKey_OwnersActiveKey_NewSecretFindsItAndOldSecretGetsItsEnd()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (key, oldPlain) = NewKey(tenant, owner, s_now);
        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(oldPlain)), Draft(), CancellationToken.None);
        var newPlain = KeyFormat.Generate();

        var rolled = await Store.RollKeyAsync(new KeyRoll(tenant.Id, key.Id, owner.Id, KeyFormat.Hash(newPlain),
            KeyFormat.StartOf(newPlain), s_now.AddMinutes(1), s_now.AddMinutes(11)), Draft(), CancellationToken.None);

        Assert.NotNull(rolled);
        Assert.Equal(KeyFormat.StartOf(newPlain), rolled.Start);
        var fresh = await Store.FindKeyBySecretAsync(KeyFormat.Hash(newPlain), CancellationToken.None);
        var old = await Store.FindKeyBySecretAsync(KeyFormat.Hash(oldPlain), CancellationToken.None);
        Assert.Equal(key.Id, fresh!.Key.Id);
        Assert.Null(fresh.SecretValidUntil);
        Assert.Equal(key.Id, old!.Key.Id);
        Assert.Equal(s_now.AddMinutes(11), old.SecretValidUntil);
    }

    [Fact]
    public async Task RollKey_SecondRoll_EndsTheFirstRollsGraceAtOnce()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (key, first) = NewKey(tenant, owner, s_now);
        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(first)), Draft(), CancellationToken.None);
        var second = KeyFormat.Generate();
        var third = KeyFormat.Generate();

        await Store.RollKeyAsync(new KeyRoll(tenant.Id, key.Id, owner.Id, KeyFormat.Hash(second),
            KeyFormat.StartOf(second), s_now, s_now.AddHours(1)), Draft(), CancellationToken.None);
        await Store.RollKeyAsync(new KeyRoll(tenant.Id, key.Id, owner.Id, KeyFormat.Hash(third),
            KeyFormat.StartOf(third), s_now.AddMinutes(5), s_now.AddHours(2)), Draft(), CancellationToken.None);

        var firstGrant = await Store.FindKeyBySecretAsync(KeyFormat.Hash(first), CancellationToken.None);
        var secondGrant = await Store.FindKeyBySecretAsync(KeyFormat.Hash(second), CancellationToken.None);
        var thirdGrant = await Store.FindKeyBySecretAsync(KeyFormat.Hash(third), CancellationToken.None);
        Assert.Equal(s_now.AddMinutes(5), firstGrant!.SecretValidUntil);
        Assert.Equal(s_now.AddHours(2), secondGrant!.SecretValidUntil);
        Assert.Null(thirdGrant!.SecretValidUntil);
    }

    [Fact]
    public async Task RollKey_OtherUserOtherTenantOrRevoked_NullAndNothingChanged()
    {
        var (acme, alice) = NewTenant("acme", "alice");
        var (globex, bob) = NewTenant("globex", "bob");
        await Store.CreateTenantAsync(acme, alice, [], CancellationToken.None);
        await Store.CreateTenantAsync(globex, bob, [], CancellationToken.None);
        var (key, plain) = NewKey(acme, alice, s_now);
        var (revoked, revokedPlain) = NewKey(acme, alice, s_now);
        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);
        await Store.InsertKeyAsync(new NewKey(revoked, KeyFormat.Hash(revokedPlain)), Draft(), CancellationToken.None);
        await Store.RevokeKeyAsync(acme.Id, revoked.Id, s_now, Draft(), CancellationToken.None);

        KeyRoll RollOf(string tenantId, string keyId, string userId)
        {
            var next = KeyFormat.Generate();
            return new KeyRoll(tenantId, keyId, userId, KeyFormat.Hash(next), KeyFormat.StartOf(next), s_now,
                s_now.AddHours(1));
        }

        Assert.Null(await Store.RollKeyAsync(RollOf(acme.Id, key.Id, bob.Id), Draft(), CancellationToken.None));
        Assert.Null(await Store.RollKeyAsync(RollOf(globex.Id, key.Id, alice.Id), Draft(), CancellationToken.None));
        Assert.Null(await Store.RollKeyAsync(RollOf(acme.Id, revoked.Id, alice.Id), Draft(), CancellationToken.None));

        var unchanged = await Store.FindKeyBySecretAsync(KeyFormat.Hash(plain), CancellationToken.None);
        Assert.Null(unchanged!.SecretValidUntil);
        Assert.Equal(key.Start, unchanged.Key.Start);
        Assert.Null((await Store.FindKeyBySecretAsync(KeyFormat.Hash(revokedPlain), CancellationToken.None))!
            .SecretValidUntil);
    }

    [Fact]
    public async Task RecordKeyUsage_TwoBatches_AddsCountsAndKeepsTheLatestTime()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (a, pa) = NewKey(tenant, owner, s_now);
        var (b, pb) = NewKey(tenant, owner, s_now);
        await Store.InsertKeyAsync(new NewKey(a, KeyFormat.Hash(pa)), Draft(), CancellationToken.None);
        await Store.InsertKeyAsync(new NewKey(b, KeyFormat.Hash(pb)), Draft(), CancellationToken.None);

        await Store.RecordKeyUsageAsync(
            [new KeyUsage(a.Id, 3, s_now.AddMinutes(2)), new KeyUsage(b.Id, 1, s_now.AddMinutes(1)),
             new KeyUsage("key_doesnotexist00000000", 9, s_now)],
            CancellationToken.None);
        // A batch flushed late carries an older time: last_used_at must not move back.
        await Store.RecordKeyUsageAsync([new KeyUsage(a.Id, 2, s_now.AddMinutes(1))], CancellationToken.None);

        var storedA = await Store.GetKeyAsync(tenant.Id, a.Id, CancellationToken.None);
        var storedB = await Store.GetKeyAsync(tenant.Id, b.Id, CancellationToken.None);
        Assert.Equal(5, storedA!.RequestCount);
        Assert.Equal(s_now.AddMinutes(2), storedA.LastUsedAt);
        Assert.Equal(1, storedB!.RequestCount);
        Assert.Equal(s_now.AddMinutes(1), storedB.LastUsedAt);
    }

    [Fact]
    public async Task InsertKey_WithRateLimit_ReadBackEverywhere()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (key, plain) = NewKey(tenant, owner, s_now);
        key = key with { RateLimit = new KeyRateLimit(100, 60) };

        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);

        Assert.Equal(new KeyRateLimit(100, 60),
            (await Store.GetKeyAsync(tenant.Id, key.Id, CancellationToken.None))!.RateLimit);
        Assert.Equal(new KeyRateLimit(100, 60),
            (await Store.FindKeyBySecretAsync(KeyFormat.Hash(plain), CancellationToken.None))!.Key.RateLimit);
        var listed = await Store.ListKeysAsync(tenant.Id, null, true, s_now, 10, null, CancellationToken.None);
        Assert.Equal(new KeyRateLimit(100, 60), Assert.Single(listed.Items).RateLimit);
    }
}
