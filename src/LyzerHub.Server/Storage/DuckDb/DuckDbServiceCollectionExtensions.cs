using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LyzerHub.Server.Storage.DuckDb;

public static class DuckDbServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DuckDbEventStore"/> as the singleton <see cref="IEventStore"/>. Needs
    /// <c>IOptions&lt;HubOptions&gt;</c> and logging; whoever starts the hub calls
    /// <see cref="IEventStore.InitializeAsync"/> once before serving.
    /// </summary>
    public static IServiceCollection AddDuckDbEventStore(this IServiceCollection services)
    {
        services.TryAddSingleton<DuckDbEventStore>();
        services.TryAddSingleton<IEventStore>(provider => provider.GetRequiredService<DuckDbEventStore>());
        return services;
    }
}
