import Glibc

// keelctl: etcdctl's command line over keel's JSON gateway. Parsing and dispatch only; commands live in
// one file per group (KVCommands.swift, LeaseCommands.swift, ...).
exit(runKeelctl(Array(CommandLine.arguments.dropFirst())))
