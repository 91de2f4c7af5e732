using LyzerHub.Server.Events;
using LyzerHub.Server.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Tests.Events;

public sealed class EventsServiceCollectionExtensionsTests
{
    [Fact]
    public void AddEvents_WithStoreAndConfiguration_ResolvesOneWriterThatIsAlsoTheHostedService()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:Events:QueueCapacity"] = "7" })
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IEventStore>(new InMemoryEventStore())
            .AddLogging()
            .AddEvents();

        using var provider = services.BuildServiceProvider(validateScopes: true);

        var writer = provider.GetRequiredService<EventWriter>();
        Assert.Same(writer, Assert.Single(provider.GetServices<IHostedService>()));
        Assert.NotNull(provider.GetRequiredService<EventBatchParser>());
        Assert.NotNull(provider.GetRequiredService<EventBodyBudget>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.Equal(7, provider.GetRequiredService<IOptions<EventsOptions>>().Value.QueueCapacity);
    }

    [Fact]
    public void AddEvents_InvalidOptions_FailsValidation()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:Events:QueueCapacity"] = "0" })
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddEvents();

        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(
            () => provider.GetRequiredService<IOptions<EventsOptions>>().Value);
        Assert.Contains("Hub:Events:QueueCapacity", failure.Message, StringComparison.Ordinal);
    }
}
