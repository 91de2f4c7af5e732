using System.Security.Cryptography;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Storage;

/// <summary>
/// What every <see cref="IControlStore"/> must do, run unchanged against each implementation (SQLite now,
/// PostgreSQL with the scale-out work).
/// </summary>
public abstract partial class ControlStoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset s_now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The chain key every implementation under test seals its audit entries with.</summary>
    protected static readonly AuditChainKey s_auditKey = new(RandomNumberGenerator.GetBytes(32));

    protected IControlStore Store { get; private set; } = null!;

    /// <summary>A fresh, empty store.</summary>
    protected abstract Task<IControlStore> CreateStoreAsync();

    protected abstract Task DestroyStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync(CancellationToken.None);
    }

    public Task DisposeAsync() => DestroyStoreAsync();

    [Fact]
    public async Task CreateTenant_Fresh_StoredWithOwner()
    {
        var (tenant, owner) = NewTenant("acme", "alice@example.com");

        var outcome = await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);

        Assert.Equal(CreateTenantOutcome.Created, outcome);
        Assert.True(await Store.HasAnyTenantAsync(CancellationToken.None));
        AssertSameTenant(tenant, await Store.GetTenantAsync(tenant.Id, CancellationToken.None));
        Assert.Equal(owner, await Store.FindUserByUsernameAsync("ALICE@example.COM", CancellationToken.None));
    }

    [Fact]
    public async Task CreateTenant_SlugOrUsernameTaken_ConflictAndNothingStored()
    {
        var (first, firstOwner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(first, firstOwner, [], CancellationToken.None);
        var (sameSlug, otherOwner) = NewTenant("acme", "bob");
        var (otherSlug, sameUser) = NewTenant("globex", "Alice");

        Assert.Equal(CreateTenantOutcome.SlugTaken,
            await Store.CreateTenantAsync(sameSlug, otherOwner, [], CancellationToken.None));
        Assert.Equal(CreateTenantOutcome.UsernameTaken,
            await Store.CreateTenantAsync(otherSlug, sameUser, [], CancellationToken.None));

        Assert.Null(await Store.FindUserByUsernameAsync("bob", CancellationToken.None));
        Assert.Null(await Store.GetTenantAsync(otherSlug.Id, CancellationToken.None));
    }

    [Fact]
    public async Task FindKeyBySecret_InsertedKey_ReturnsGrantWithUserAndTenant()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (key, plain) = NewKey(tenant, owner, s_now);

        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);
        var grant = await Store.FindKeyBySecretAsync(KeyFormat.Hash(plain), CancellationToken.None);

        Assert.NotNull(grant);
        Assert.Equal(key.Id, grant.Key.Id);
        Assert.Equal(key.Permissions, grant.Key.Permissions);
        Assert.Equal(owner, grant.User);
        AssertSameTenant(tenant, grant.Tenant);
        Assert.Null(await Store.FindKeyBySecretAsync(KeyFormat.Hash(KeyFormat.Generate()), CancellationToken.None));
    }

    [Fact]
    public async Task GetKey_OtherTenantsId_NotFound()
    {
        var (acme, alice) = NewTenant("acme", "alice");
        var (globex, bob) = NewTenant("globex", "bob");
        await Store.CreateTenantAsync(acme, alice, [], CancellationToken.None);
        await Store.CreateTenantAsync(globex, bob, [], CancellationToken.None);
        var (key, plain) = NewKey(acme, alice, s_now);
        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);

        Assert.NotNull(await Store.GetKeyAsync(acme.Id, key.Id, CancellationToken.None));
        Assert.Null(await Store.GetKeyAsync(globex.Id, key.Id, CancellationToken.None));
        Assert.False(await Store.RevokeKeyAsync(globex.Id, key.Id, s_now, Draft(), CancellationToken.None));
        Assert.Null((await Store.GetKeyAsync(acme.Id, key.Id, CancellationToken.None))!.RevokedAt);
    }

    [Fact]
    public async Task RevokeKey_Twice_OnlyFirstRevokes()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (key, plain) = NewKey(tenant, owner, s_now);
        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);

        Assert.True(await Store.RevokeKeyAsync(tenant.Id, key.Id, s_now, Draft(), CancellationToken.None));
        Assert.False(await Store.RevokeKeyAsync(tenant.Id, key.Id, s_now.AddMinutes(1), Draft(),
            CancellationToken.None));

        var stored = await Store.FindKeyBySecretAsync(KeyFormat.Hash(plain), CancellationToken.None);
        Assert.Equal(s_now, stored!.Key.RevokedAt);
    }

    [Fact]
    public async Task ListKeys_ManyKeys_NewestFirstPagedWithoutGapsOrRepeats()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            // Two keys share each creation instant, so the id must break ties.
            var (key, plain) = NewKey(tenant, owner, s_now.AddSeconds(i / 2));
            await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);
            ids.Add(key.Id);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Store.ListKeysAsync(tenant.Id, null, false, s_now, 3, cursor, CancellationToken.None);
            seen.AddRange(page.Items.Select(k => k.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var expected = ids.Select((id, i) => (id, at: i / 2)).OrderByDescending(x => x.at)
            .ThenByDescending(x => x.id, StringComparer.Ordinal).Select(x => x.id);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListKeys_RevokedAndExpired_HiddenUnlessAll()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (active, p1) = NewKey(tenant, owner, s_now);
        var (revoked, p2) = NewKey(tenant, owner, s_now);
        var (expired, p3) = NewKey(tenant, owner, s_now.AddDays(-2));
        foreach (var (k, p) in new[] { (active, p1), (revoked, p2), (expired, p3) })
            await Store.InsertKeyAsync(new NewKey(k, KeyFormat.Hash(p)), Draft(), CancellationToken.None);
        await Store.RevokeKeyAsync(tenant.Id, revoked.Id, s_now, Draft(), CancellationToken.None);

        var shown = await Store.ListKeysAsync(tenant.Id, null, false, s_now, 50, null, CancellationToken.None);
        var all = await Store.ListKeysAsync(tenant.Id, null, true, s_now, 50, null, CancellationToken.None);

        Assert.Equal([active.Id], shown.Items.Select(k => k.Id));
        Assert.Equal(3, all.Items.Count);
    }

    [Fact]
    public async Task ResetPassword_UserWithKeys_NewHashAndAllKeysRevoked()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            var (key, plain) = NewKey(tenant, owner, s_now);
            await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);
        }

        Assert.Equal(3, await Store.ResetPasswordAsync(owner.Id, "new-hash", s_now, Draft(), CancellationToken.None));
        Assert.Equal(0, await Store.ResetPasswordAsync(owner.Id, "newer-hash", s_now, Draft(), CancellationToken.None));
        var reset = await Store.GetUserAsync(tenant.Id, owner.Id, CancellationToken.None);
        Assert.Equal("newer-hash", reset!.PasswordHash);
    }

    // Records compare lists by reference, so compare what a client would see: the serialized form.
    private static void AssertSameTenant(Tenant expected, Tenant? actual) =>
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(expected),
            System.Text.Json.JsonSerializer.Serialize(actual));

    protected static (Tenant, User) NewTenant(string slug, string username)
    {
        var tenant = new Tenant(Ids.NewTenantId(), slug, slug.ToUpperInvariant(), s_now, TenantPolicy.Default);
        var user = new User(Ids.NewUserId(), tenant.Id, username, "owner", UserStates.Active, "hash-" + username,
            false, s_now);
        return (tenant, user);
    }

    protected static (KeyRecord, string) NewKey(Tenant tenant, User user, DateTimeOffset createdAt)
    {
        var plain = KeyFormat.Generate();
        var record = new KeyRecord(Ids.NewKeyId(), tenant.Id, user.Id, "test", KeyFormat.StartOf(plain),
            ["read:metrics", "write:events"], false, createdAt, createdAt.AddDays(1), null, null, 0);
        return (record, plain);
    }
}
