import Glibc

// keelctl: etcdctl's command line over gRPC (or keel's JSON gateway). Parsing and dispatch only; commands live in
// one file per group (KVCommands.swift, LeaseCommands.swift, ...).
let status = runKeelctl(Array(CommandLine.arguments.dropFirst()))
Out.flush()  // Help and other paths that return early print through the buffer too.
exit(status)
