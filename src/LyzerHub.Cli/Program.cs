using LyzerHub.Cli;

return await LyzerCli.RunAsync(args, CliEnvironment.FromProcess());
