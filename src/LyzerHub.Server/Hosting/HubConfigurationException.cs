namespace LyzerHub.Server.Hosting;

/// <summary>A setting that stops the start; its message is the one line the operator sees.</summary>
public sealed class HubConfigurationException(string message) : Exception(message);
