using LyzerHub.Server.Audit;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Storage;

public abstract partial class ControlStoreContractTests
{
    [Fact]
    public async Task AppendAudit_ThreeEntries_ChainedFromGenesisAndVerified()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);

        await Store.AppendAuditAsync(
            [Draft(AuditActions.LoginFailed, tenant.Id), Draft(AuditActions.PermissionDenied, tenant.Id)],
            CancellationToken.None);
        await Store.AppendAuditAsync([Draft(AuditActions.RateLimitExceeded, tenant.Id)], CancellationToken.None);
        var chain = await ReadChainAsync(tenant.Id);

        Assert.Equal([1L, 2L, 3L], chain.Select(e => e.Seq));
        Assert.Equal(AuditChains.Genesis, chain[0].PreviousHash);
        Assert.Equal(chain[0].Hash, chain[1].PreviousHash);
        Assert.Equal(chain[1].Hash, chain[2].PreviousHash);
        Assert.All(chain, e => Assert.True(s_auditKey.IsSealed(e)));
        Assert.Equal(new AuditVerification(true, 3, null, chain[2].Hash),
            await new AuditVerifier(Store, s_auditKey).VerifyAsync(tenant.Id, CancellationToken.None));
    }

    [Fact]
    public async Task StateChanges_WithDrafts_EntryWrittenOnlyWhenTheChangeHappens()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner,
            [Draft(AuditActions.TenantCreated), Draft(AuditActions.UserCreated, tenant.Id)], CancellationToken.None);
        var (key, plain) = NewKey(tenant, owner, s_now);
        await Store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)), Draft(AuditActions.KeyCreated, tenant.Id),
            CancellationToken.None);

        await Store.RevokeKeyAsync(tenant.Id, key.Id, s_now, Draft(AuditActions.KeyRevoked, tenant.Id),
            CancellationToken.None);
        await Store.RevokeKeyAsync(tenant.Id, key.Id, s_now, Draft(AuditActions.KeyRevoked, tenant.Id),
            CancellationToken.None);
        // Refused changes: the username is taken, and alice is the last owner.
        await Store.CreateUserAsync(NewUser(tenant, "ALICE", "member"), Draft(AuditActions.UserCreated, tenant.Id),
            CancellationToken.None);
        await Store.ChangeUserRoleAsync(tenant.Id, owner.Id, owner.Role, "member",
            Draft(AuditActions.UserRoleChanged, tenant.Id), CancellationToken.None);

        Assert.Equal([AuditActions.UserCreated, AuditActions.KeyCreated, AuditActions.KeyRevoked],
            (await ReadChainAsync(tenant.Id)).Select(e => e.Action));
        Assert.Equal([AuditActions.TenantCreated], (await ReadChainAsync(AuditChains.Hub)).Select(e => e.Action));
    }

    [Fact]
    public async Task AppendAudit_TwentyConcurrentWriters_OneUnbrokenChain()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            Store.AppendAuditAsync([Draft(AuditActions.PermissionDenied, tenant.Id)], CancellationToken.None))));

        var result = await new AuditVerifier(Store, s_auditKey).VerifyAsync(tenant.Id, CancellationToken.None);
        Assert.True(result.Ok, result.FirstBad);
        Assert.Equal(20, result.Entries);
    }

    [Fact]
    public async Task ListAudit_FiltersAndPaging_NewestFirstOnlyTheTenantsEntries()
    {
        var (acme, alice) = NewTenant("acme", "alice");
        var (globex, bob) = NewTenant("globex", "bob");
        await Store.CreateTenantAsync(acme, alice, [], CancellationToken.None);
        await Store.CreateTenantAsync(globex, bob, [], CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await Store.AppendAuditAsync([
                Draft(AuditActions.KeyRevoked, acme.Id, $"key_{i}") with { At = s_now.AddMinutes(i) },
                Draft(AuditActions.KeyRevoked, globex.Id, $"key_{i}"),
            ], CancellationToken.None);
        }

        var first = await Store.ListAuditAsync(acme.Id, new AuditQuery(), 2, null, CancellationToken.None);
        var second = await Store.ListAuditAsync(acme.Id, new AuditQuery(), 2, first.NextCursor,
            CancellationToken.None);
        var third = await Store.ListAuditAsync(acme.Id, new AuditQuery(), 2, second.NextCursor,
            CancellationToken.None);
        var byTarget = await Store.ListAuditAsync(acme.Id, new AuditQuery(Target: "key_3"), 10, null,
            CancellationToken.None);
        var byTime = await Store.ListAuditAsync(acme.Id,
            new AuditQuery(From: s_now.AddMinutes(1), To: s_now.AddMinutes(3)), 10, null, CancellationToken.None);

        Assert.Equal(["key_4", "key_3", "key_2", "key_1", "key_0"],
            first.Items.Concat(second.Items).Concat(third.Items).Select(e => e.Target));
        Assert.Null(third.NextCursor);
        Assert.All(first.Items.Concat(second.Items).Concat(third.Items), e => Assert.Equal(acme.Id, e.TenantId));
        Assert.Equal("key_3", Assert.Single(byTarget.Items).Target);
        Assert.Equal(["key_2", "key_1"], byTime.Items.Select(e => e.Target));
    }

    [Fact]
    public async Task RemoveAuditBefore_OldEntries_CheckpointKeepsTheChainVerifiable()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        await Store.AppendAuditAsync([
            Draft(AuditActions.LoginFailed, tenant.Id) with { At = s_now.AddDays(-400) },
            Draft(AuditActions.LoginFailed, tenant.Id) with { At = s_now.AddDays(-380) },
            Draft(AuditActions.LoginFailed, tenant.Id) with { At = s_now.AddDays(-10) },
        ], CancellationToken.None);
        var before = await ReadChainAsync(tenant.Id);

        var removed = await Store.RemoveAuditBeforeAsync(s_now.AddDays(-365), s_now, CancellationToken.None);
        var after = await ReadChainAsync(tenant.Id);

        Assert.Equal(2, removed);
        Assert.Equal([3L, 4L], after.Select(e => e.Seq));
        var checkpoint = after[^1];
        Assert.Equal(AuditActions.Checkpoint, checkpoint.Action);
        Assert.Equal(before[1].Hash, checkpoint.ContinuesFrom);
        var result = await new AuditVerifier(Store, s_auditKey).VerifyAsync(tenant.Id, CancellationToken.None);
        Assert.True(result.Ok, result.FirstBad);
        Assert.Equal(checkpoint.Hash, result.Head);
    }

    protected static AuditDraft Draft(string action = AuditActions.KeyCreated, string? tenantId = null,
        string? target = null) =>
        new(s_now, tenantId, AuditActor.SystemActor, null, action, target, "127.0.0.1", "tests", "req-1",
            AuditOutcomes.Success);

    private async Task<List<AuditEntry>> ReadChainAsync(string chain)
    {
        var entries = new List<AuditEntry>();
        await foreach (var entry in Store.ReadAuditChainAsync(chain, CancellationToken.None)) entries.Add(entry);
        return entries;
    }
}
