using LyzerHub.Server.Events;

namespace LyzerHub.Server.Tests.Events;

public sealed class EventBodyBudgetTests
{
    [Fact]
    public void TryGrowTo_WithinBudget_Reserves()
    {
        var budget = new EventBodyBudget(100);
        using var lease = budget.CreateLease();

        var grown = lease.TryGrowTo(60);

        Assert.True(grown);
        Assert.Equal(60, budget.InUse);
    }

    [Fact]
    public void TryGrowTo_PastBudgetAcrossLeases_RefusedAndKeepsEarlierReservation()
    {
        var budget = new EventBodyBudget(100);
        using var first = budget.CreateLease();
        using var second = budget.CreateLease();
        first.TryGrowTo(60);
        second.TryGrowTo(30);

        var grown = second.TryGrowTo(50);

        Assert.False(grown);
        Assert.Equal(30, second.Reserved);
        Assert.Equal(90, budget.InUse);
    }

    [Fact]
    public void Dispose_Lease_ReturnsEverythingItReserved()
    {
        var budget = new EventBodyBudget(100);
        var lease = budget.CreateLease();
        lease.TryGrowTo(40);
        lease.TryGrowTo(80);

        lease.Dispose();

        Assert.Equal(0, budget.InUse);
        using var next = budget.CreateLease();
        Assert.True(next.TryGrowTo(100));
    }
}
