using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Storage;

public abstract partial class ControlStoreContractTests
{
    [Fact]
    public async Task CreateUser_TakenUsernameInAnyTenantAnyCase_RefusedAndNothingStored()
    {
        var (acme, alice) = NewTenant("acme", "alice");
        var (globex, bob) = NewTenant("globex", "bob");
        await Store.CreateTenantAsync(acme, alice, [], CancellationToken.None);
        await Store.CreateTenantAsync(globex, bob, [], CancellationToken.None);
        var carol = NewUser(acme, "carol", "member");
        var twin = NewUser(globex, "CAROL", "viewer");

        Assert.True(await Store.CreateUserAsync(carol, Draft(), CancellationToken.None));
        Assert.False(await Store.CreateUserAsync(twin, Draft(), CancellationToken.None));

        Assert.Equal(carol, await Store.GetUserAsync(acme.Id, carol.Id, CancellationToken.None));
        Assert.Null(await Store.GetUserAsync(globex.Id, twin.Id, CancellationToken.None));
    }

    [Fact]
    public async Task GetUser_OtherTenantsId_NotFoundAndNotChanged()
    {
        var (acme, alice) = NewTenant("acme", "alice");
        var (globex, bob) = NewTenant("globex", "bob");
        await Store.CreateTenantAsync(acme, alice, [], CancellationToken.None);
        await Store.CreateTenantAsync(globex, bob, [], CancellationToken.None);
        var carol = NewUser(acme, "carol", "member");
        await Store.CreateUserAsync(carol, Draft(), CancellationToken.None);

        Assert.Null(await Store.GetUserAsync(globex.Id, carol.Id, CancellationToken.None));
        Assert.Equal(UserChangeOutcome.NotFound,
            await Store.ChangeUserRoleAsync(globex.Id, carol.Id, "member", "viewer", Draft(), CancellationToken.None));
        Assert.Equal(UserChangeOutcome.NotFound,
            (await Store.OffboardUserAsync(globex.Id, carol.Id, "member", s_now, Draft(),
                CancellationToken.None)).Outcome);
        Assert.Null(await Store.ChangePasswordAsync(globex.Id, carol.Id, "x", "key_none", s_now,
            Draft(), CancellationToken.None));
        Assert.Equal(carol, await Store.GetUserAsync(acme.Id, carol.Id, CancellationToken.None));
    }

    [Fact]
    public async Task ListUsers_ManyUsers_NewestFirstPagedAndOnlyTheTenants()
    {
        var (acme, alice) = NewTenant("acme", "alice");
        var (globex, bob) = NewTenant("globex", "bob");
        await Store.CreateTenantAsync(acme, alice, [], CancellationToken.None);
        await Store.CreateTenantAsync(globex, bob, [], CancellationToken.None);
        var expected = new List<User> { alice };
        for (var i = 0; i < 5; i++)
        {
            // Two users share each creation instant, so the id must break ties.
            var user = NewUser(acme, $"user{i}", "viewer") with { CreatedAt = s_now.AddSeconds(1 + (i / 2)) };
            await Store.CreateUserAsync(user, Draft(), CancellationToken.None);
            expected.Add(user);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Store.ListUsersAsync(acme.Id, 2, cursor, CancellationToken.None);
            seen.AddRange(page.Items.Select(u => u.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(expected.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id, StringComparer.Ordinal)
            .Select(u => u.Id), seen);
    }

    [Fact]
    public async Task ChangeUserRole_ExpectedRole_ChangedElseRoleChanged()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var carol = NewUser(tenant, "carol", "member");
        await Store.CreateUserAsync(carol, Draft(), CancellationToken.None);

        Assert.Equal(UserChangeOutcome.Changed,
            await Store.ChangeUserRoleAsync(tenant.Id, carol.Id, "member", "viewer", Draft(), CancellationToken.None));
        Assert.Equal(UserChangeOutcome.RoleChanged,
            await Store.ChangeUserRoleAsync(tenant.Id, carol.Id, "member", "admin", Draft(), CancellationToken.None));

        Assert.Equal("viewer", (await Store.GetUserAsync(tenant.Id, carol.Id, CancellationToken.None))!.Role);
    }

    [Fact]
    public async Task ChangeUserRole_LastActiveOwner_RefusedButAnotherOwnerMayStepDown()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);

        Assert.Equal(UserChangeOutcome.LastOwner,
            await Store.ChangeUserRoleAsync(tenant.Id, owner.Id, "owner", "admin", Draft(), CancellationToken.None));
        Assert.Equal(UserChangeOutcome.LastOwner,
            (await Store.OffboardUserAsync(tenant.Id, owner.Id, "owner", s_now, Draft(),
                CancellationToken.None)).Outcome);

        var second = NewUser(tenant, "bob", "owner");
        await Store.CreateUserAsync(second, Draft(), CancellationToken.None);
        Assert.Equal(UserChangeOutcome.Changed,
            await Store.ChangeUserRoleAsync(tenant.Id, owner.Id, "owner", "admin", Draft(), CancellationToken.None));
    }

    [Fact]
    public async Task ChangeUserRole_TwoOwnersRemovedConcurrently_OneStaysOwner()
    {
        // Several rounds, each in a fresh tenant, to give the race a real chance to show.
        for (var round = 0; round < 10; round++)
        {
            var (tenant, owner) = NewTenant($"acme-{round}", $"alice{round}");
            await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
            var second = NewUser(tenant, $"bob{round}", "owner");
            await Store.CreateUserAsync(second, Draft(), CancellationToken.None);

            var outcomes = await Task.WhenAll(
                Task.Run(() => Store.ChangeUserRoleAsync(tenant.Id, owner.Id, "owner", "member",
                    Draft(), CancellationToken.None)),
                Task.Run(async () => (await Store.OffboardUserAsync(tenant.Id, second.Id, "owner", s_now,
                    Draft(), CancellationToken.None)).Outcome));

            Assert.Single(outcomes, UserChangeOutcome.Changed);
            Assert.Single(outcomes, UserChangeOutcome.LastOwner);
        }
    }

    [Fact]
    public async Task OffboardUser_UserWithKeys_OffboardedAndEveryKeyRevokedOnce()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var carol = NewUser(tenant, "carol", "member");
        await Store.CreateUserAsync(carol, Draft(), CancellationToken.None);
        var plains = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (key, plain) = NewKey(tenant, carol, s_now);
            await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(), CancellationToken.None);
            plains.Add(plain);
        }

        var first = await Store.OffboardUserAsync(tenant.Id, carol.Id, "member", s_now, Draft(),
            CancellationToken.None);
        var again = await Store.OffboardUserAsync(tenant.Id, carol.Id, "member", s_now, Draft(),
            CancellationToken.None);

        Assert.Equal(new OffboardResult(UserChangeOutcome.Changed, 3), first);
        Assert.Equal(new OffboardResult(UserChangeOutcome.Changed, 0), again);
        foreach (var plain in plains)
        {
            var grant = await Store.FindKeyBySecretAsync(KeyFormat.Hash(plain), CancellationToken.None);
            Assert.Equal(s_now, grant!.Key.RevokedAt);
            Assert.Equal(UserStates.Offboarded, grant.User.State);
        }

        Assert.Equal(UserChangeOutcome.Offboarded,
            await Store.ChangeUserRoleAsync(tenant.Id, carol.Id, "member", "viewer", Draft(), CancellationToken.None));
    }

    [Fact]
    public async Task ChangePassword_ActiveUser_StoresHashAndRevokesOnlyOtherLoginKeys()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var (calling, p1) = NewKey(tenant, owner, s_now);
        var (otherLogin, p2) = NewKey(tenant, owner, s_now);
        var (named, p3) = NewKey(tenant, owner, s_now);
        calling = calling with { IsLoginKey = true };
        otherLogin = otherLogin with { IsLoginKey = true };
        foreach (var (k, p) in new[] { (calling, p1), (otherLogin, p2), (named, p3) })
            await Store.InsertKeyAsync(new NewKey(k, KeyFormat.Hash(p)), Draft(), CancellationToken.None);

        var revoked = await Store.ChangePasswordAsync(tenant.Id, owner.Id, "new-hash", calling.Id, s_now,
            Draft(), CancellationToken.None);

        Assert.Equal(1, revoked);
        Assert.Equal("new-hash", (await Store.GetUserAsync(tenant.Id, owner.Id, CancellationToken.None))!.PasswordHash);
        Assert.Null((await Store.GetKeyAsync(tenant.Id, calling.Id, CancellationToken.None))!.RevokedAt);
        Assert.Equal(s_now, (await Store.GetKeyAsync(tenant.Id, otherLogin.Id, CancellationToken.None))!.RevokedAt);
        Assert.Null((await Store.GetKeyAsync(tenant.Id, named.Id, CancellationToken.None))!.RevokedAt);
    }

    [Fact]
    public async Task UpdateTenantPolicy_ChangeOrRefusal_WrittenOnlyWhenChanged()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);

        var changed = await Store.UpdateTenantPolicyAsync(tenant.Id,
            p => p with { MaxKeyLifetimeSeconds = 7200, AllowNonExpiringKeys = true }, Draft(), CancellationToken.None);
        var refused = await Store.UpdateTenantPolicyAsync(tenant.Id, _ => null, Draft(), CancellationToken.None);
        var missing = await Store.UpdateTenantPolicyAsync("ten_nothing", p => p, Draft(), CancellationToken.None);

        Assert.Equal(7200, changed!.Policy.MaxKeyLifetimeSeconds);
        var stored = (await Store.GetTenantAsync(tenant.Id, CancellationToken.None))!.Policy;
        Assert.Equal(7200, stored.MaxKeyLifetimeSeconds);
        Assert.True(stored.AllowNonExpiringKeys);
        Assert.Equal(TenantPolicy.Default.LoginKeyLifetimeSeconds, stored.LoginKeyLifetimeSeconds);
        Assert.Equal(7200, refused!.Policy.MaxKeyLifetimeSeconds);
        Assert.Null(missing);
    }

    [Fact]
    public async Task UpdateTenantPolicy_RateLimits_StoredAndReadBack()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var fresh = (await Store.GetTenantAsync(tenant.Id, CancellationToken.None))!.Policy;

        await Store.UpdateTenantPolicyAsync(tenant.Id, p => p with
        {
            DefaultKeyRateLimit = new KeyRateLimit(100, 60), TenantRateLimit = new KeyRateLimit(1000, 10),
        }, Draft(), CancellationToken.None);

        var stored = (await Store.GetTenantAsync(tenant.Id, CancellationToken.None))!.Policy;
        Assert.Null(fresh.DefaultKeyRateLimit);
        Assert.Null(fresh.TenantRateLimit);
        Assert.Equal(new KeyRateLimit(100, 60), stored.DefaultKeyRateLimit);
        Assert.Equal(new KeyRateLimit(1000, 10), stored.TenantRateLimit);
    }

    protected static User NewUser(Tenant tenant, string username, string role) =>
        new(Ids.NewUserId(), tenant.Id, username, role, UserStates.Active, "hash-" + username, false, s_now);
}
