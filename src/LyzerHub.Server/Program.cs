using LyzerHub.Server.Hosting;

if (args is ["reset-admin-password", .. var rest])
    return await AdminPasswordReset.RunAsync(rest, Console.Out, Console.Error);

WebApplication app;
try
{
    app = HubApp.Build(args);
}
catch (HubConfigurationException e)
{
    await Console.Error.WriteLineAsync($"Lyzer Hub cannot start: {e.Message}");
    return 1;
}

await app.RunAsync();
return 0;
