// CKeelFuzz: what keelsim fuzz needs below Swift: keep the input under test where a crash or a hang can
// still write it out, with async-signal-safe calls only.
#ifndef CKEEL_FUZZ_H
#define CKEEL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/// Installs handlers for SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE and SIGABRT (Swift traps arrive as SIGILL or
/// SIGTRAP) that write the current input to `crash_path`, then die of the signal as before. Starts a watchdog
/// thread that writes it to `hang_path` and aborts when one input runs longer than `hang_seconds`.
/// Calling it again changes the paths (one watchdog thread serves every call).
/// Returns 0, or -1 if a handler or the thread could not be installed.
int keel_fuzz_arm(const char *crash_path, const char *hang_path, unsigned hang_seconds);

/// The input about to run (not copied: it must stay alive until the next call). Counts one run.
void keel_fuzz_begin(const uint8_t *bytes, size_t count);

/// The current input has finished.
void keel_fuzz_end(void);

#endif
