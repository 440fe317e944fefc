#define _GNU_SOURCE
#include "CKeelLinux.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>

int ckeel_errno(void) { return errno; }
void ckeel_set_errno(int value) { errno = value; }

int ckeel_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int ckeel_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int ckeel_epoll_wait(int epfd, unsigned int *events, unsigned long long *data, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i] = evs[i].events;
        data[i] = evs[i].data.u64;
    }
    return n;
}

int ckeel_eventfd(int nonblocking) { return eventfd(0, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0)); }

int ckeel_timerfd(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int ckeel_timerfd_set(int fd, long long initial_ns, long long interval_ns) {
    struct itimerspec spec;
    spec.it_value.tv_sec = initial_ns / 1000000000LL;
    spec.it_value.tv_nsec = initial_ns % 1000000000LL;
    spec.it_interval.tv_sec = interval_ns / 1000000000LL;
    spec.it_interval.tv_nsec = interval_ns % 1000000000LL;
    return timerfd_settime(fd, 0, &spec, NULL);
}

int ckeel_tcp_socket(int family) {
    return socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int ckeel_set_reuseaddr(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}

int ckeel_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int numeric_address(int family, const char *host, int port, struct sockaddr_storage *out, socklen_t *len) {
    struct addrinfo hints, *found = NULL;
    char service[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family == 6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &found) != 0 || found == NULL) return -2;
    memcpy(out, found->ai_addr, found->ai_addrlen);
    *len = found->ai_addrlen;
    freeaddrinfo(found);
    return 0;
}

int ckeel_bind(int fd, int family, const char *host, int port) {
    struct sockaddr_storage address;
    socklen_t length;
    if (numeric_address(family, host, port, &address, &length) != 0) return -2;
    return bind(fd, (struct sockaddr *)&address, length);
}

int ckeel_connect(int fd, int family, const char *host, int port) {
    struct sockaddr_storage address;
    socklen_t length;
    if (numeric_address(family, host, port, &address, &length) != 0) return -2;
    return connect(fd, (struct sockaddr *)&address, length);
}

int ckeel_socket_error(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0) return -1;
    return value;
}

int ckeel_listen(int fd, int backlog) { return listen(fd, backlog); }

int ckeel_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int ckeel_peer_address(int fd, char *buffer, int capacity) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    char host[INET6_ADDRSTRLEN];
    if (capacity <= 0 || getpeername(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
        if (inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host) == NULL) return -1;
        return snprintf(buffer, (size_t)capacity, "%s:%d", host, ntohs(v4->sin_port));
    }
    if (address.ss_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
        if (inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host) == NULL) return -1;
        return snprintf(buffer, (size_t)capacity, "[%s]:%d", host, ntohs(v6->sin6_port));
    }
    return -1;
}

int ckeel_local_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}

int ckeel_shutdown_write(int fd) { return shutdown(fd, SHUT_WR); }

int ckeel_address_family(const char *host) {
    unsigned char buffer[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, buffer) == 1) return 4;
    if (inet_pton(AF_INET6, host, buffer) == 1) return 6;
    return 0;
}

long ckeel_send(int fd, const void *bytes, unsigned long count) { return send(fd, bytes, count, MSG_NOSIGNAL); }

long ckeel_sendv(int fd, const struct iovec *vectors, int count) {
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = (struct iovec *)vectors;
    message.msg_iovlen = (size_t)count;
    return sendmsg(fd, &message, MSG_NOSIGNAL);
}

int ckeel_open_read(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }
int ckeel_open_write(const char *path) { return open(path, O_WRONLY | O_CLOEXEC); }
int ckeel_open_append(const char *path) { return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }
int ckeel_open_create(const char *path) { return open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644); }
int ckeel_open_truncate(const char *path) { return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }
int ckeel_open_directory(const char *path) { return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
int ckeel_mkdir(const char *path) { return mkdir(path, 0700); }
int ckeel_fdatasync(int fd) { return fdatasync(fd); }
int ckeel_fsync(int fd) { return fsync(fd); }

int ckeel_sync_file_range(int fd, long long offset, long long count, int wait) {
    unsigned int flags = SYNC_FILE_RANGE_WRITE;
    if (wait) flags |= SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER;
    return sync_file_range(fd, offset, count, flags);
}

int ckeel_fadvise_dontneed(int fd, long long offset, long long count) {
    return posix_fadvise(fd, offset, count, POSIX_FADV_DONTNEED);
}

int ckeel_set_thread_nice(int nice) { return setpriority(PRIO_PROCESS, (id_t)gettid(), nice); }

long long ckeel_file_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    return (long long)st.st_size;
}

long ckeel_pread(int fd, void *bytes, unsigned long count, long long offset) {
    return pread(fd, bytes, count, (off_t)offset);
}

long ckeel_pwrite(int fd, const void *bytes, unsigned long count, long long offset) {
    return pwrite(fd, bytes, count, (off_t)offset);
}

int ckeel_ftruncate(int fd, long long size) { return ftruncate(fd, (off_t)size); }

const char *ckeel_readdir_name(DIR *dir) {
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) return NULL;
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        return entry->d_name;
    }
}

void ckeel_name_thread(const char *name) {
    char buffer[16];
    strncpy(buffer, name, 15);
    buffer[15] = 0;
    pthread_setname_np(pthread_self(), buffer);
}

int ckeel_bcrypt_hash(const void *password, unsigned long length, int cost, char *hash, int capacity) {
    if (cost < 4 || cost > 31 || capacity < 61 || (length > 0 && memchr(password, 0, length) != NULL)) {
        errno = EINVAL;
        return -1;
    }
    char *text = malloc(length + 1);
    struct crypt_data *data = calloc(1, sizeof(struct crypt_data));  /* About 32 KiB: not on the stack. */
    if (text == NULL || data == NULL) {
        free(text);
        free(data);
        errno = ENOMEM;
        return -1;
    }
    if (length > 0) memcpy(text, password, length);
    text[length] = 0;
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    int result = -1;
    errno = 0;
    if (crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, salt, sizeof salt) != NULL) {
        const char *out = crypt_r(text, salt, data);
        /* crypt_r signals failure with NULL or a string starting with '*'. */
        if (out != NULL && out[0] == '$' && strlen(out) < (size_t)capacity) {
            strcpy(hash, out);
            result = (int)strlen(out);
        } else if (errno == 0) {
            errno = EINVAL;
        }
    }
    explicit_bzero(text, length);
    free(text);
    explicit_bzero(data, sizeof(struct crypt_data));
    free(data);
    return result;
}

int ckeel_bcrypt_check(const void *password, unsigned long length, const char *hash) {
    if (length > 0 && memchr(password, 0, length) != NULL) return 0;  /* ckeel_bcrypt_hash never made it. */
    char *text = malloc(length + 1);
    struct crypt_data *data = calloc(1, sizeof(struct crypt_data));
    if (text == NULL || data == NULL) {
        free(text);
        free(data);
        errno = ENOMEM;
        return -1;
    }
    if (length > 0) memcpy(text, password, length);
    text[length] = 0;
    errno = 0;
    const char *out = crypt_r(text, hash, data);
    int result = -1;
    if (out != NULL && out[0] == '$') {
        size_t size = strlen(hash);
        unsigned char differ = (unsigned char)(strlen(out) != size);
        for (size_t k = 0; k < size && out[k] != 0; k++) differ |= (unsigned char)(out[k] ^ hash[k]);
        result = differ == 0 ? 1 : 0;
    } else if (errno == 0) {
        errno = EINVAL;
    }
    explicit_bzero(text, length);
    free(text);
    explicit_bzero(data, sizeof(struct crypt_data));
    free(data);
    return result;
}
