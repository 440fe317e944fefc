let clusterCommands: [Command] = []
let maintenanceCommands: [Command] = []
let snapshotCommands: [Command] = []
let concurrencyCommands: [Command] = []
