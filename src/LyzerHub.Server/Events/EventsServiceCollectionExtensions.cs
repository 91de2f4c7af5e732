using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Events;

public static class EventsServiceCollectionExtensions
{
    /// <summary>
    /// Registers event ingestion: the parser, the budget of body bytes in flight, the group-commit writer (also
    /// as a hosted service, so the host starts it and drains it on stop) and <see cref="EventsOptions"/> bound to
    /// <c>Hub:Events</c>. Needs an <see cref="Storage.IEventStore"/> registered elsewhere; adds
    /// <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is already registered.
    /// </summary>
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddOptions<EventsOptions>()
            .BindConfiguration(EventsOptions.SectionName)
            .Validate(o => o.QueueCapacity > 0, "Hub:Events:QueueCapacity must be positive.")
            .Validate(o => o.MaxEventsPerAppend >= EventBatchParser.MaxEvents,
                "Hub:Events:MaxEventsPerAppend must be at least 5000, the most events one request holds.")
            .Validate(o => o.RetryAfterSeconds > 0, "Hub:Events:RetryAfterSeconds must be positive.")
            .Validate(o => o.MaxBodyBytesInFlight >= EventBatchParser.MaxBodyBytes + 1,
                "Hub:Events:MaxBodyBytesInFlight must hold at least one 10 MiB body.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EventBatchParser>();
        services.TryAddSingleton(provider =>
            new EventBodyBudget(provider.GetRequiredService<IOptions<EventsOptions>>()));
        services.TryAddSingleton<EventWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<EventWriter>());
        return services;
    }
}
