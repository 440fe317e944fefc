#define _GNU_SOURCE
#include "CKeelFuzz.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static char crash_file[4096];
static char hang_file[4096];
static unsigned hang_limit;
static const uint8_t *volatile current_bytes;
static volatile size_t current_count;
static atomic_ulong runs;        // Incremented at each begin.
static atomic_int running;       // 1 between begin and end.

static void save(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    const uint8_t *bytes = current_bytes;
    size_t left = current_count;
    while (bytes && left > 0) {
        ssize_t n = write(fd, bytes, left);
        if (n <= 0) break;
        bytes += n;
        left -= (size_t)n;
    }
    close(fd);
}

static void on_fatal(int signal) {
    static const char note[] = "keelsim fuzz: crashed; the input is saved\n";
    save(crash_file);
    ssize_t ignored = write(2, note, sizeof note - 1);
    (void)ignored;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(signal, &dfl, NULL);
    raise(signal);
}

static void *watchdog(void *unused) {
    (void)unused;
    unsigned long seen = atomic_load(&runs);
    unsigned stuck = 0;
    for (;;) {
        sleep(1);
        unsigned long now = atomic_load(&runs);
        if (now != seen || !atomic_load(&running)) {
            seen = now;
            stuck = 0;
            continue;
        }
        if (++stuck >= hang_limit) {
            static const char note[] = "keelsim fuzz: an input ran too long; it is saved\n";
            save(hang_file);
            ssize_t ignored = write(2, note, sizeof note - 1);
            (void)ignored;
            _exit(3);
        }
    }
    return NULL;
}

int keel_fuzz_arm(const char *crash_path, const char *hang_path, unsigned hang_seconds) {
    strncpy(crash_file, crash_path, sizeof crash_file - 1);
    strncpy(hang_file, hang_path, sizeof hang_file - 1);
    hang_limit = hang_seconds > 0 ? hang_seconds : 10;
    static const int fatal[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
    for (size_t k = 0; k < sizeof fatal / sizeof fatal[0]; k++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_fatal;
        sigemptyset(&action.sa_mask);
        if (sigaction(fatal[k], &action, NULL) != 0) return -1;
    }
    static int watching;
    if (watching) return 0;
    pthread_t thread;
    if (pthread_create(&thread, NULL, watchdog, NULL) != 0) return -1;
    pthread_detach(thread);
    watching = 1;
    return 0;
}

void keel_fuzz_begin(const uint8_t *bytes, size_t count) {
    current_bytes = bytes;
    current_count = count;
    atomic_fetch_add(&runs, 1);
    atomic_store(&running, 1);
}

void keel_fuzz_end(void) { atomic_store(&running, 0); }
