import Glibc

// keelctl: etcdctl's command line over gRPC (or keel's JSON gateway). Parsing and dispatch only; commands live in
// one file per group (KVCommands.swift, LeaseCommands.swift, ...).
exit(runKeelctl(Array(CommandLine.arguments.dropFirst())))
