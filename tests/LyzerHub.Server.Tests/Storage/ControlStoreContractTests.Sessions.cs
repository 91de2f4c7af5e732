using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Storage;

public abstract partial class ControlStoreContractTests
{
    [Fact]
    public async Task ConsoleSession_StoredThenRead_UntilItEndsOrIsDeleted()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var session = new ConsoleSession("hash-1", owner.Id, s_now, s_now.AddHours(8), [1, 2, 3]);

        await Store.InsertConsoleSessionAsync(session, Draft(), CancellationToken.None);
        var read = await Store.GetConsoleSessionAsync("hash-1", s_now.AddHours(1), CancellationToken.None);
        var ended = await Store.GetConsoleSessionAsync("hash-1", s_now.AddHours(8), CancellationToken.None);
        await Store.UpdateConsoleSessionAsync("hash-1", s_now.AddHours(9), [4], CancellationToken.None);
        var renewed = await Store.GetConsoleSessionAsync("hash-1", s_now.AddHours(8), CancellationToken.None);
        await Store.DeleteConsoleSessionAsync("hash-1", CancellationToken.None);

        Assert.Equal([1, 2, 3], read!.Ticket);
        Assert.Equal(owner.Id, read.UserId);
        Assert.Equal(s_now.AddHours(8), read.ExpiresAt);
        Assert.Null(ended);
        Assert.Equal([4], renewed!.Ticket);
        Assert.Null(await Store.GetConsoleSessionAsync("hash-1", s_now, CancellationToken.None));
    }

    [Fact]
    public async Task ConsoleSessions_UserOffboarded_AllOfTheirsEndedOthersKept()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        var carol = NewUser(tenant, "carol", "member");
        await Store.CreateUserAsync(carol, Draft(), CancellationToken.None);
        foreach (var (hash, user) in new[] { ("c1", carol), ("c2", carol), ("a1", owner) })
        {
            await Store.InsertConsoleSessionAsync(new ConsoleSession(hash, user.Id, s_now, s_now.AddHours(8), [0]),
                Draft(), CancellationToken.None);
        }

        await Store.OffboardUserAsync(tenant.Id, carol.Id, "member", s_now, Draft(), CancellationToken.None);

        Assert.Null(await Store.GetConsoleSessionAsync("c1", s_now, CancellationToken.None));
        Assert.Null(await Store.GetConsoleSessionAsync("c2", s_now, CancellationToken.None));
        Assert.NotNull(await Store.GetConsoleSessionAsync("a1", s_now, CancellationToken.None));
        Assert.Equal(1, await Store.DeleteUserConsoleSessionsAsync(owner.Id, CancellationToken.None));
    }

    [Fact]
    public async Task ConsoleSessions_ExpiredPurged_LiveOnesKept()
    {
        var (tenant, owner) = NewTenant("acme", "alice");
        await Store.CreateTenantAsync(tenant, owner, [], CancellationToken.None);
        await Store.InsertConsoleSessionAsync(new ConsoleSession("old", owner.Id, s_now, s_now.AddHours(1), [0]),
            Draft(), CancellationToken.None);
        await Store.InsertConsoleSessionAsync(new ConsoleSession("new", owner.Id, s_now, s_now.AddHours(9), [0]),
            Draft(), CancellationToken.None);

        var purged = await Store.DeleteExpiredConsoleSessionsAsync(s_now.AddHours(2), CancellationToken.None);

        Assert.Equal(1, purged);
        Assert.NotNull(await Store.GetConsoleSessionAsync("new", s_now.AddHours(2), CancellationToken.None));
        Assert.Equal(1, await Store.DeleteUserConsoleSessionsAsync(owner.Id, CancellationToken.None));
    }
}
