using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Events;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Storage;

/// <summary>
/// What every <see cref="IEventStore"/> must do (PRODUCT.md §6), run unchanged on each implementation. Expected
/// values come from LINQ over the same in-memory events, never from the store under test.
/// </summary>
public abstract class EventStoreContractTests : IAsyncLifetime
{
    protected const string Tenant = "t1";
    private static readonly DateTimeOffset s_day = new(2024, 3, 4, 0, 0, 0, TimeSpan.Zero);
    private readonly List<IEventStore> _stores = [];

    // Every await is time-boxed, so a hung store fails the test instead of the run.
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    protected EventStoreContractTests()
    {
        DataDir = Path.Combine(Path.GetTempPath(), "lyzer-store-" + Guid.NewGuid().ToString("N"));
    }

    protected string DataDir { get; }

    protected CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        _timeout.Dispose();
    }

    /// <summary>Creates a store keeping its data in <paramref name="dataDir"/> (not yet initialized).</summary>
    protected abstract IEventStore CreateStore(string dataDir);

    protected async Task<IEventStore> OpenAsync()
    {
        var store = CreateStore(DataDir);
        _stores.Add(store);
        await store.InitializeAsync(Token);
        return store;
    }

    protected static StoredEvent Event(
        string id, DateTimeOffset ts, string properties = "{}", string name = "e", string? distinctId = null,
        string tenant = Tenant) =>
        new(tenant, id, name, ts, distinctId, properties, ts);

    protected static MetricQuery Query(
        Measure measure = Measure.Count,
        string? property = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        MetricInterval interval = MetricInterval.Day,
        string zone = "UTC",
        IReadOnlyList<MetricFilter>? filters = null,
        string? breakdown = null,
        int limit = 10,
        string name = "e") =>
        new(name, measure, property, from ?? s_day, to ?? s_day.AddDays(3), interval,
            TimeZoneInfo.FindSystemTimeZoneById(zone), filters ?? [], breakdown, limit);

    protected static MetricFilter Filter(string property, FilterOp op, string valueJson) =>
        new(property, op, JsonDocument.Parse(valueJson).RootElement.Clone());

    [Fact]
    public async Task Append_DuplicateWithinList_FirstWins()
    {
        var store = await OpenAsync();

        var duplicates = await store.AppendAsync(
            [Event("a", s_day, """{"v":1}"""), Event("a", s_day, """{"v":2}"""), Event("b", s_day)], Token);
        var sum = await store.QueryAsync(Tenant, Query(Measure.Sum, "v", interval: MetricInterval.None), Token);

        Assert.Equal([false, true, false], duplicates);
        Assert.Equal(1, sum.Series[0].Total);
    }

    [Fact]
    public async Task Append_DuplicateAcrossCallsAndReopen_IsReported()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Event("a", s_day)], Token);

        var second = await store.AppendAsync([Event("a", s_day), Event("b", s_day)], Token);
        await store.DisposeAsync();
        _stores.Remove(store);
        var reopened = await OpenAsync();
        var third = await reopened.AppendAsync([Event("b", s_day), Event("c", s_day)], Token);
        var count = await reopened.QueryAsync(Tenant, Query(interval: MetricInterval.None), Token);

        Assert.Equal([true, false], second);
        Assert.Equal([true, false], third);
        Assert.Equal(3, count.Series[0].Total);
    }

    [Fact]
    public async Task Append_SameIdOtherTenant_IsNotDuplicate()
    {
        var store = await OpenAsync();

        var duplicates = await store.AppendAsync([Event("a", s_day), Event("a", s_day, tenant: "t2")], Token);
        var other = await store.QueryAsync("t2", Query(interval: MetricInterval.None), Token);

        Assert.Equal([false, false], duplicates);
        Assert.Equal(1, other.Series[0].Total);
    }

    [Fact]
    public async Task Append_InvalidEventInList_StoresNothing()
    {
        var store = await OpenAsync();

        await Assert.ThrowsAnyAsync<Exception>(() =>
            store.AppendAsync([Event("a", s_day), Event("b", s_day, properties: "{not json")], Token));
        var count = await store.QueryAsync(Tenant, Query(interval: MetricInterval.None), Token);
        var again = await store.AppendAsync([Event("a", s_day)], Token);

        Assert.Equal(0, count.Series[0].Total);
        Assert.Equal([false], again);
    }

    [Fact]
    public async Task Append_DuplicatesAcrossThreeAppends_FirstWriteWins()
    {
        var store = await OpenAsync();

        var first = await store.AppendAsync([Event("a", s_day, """{"v":1}""")], Token);
        var second = await store.AppendAsync([Event("a", s_day, """{"v":2}"""), Event("b", s_day, """{"v":10}""")],
            Token);
        var third = await store.AppendAsync(
            [Event("b", s_day, """{"v":20}"""), Event("a", s_day, """{"v":3}"""), Event("c", s_day, """{"v":100}""")],
            Token);
        var sum = await store.QueryAsync(Tenant, Query(Measure.Sum, "v", interval: MetricInterval.None), Token);

        Assert.Equal([false], first);
        Assert.Equal([true, false], second);
        Assert.Equal([true, true, false], third);
        Assert.Equal(111, sum.Series[0].Total);
    }

    [Fact]
    public async Task Append_WithinListDuplicatesMixedWithStored_EachReportedOnce()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Event("a", s_day, """{"v":1}"""), Event("a", s_day, tenant: "t2")], Token);

        var duplicates = await store.AppendAsync(
            [Event("x", s_day, """{"v":10}"""), Event("a", s_day, """{"v":2}"""), Event("x", s_day, """{"v":20}"""),
             Event("y", s_day, """{"v":100}"""), Event("a", s_day, """{"v":3}"""), Event("y", s_day, tenant: "t2")],
            Token);
        var sum = await store.QueryAsync(Tenant, Query(Measure.Sum, "v", interval: MetricInterval.None), Token);
        var other = await store.QueryAsync("t2", Query(interval: MetricInterval.None), Token);

        Assert.Equal([false, true, true, false, true, false], duplicates);
        Assert.Equal(111, sum.Series[0].Total);
        Assert.Equal(2, other.Series[0].Total);
    }

    [Fact]
    public async Task ListEvents_EqualTimestamps_NewestFirstThenIdDescendingOrdinal()
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            [Event("b", s_day), Event("B", s_day), Event("a", s_day.AddSeconds(1)), Event("c", s_day),
             Event("aa", s_day), Event("z", s_day.AddSeconds(-1))], Token);

        var ids = await ListIdsAsync(store, new EventListQuery(null, null, null, null, null));

        Assert.Equal(["a", "c", "b", "aa", "B", "z"], ids);
    }

    [Fact]
    public async Task ListEvents_PagedThroughEqualTimestamps_EveryEventExactlyOnceInOrder()
    {
        var store = await OpenAsync();
        var events = Enumerable.Range(0, 37)
            .Select(i => Event($"e{i:D2}", s_day.AddMinutes(i % 4), """{"i":1}"""))
            .ToList();
        await store.AppendAsync(events, Token);
        var expected = events.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id, StringComparer.Ordinal)
            .Select(e => e.Id)
            .ToList();

        var served = new List<string>();
        EventPosition? after = null;
        while (true)
        {
            var page = await ListAsync(store, new EventListQuery(null, null, null, after, 5));
            served.AddRange(page.Select(e => e.Id));
            if (page.Count < 5) break;
            after = EventPosition.Of(page[^1]);
        }

        Assert.Equal(expected, served);
    }

    [Fact]
    public async Task ListEvents_EventsArrivingBetweenPages_DoNotDisturbThePositionReached()
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            Enumerable.Range(0, 6).Select(i => Event($"e{i}", s_day)).ToList(), Token);
        var first = await ListAsync(store, new EventListQuery(null, null, null, null, 3));

        // Newer events and an equal-timestamp one sorting before the cursor go to places already passed.
        await store.AppendAsync([Event("new", s_day.AddHours(1)), Event("e9", s_day), Event("e0a", s_day)], Token);
        var rest = await ListAsync(store, new EventListQuery(null, null, null, EventPosition.Of(first[^1]), 100));

        Assert.Equal(["e5", "e4", "e3"], first.Select(e => e.Id));
        Assert.Equal(["e2", "e1", "e0a", "e0"], rest.Select(e => e.Id));
    }

    [Fact]
    public async Task ListEvents_NameAndHalfOpenRange_FilterAndOtherTenantNeverAppears()
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            [Event("1", s_day, name: "x"), Event("2", s_day.AddHours(1), name: "x"), Event("3", s_day.AddHours(2)),
             Event("4", s_day.AddHours(2), name: "x"), Event("5", s_day.AddHours(1), name: "x", tenant: "t2")],
            Token);

        var ids = await ListIdsAsync(store, new EventListQuery("x", s_day.AddHours(1), s_day.AddHours(2), null, null));
        var all = await ListIdsAsync(store, new EventListQuery(null, null, null, null, null));

        Assert.Equal(["2"], ids);
        Assert.Equal(["4", "3", "2", "1"], all);
    }

    [Fact]
    public async Task ListEvents_StoredEvent_ComesBackWithItsFieldsInUtc()
    {
        var store = await OpenAsync();
        var ts = new DateTimeOffset(2024, 3, 4, 10, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234560);
        var received = s_day.AddDays(1);
        await store.AppendAsync(
            [new StoredEvent(Tenant, "a", "n", ts, "u1", """{"k":[1,{"z":"é"}],"a'b":null}""", received),
             new StoredEvent(Tenant, "b", "n", ts.AddDays(-1), null, "{}", received)], Token);

        var listed = await ListAsync(store, new EventListQuery(null, null, null, null, null));

        Assert.Equal(2, listed.Count);
        Assert.Equal(("a", "n", "u1"), (listed[0].Id, listed[0].Name, listed[0].DistinctId));
        Assert.Equal(ts, listed[0].Timestamp);
        Assert.Equal(TimeSpan.Zero, listed[0].Timestamp.Offset);
        Assert.Equal(received, listed[0].ReceivedAt);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"k":[1,{"z":"é"}],"a'b":null}"""),
            JsonNode.Parse(listed[0].PropertiesJson)));
        Assert.Null(listed[1].DistinctId);
    }

    [Fact]
    public async Task IsReady_AfterInitialize_IsTrue()
    {
        var store = await OpenAsync();

        Assert.True(await store.IsReadyAsync(Token));
    }

    [Fact]
    public async Task ListEventNames_SomeEvents_CountsAndLastSeenPerName()
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            [Event("1", s_day, name: "b"), Event("2", s_day.AddHours(5), name: "b"), Event("3", s_day, name: "a"),
             Event("4", s_day.AddDays(9), name: "a", tenant: "t2")], Token);

        var names = await store.ListEventNamesAsync(Tenant, Token);

        Assert.Equal(
            [new EventNameSummary("a", 1, s_day), new EventNameSummary("b", 2, s_day.AddHours(5))], names);
    }

    public static TheoryData<Measure> AllMeasures() =>
        [Measure.Count, Measure.Unique, Measure.Sum, Measure.Avg, Measure.Min, Measure.Max,
         Measure.P50, Measure.P90, Measure.P95, Measure.P99];

    [Theory]
    [MemberData(nameof(AllMeasures))]
    public async Task Query_EveryMeasure_MatchesIndependentComputation(Measure measure)
    {
        var store = await OpenAsync();
        var events = RandomEvents(600, seed: 7);
        await store.AppendAsync(events, Token);
        var property = measure == Measure.Count ? null : "n";

        var result = await store.QueryAsync(Tenant, Query(measure, property, interval: MetricInterval.Day), Token);

        var series = Assert.Single(result.Series);
        Assert.Null(series.Key);
        Assert.Equal(3, series.Points.Count);
        for (var day = 0; day < 3; day++)
        {
            var start = s_day.AddDays(day);
            Assert.Equal(start, series.Points[day].T);
            var inDay = events.Where(e => e.Timestamp >= start && e.Timestamp < start.AddDays(1)).ToList();
            AssertClose(Expected(measure, property, inDay), series.Points[day].Value);
        }

        AssertClose(Expected(measure, property, events), series.Total);
    }

    [Fact]
    public async Task Query_UniqueWithoutProperty_CountsDistinctNonNullDistinctIds()
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            [Event("1", s_day, distinctId: "u1"), Event("2", s_day, distinctId: "u1"), Event("3", s_day),
             Event("4", s_day.AddDays(1), distinctId: "u1"), Event("5", s_day.AddDays(1), distinctId: "u2")], Token);

        var result = await store.QueryAsync(Tenant, Query(Measure.Unique), Token);

        Assert.Equal([1d, 2d, 0d], result.Series[0].Points.Select(p => p.Value));
        Assert.Equal(2, result.Series[0].Total);
    }

    [Fact]
    public async Task Query_EmptyBuckets_ZeroForSumAndNullForAvg()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Event("1", s_day.AddDays(1), """{"n":4}""")], Token);

        var sum = await store.QueryAsync(Tenant, Query(Measure.Sum, "n"), Token);
        var avg = await store.QueryAsync(Tenant, Query(Measure.Avg, "n"), Token);
        var none = await store.QueryAsync(Tenant, Query(Measure.Avg, "n", name: "other"), Token);

        Assert.Equal([0d, 4d, 0d], sum.Series[0].Points.Select(p => p.Value));
        Assert.Equal([null, 4d, null], avg.Series[0].Points.Select(p => p.Value));
        Assert.Null(Assert.Single(none.Series).Total);
    }

    [Fact]
    public async Task Query_RangeIsHalfOpen_ExcludesTo()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Event("1", s_day), Event("2", s_day.AddDays(3)), Event("3", s_day.AddTicks(-10))],
            Token);

        var result = await store.QueryAsync(Tenant, Query(interval: MetricInterval.None), Token);

        var point = Assert.Single(result.Series[0].Points);
        Assert.Equal(s_day, point.T);
        Assert.Equal(1, point.Value);
    }

    [Fact]
    public async Task Query_NewYorkSpringForwardDay_Lasts23Hours()
    {
        var store = await OpenAsync();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var from = new DateTimeOffset(2024, 3, 10, 0, 0, 0, TimeSpan.FromHours(-5));
        var events = Enumerable.Range(0, 26).Select(h => Event($"h{h}", from.AddHours(h))).ToList();
        await store.AppendAsync(events, Token);

        var result = await store.QueryAsync(Tenant, Query(from: from, to: from.AddHours(26), zone: zone.Id), Token);

        var points = result.Series[0].Points;
        Assert.Equal(2, points.Count);
        Assert.Equal(from, points[0].T);
        Assert.Equal(TimeSpan.FromHours(-4), points[1].T.Offset);
        Assert.Equal(23, points[0].Value);
        Assert.Equal(3, points[1].Value);
    }

    [Fact]
    public async Task Query_BreakdownOverSpringForwardDay_EachSeriesBucketedByLocalDay()
    {
        // Uneven buckets (23-hour day) with a breakdown, and the same events over even UTC days: both must put
        // every event in the bucket whose [start, next start) holds it.
        var store = await OpenAsync();
        var from = new DateTimeOffset(2024, 3, 9, 0, 0, 0, TimeSpan.FromHours(-5));
        var events = Enumerable.Range(0, 72).Select(h =>
            Event($"h{h}", from.AddHours(h), h % 3 == 0 ? """{"p":"a"}""" : """{"p":"b"}""")).ToList();
        await store.AppendAsync(events, Token);

        foreach (var zone in new[] { "America/New_York", "UTC" })
        {
            var result = await store.QueryAsync(
                Tenant, Query(from: from, to: from.AddHours(72), zone: zone, breakdown: "p"), Token);

            foreach (var series in result.Series)
            {
                var key = series.Key!.Value.GetString();
                var starts = series.Points.Select(p => p.T).Append(DateTimeOffset.MaxValue).ToList();
                var expected = series.Points.Select((p, i) => (double?)events.Count(e =>
                    e.PropertiesJson.Contains($"\"{key}\"", StringComparison.Ordinal)
                    && e.Timestamp >= starts[i] && e.Timestamp < starts[i + 1]
                    && e.Timestamp < from.AddHours(72)));
                Assert.Equal(expected, series.Points.Select(p => p.Value));
            }

            Assert.Equal(["a", "b"], result.Series.Select(s => s.Key!.Value.GetString()).Order());
        }
    }

    [Fact]
    public async Task Query_NewYorkFallBackHourly_RepeatedHourGivesTwoPoints()
    {
        var store = await OpenAsync();
        var from = new DateTimeOffset(2024, 11, 3, 0, 0, 0, TimeSpan.FromHours(-4));
        var events = Enumerable.Range(0, 25 * 2).Select(i => Event($"m{i}", from.AddMinutes(30 * i))).ToList();
        await store.AppendAsync(events, Token);

        var hourly = await store.QueryAsync(
            Tenant, Query(from: from, to: from.AddHours(25), interval: MetricInterval.Hour, zone: "America/New_York"),
            Token);
        var daily = await store.QueryAsync(
            Tenant, Query(from: from, to: from.AddHours(25), zone: "America/New_York"), Token);

        var times = hourly.Series[0].Points.Select(p => p.T.ToString("HH:mmzzz", null)).ToList();
        Assert.Equal(25, times.Count);
        Assert.Equal(["00:00-04:00", "01:00-04:00", "01:00-05:00", "02:00-05:00"], times.Take(4));
        Assert.All(hourly.Series[0].Points, p => Assert.Equal(2, p.Value));
        Assert.Equal(50, Assert.Single(daily.Series[0].Points).Value);
    }

    [Fact]
    public async Task Query_HalfHourZoneDaily_BucketsStartAtLocalMidnight()
    {
        var store = await OpenAsync();
        var offset = TimeSpan.FromHours(5.5);
        var from = new DateTimeOffset(2024, 3, 4, 0, 0, 0, offset);
        await store.AppendAsync(
            [Event("1", from.AddMinutes(-1)), Event("2", from), Event("3", from.AddHours(23).AddMinutes(59)),
             Event("4", from.AddDays(1))], Token);

        var result = await store.QueryAsync(
            Tenant, Query(from: from.AddHours(-1), to: from.AddDays(2), zone: "Asia/Kolkata"), Token);

        Assert.Equal([from.AddDays(-1), from, from.AddDays(1)], result.Series[0].Points.Select(p => p.T));
        Assert.Equal([1d, 2d, 1d], result.Series[0].Points.Select(p => p.Value));
        Assert.All(result.Series[0].Points, p => Assert.Equal(offset, p.T.Offset));
    }

    [Fact]
    public async Task Query_WeekAndMonth_StartOnMondayAndFirstOfMonth()
    {
        var store = await OpenAsync();
        var from = new DateTimeOffset(2024, 1, 31, 12, 0, 0, TimeSpan.Zero);
        await store.AppendAsync([Event("1", from), Event("2", from.AddDays(5)), Event("3", from.AddDays(30))],
            Token);

        var weekly = await store.QueryAsync(
            Tenant, Query(from: from, to: from.AddDays(31), interval: MetricInterval.Week), Token);
        var monthly = await store.QueryAsync(
            Tenant, Query(from: from, to: from.AddDays(31), interval: MetricInterval.Month), Token);

        Assert.Equal(new DateTimeOffset(2024, 1, 29, 0, 0, 0, TimeSpan.Zero), weekly.Series[0].Points[0].T);
        Assert.Equal([1d, 1d, 0d, 0d, 1d], weekly.Series[0].Points.Select(p => p.Value));
        Assert.Equal(
            [new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
             new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero),
             new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero)],
            monthly.Series[0].Points.Select(p => p.T));
        Assert.Equal([1d, 1d, 1d], monthly.Series[0].Points.Select(p => p.Value));
    }

    [Theory]
    [InlineData(FilterOp.Eq, "404", new[] { "num404" })]
    [InlineData(FilterOp.Eq, "\"404\"", new[] { "str404" })]
    [InlineData(FilterOp.Neq, "404", new[] { "str404", "num500", "missing", "boolTrue", "strAbc" })]
    [InlineData(FilterOp.Gt, "404", new[] { "num500" })]
    [InlineData(FilterOp.Gte, "404", new[] { "num404", "num500" })]
    [InlineData(FilterOp.Lt, "500", new[] { "num404" })]
    [InlineData(FilterOp.Lte, "\"404\"", new[] { "str404" })]
    [InlineData(FilterOp.Gt, "\"ABC\"", new[] { "strAbc" })]
    [InlineData(FilterOp.Contains, "\"0\"", new[] { "str404" })]
    [InlineData(FilterOp.Contains, "\"b\"", new[] { "strAbc" })]
    [InlineData(FilterOp.Contains, "\"B\"", new string[0])]
    [InlineData(FilterOp.Eq, "true", new[] { "boolTrue" })]
    [InlineData(FilterOp.In, "[500, \"404\", true]", new[] { "str404", "num500", "boolTrue" })]
    [InlineData(FilterOp.In, "[]", new string[0])]
    public async Task Query_Filter_FollowsTypeRules(FilterOp op, string value, string[] expected)
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            [Event("num404", s_day, """{"s":404}"""), Event("str404", s_day, """{"s":"404"}"""),
             Event("num500", s_day, """{"s":500.0}"""), Event("missing", s_day, """{"t":404}"""),
             Event("boolTrue", s_day, """{"s":true}"""), Event("strAbc", s_day, """{"s":"abc"}""")], Token);

        var result = await store.QueryAsync(
            Tenant, Query(filters: [Filter("s", op, value)], interval: MetricInterval.None), Token);

        Assert.Equal(expected.Length, result.Series[0].Total);
    }

    [Fact]
    public async Task Query_TwoFilters_AreCombinedWithAnd()
    {
        var store = await OpenAsync();
        await store.AppendAsync(
            [Event("1", s_day, """{"a":1,"b":"x"}"""), Event("2", s_day, """{"a":1,"b":"y"}"""),
             Event("3", s_day, """{"a":2,"b":"x"}""")], Token);

        var result = await store.QueryAsync(
            Tenant,
            Query(filters: [Filter("a", FilterOp.Eq, "1"), Filter("b", FilterOp.Eq, "\"x\"")],
                interval: MetricInterval.None),
            Token);

        Assert.Equal(1, result.Series[0].Total);
    }

    [Fact]
    public async Task Query_Breakdown_TopByCountTiesByTypedValueAndNullSeriesExtra()
    {
        var store = await OpenAsync();
        var keys = new[] { "\"b\"", "\"a\"", "404", "true", "200", "\"z\"", "\"z\"", "\"z\"", "404", "1.5" };
        var events = keys.Select((k, i) => Event($"k{i}", s_day, $$"""{"p":{{k}}}""")).ToList();
        events.Add(Event("none1", s_day));
        events.Add(Event("none2", s_day.AddDays(1), """{"p":null}"""));
        await store.AppendAsync(events, Token);

        var result = await store.QueryAsync(Tenant, Query(breakdown: "p", limit: 5), Token);

        Assert.Equal(
            ["\"z\"", "404", "true", "1.5", "200", "null"],
            result.Series.Select(s => s.Key is { } key ? key.GetRawText() : "null"));
        Assert.Equal(JsonValueKind.Number, result.Series[1].Key!.Value.ValueKind);
        Assert.Equal([3d, 2d, 1d, 1d, 1d, 2d], result.Series.Select(s => s.Total));
        Assert.Equal([1d, 1d, 0d], result.Series[^1].Points.Select(p => p.Value));
    }

    [Fact]
    public async Task Query_BreakdownWithoutMissingValues_HasNoNullSeries()
    {
        var store = await OpenAsync();
        await store.AppendAsync([Event("1", s_day, """{"p":"x"}""")], Token);

        var result = await store.QueryAsync(Tenant, Query(breakdown: "p"), Token);
        var empty = await store.QueryAsync(Tenant, Query(breakdown: "p", name: "other"), Token);

        Assert.Equal("x", Assert.Single(result.Series).Key!.Value.GetString());
        Assert.Empty(empty.Series);
    }

    [Theory]
    [InlineData("a'b")]
    [InlineData("$.path")]
    [InlineData("a/b")]
    [InlineData("a~b")]
    [InlineData("a.b")]
    [InlineData("\"q\"")]
    [InlineData("")]
    [InlineData("x') OR 1=1 --")]
    [InlineData("~1")]
    public async Task Query_HostilePropertyName_AddressesExactlyThatProperty(string name)
    {
        var store = await OpenAsync();
        var decoys = new JsonObject { ["a"] = 100, ["b"] = 100, ["path"] = 100, ["q"] = 100, ["x"] = 100 };
        string Props(int value)
        {
            var props = decoys.DeepClone().AsObject();
            props[name] = value;
            return props.ToJsonString();
        }

        await store.AppendAsync([Event("1", s_day, Props(3)), Event("2", s_day, Props(4))], Token);

        var sum = await store.QueryAsync(Tenant, Query(Measure.Sum, name, interval: MetricInterval.None), Token);
        var filtered = await store.QueryAsync(
            Tenant, Query(filters: [Filter(name, FilterOp.Eq, "4")], interval: MetricInterval.None), Token);
        var broken = await store.QueryAsync(Tenant, Query(breakdown: name, interval: MetricInterval.None), Token);

        Assert.Equal(7, sum.Series[0].Total);
        Assert.Equal(1, filtered.Series[0].Total);
        Assert.Equal([3, 4], broken.Series.Select(s => s.Key!.Value.GetInt32()).Order());
    }

    private async Task<List<StoredEvent>> ListAsync(IEventStore store, EventListQuery query)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in store.ListEventsAsync(Tenant, query, Token)) events.Add(e);
        return events;
    }

    private async Task<List<string>> ListIdsAsync(IEventStore store, EventListQuery query) =>
        (await ListAsync(store, query)).Select(e => e.Id).ToList();

    private static List<StoredEvent> RandomEvents(int count, int seed)
    {
        var random = new Random(seed);
        var events = new List<StoredEvent>();
        for (var i = 0; i < count; i++)
        {
            var ts = s_day.AddSeconds(random.Next(0, 3 * 86_400));
            var props = new JsonObject();
            switch (random.Next(6))
            {
                case 0: break;
                case 1: props["n"] = "text"; break;
                case 2: props["n"] = random.Next(-50, 50) + 0.25; break;
                default: props["n"] = random.Next(0, 40); break;
            }

            var user = random.Next(4) == 0 ? null : "u" + random.Next(30);
            events.Add(Event("r" + i, ts, props.ToJsonString(), distinctId: user));
        }

        // Another event name and another tenant must never leak into the answer.
        events.Add(Event("other-name", s_day, """{"n":1000}""", name: "other"));
        events.Add(Event("other-tenant", s_day, """{"n":1000}""", tenant: "t2"));
        return events;
    }

    private static double? Expected(Measure measure, string? property, List<StoredEvent> all)
    {
        var events = all.Where(e => e.TenantId == Tenant && e.Name == "e").ToList();
        var values = new List<JsonElement>();
        foreach (var e in events)
        {
            var root = JsonDocument.Parse(e.PropertiesJson).RootElement;
            if (property is not null && root.TryGetProperty(property, out var value)) values.Add(value.Clone());
        }

        var numbers = values.Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetDouble())
            .Order()
            .ToList();
        return measure switch
        {
            Measure.Count => events.Count,
            Measure.Unique => values.Where(v => v.ValueKind != JsonValueKind.Null).Select(v => v.GetRawText())
                .Distinct().Count(),
            Measure.Sum => numbers.Sum(),
            Measure.Avg => numbers.Count == 0 ? null : numbers.Average(),
            Measure.Min => numbers.Count == 0 ? null : numbers.Min(),
            Measure.Max => numbers.Count == 0 ? null : numbers.Max(),
            Measure.P50 => Percentile(numbers, 0.5),
            Measure.P90 => Percentile(numbers, 0.9),
            Measure.P95 => Percentile(numbers, 0.95),
            _ => Percentile(numbers, 0.99),
        };
    }

    /// <summary>Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont.</summary>
    private static double? Percentile(List<double> sorted, double q)
    {
        if (sorted.Count == 0) return null;
        var position = q * (sorted.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    private static void AssertClose(double? expected, double? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected.Value, actual.Value, 1e-9);
    }
}
