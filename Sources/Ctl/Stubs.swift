let watchCommand = Command(name: "watch", usage: "keelctl watch") { _ throws(CtlError) in }
let clusterCommands: [Command] = []
let maintenanceCommands: [Command] = []
let snapshotCommands: [Command] = []
let concurrencyCommands: [Command] = []
