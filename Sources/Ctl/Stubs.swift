let snapshotCommands: [Command] = []
let concurrencyCommands: [Command] = []
