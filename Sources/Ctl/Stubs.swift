let txnCommand = Command(name: "txn", usage: "keelctl txn [options]") { _ throws(CtlError) in }
let watchCommand = Command(name: "watch", usage: "keelctl watch") { _ throws(CtlError) in }
let leaseCommands: [Command] = []
let clusterCommands: [Command] = []
let maintenanceCommands: [Command] = []
let snapshotCommands: [Command] = []
let concurrencyCommands: [Command] = []
