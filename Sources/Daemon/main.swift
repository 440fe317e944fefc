import Core
import Glibc
import RealNet

// The daemon lands with issue #5; until then `keel` says so and exits non-zero.
var message = "keel: the daemon is not built yet (issue #5); try `swift run -c release keelsim run --seed 1`\n"
message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
exit(1)
