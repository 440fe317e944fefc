// Thin, typed access to the Linux calls Glibc's Swift overlay does not expose well.
//
// Every function returns what its C call returns (-1 with errno set on failure) unless its comment says
// otherwise; retries, EAGAIN and errno mapping live in one place on the Swift side (RealNet/Syscall.swift).
#ifndef CKEEL_LINUX_H
#define CKEEL_LINUX_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

/// errno of the calling thread (Swift cannot read the `errno` macro portably).
int ckeel_errno(void);
/// Sets errno (tests and the retry loop's self-checks).
void ckeel_set_errno(int value);

/// epoll_create1(EPOLL_CLOEXEC).
int ckeel_epoll_create(void);
/// epoll_event is packed on x86_64; these keep Swift from touching its layout.
int ckeel_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long data);
int ckeel_epoll_wait(int epfd, unsigned int *events, unsigned long long *data, int max, int timeout_ms);

/// eventfd(0, EFD_CLOEXEC), plus EFD_NONBLOCK when `nonblocking` is not 0.
int ckeel_eventfd(int nonblocking);
/// timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC).
int ckeel_timerfd(void);
/// timerfd_settime: first expiry after `initial_ns`, then every `interval_ns` (0 = once; both 0 = disarm).
int ckeel_timerfd_set(int fd, long long initial_ns, long long interval_ns);

/// socket(AF_INET or AF_INET6 from `family` 4/6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0).
int ckeel_tcp_socket(int family);
/// setsockopt(SO_REUSEADDR, 1).
int ckeel_set_reuseaddr(int fd);
/// setsockopt(IPPROTO_TCP, TCP_NODELAY, 1).
int ckeel_set_nodelay(int fd);
/// bind() to a numeric IPv4 or IPv6 `host` and `port` (getaddrinfo with AI_NUMERICHOST | AI_PASSIVE).
/// Returns -2 if `host` is not a numeric address of `family`.
int ckeel_bind(int fd, int family, const char *host, int port);
/// connect() to a numeric address; -1 with EINPROGRESS is the normal non-blocking start. -2: bad host.
int ckeel_connect(int fd, int family, const char *host, int port);
/// getsockopt(SO_ERROR): the pending error of a non-blocking connect, 0 when it succeeded; -1 on failure.
int ckeel_socket_error(int fd);
/// listen().
int ckeel_listen(int fd, int backlog);
/// accept4(SOCK_NONBLOCK | SOCK_CLOEXEC), peer address discarded.
int ckeel_accept(int fd);
/// getsockname(): the bound port, or -1.
int ckeel_local_port(int fd);
/// getpeername() as "ip:port" ("[ip6]:port") into `buffer`; its length, or -1.
int ckeel_peer_address(int fd, char *buffer, int capacity);
/// shutdown(SHUT_WR).
int ckeel_shutdown_write(int fd);
/// Numeric family of `host`: 4, 6, or 0 when it is not a numeric IP address (inet_pton).
int ckeel_address_family(const char *host);

/// write() with MSG_NOSIGNAL semantics: send() on sockets so a closed peer gives EPIPE, not SIGPIPE.
long ckeel_send(int fd, const void *bytes, unsigned long count);
/// writev() through sendmsg(MSG_NOSIGNAL); at most IOV_MAX vectors.
long ckeel_sendv(int fd, const struct iovec *vectors, int count);

/// open(path, O_RDONLY | O_CLOEXEC).
int ckeel_open_read(const char *path);
/// open(path, O_WRONLY | O_CLOEXEC): an existing file, for ftruncate.
int ckeel_open_write(const char *path);
/// open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644).
int ckeel_open_append(const char *path);
/// open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644): written at explicit offsets (pwrite).
int ckeel_open_create(const char *path);
/// open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644).
int ckeel_open_truncate(const char *path);
/// open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC): a directory handle to fsync.
int ckeel_open_directory(const char *path);
/// mkdir(path, 0700).
int ckeel_mkdir(const char *path);
/// fdatasync().
int ckeel_fdatasync(int fd);
/// fsync().
int ckeel_fsync(int fd);
/// sync_file_range(): starts writeback of [offset, offset + count) (SYNC_FILE_RANGE_WRITE), and when `wait`
/// is not 0 also waits for it (WAIT_BEFORE | WRITE | WAIT_AFTER). Not a durability barrier.
int ckeel_sync_file_range(int fd, long long offset, long long count, int wait);
/// posix_fadvise(POSIX_FADV_DONTNEED): drop written, clean pages from the page cache. Returns the error
/// number (0 on success), as posix_fadvise does.
int ckeel_fadvise_dontneed(int fd, long long offset, long long count);
/// setpriority(PRIO_PROCESS, gettid(), nice): the calling thread only.
int ckeel_set_thread_nice(int nice);
/// fstat(): size in bytes, or -1.
long long ckeel_file_size(int fd);
/// pread() at `offset`.
long ckeel_pread(int fd, void *bytes, unsigned long count, long long offset);
/// pwrite() at `offset`.
long ckeel_pwrite(int fd, const void *bytes, unsigned long count, long long offset);
/// ftruncate().
int ckeel_ftruncate(int fd, long long size);
/// pthread_setname_np(pthread_self(), name): names the calling thread (first 15 bytes) for ps and gdb.
void ckeel_name_thread(const char *name);
/// readdir(): the next entry's name, skipping "." and "..", or NULL at the end (errno 0) or on failure.
const char *ckeel_readdir_name(DIR *dir);

/// bcrypt (`$2b$`) of the `length` bytes at `password` (NULL when 0) at `cost` (4...31), through libxcrypt's
/// crypt_gensalt_rn (salt from the OS's random source) and crypt_r. Like every bcrypt, it reads at most 72
/// bytes. Writes the NUL-terminated hash (60 characters) to `hash` (`capacity` bytes, at least 61) and returns
/// its length; -1 with errno set on failure (EINVAL: a NUL byte in the password, a bad cost, or no room).
int ckeel_bcrypt_hash(const void *password, unsigned long length, int cost, char *hash, int capacity);
/// Whether the `length` bytes at `password` (NULL when 0) hash to `hash` (NUL-terminated, from
/// ckeel_bcrypt_hash), compared in constant time: 1 yes, 0 no, -1 with errno set on failure.
int ckeel_bcrypt_check(const void *password, unsigned long length, const char *hash);

#endif
