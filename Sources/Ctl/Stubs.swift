let concurrencyCommands: [Command] = []
