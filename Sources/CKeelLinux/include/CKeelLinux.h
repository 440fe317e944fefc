// Thin, typed access to the Linux calls Glibc's Swift overlay does not expose well.
#ifndef CKEEL_LINUX_H
#define CKEEL_LINUX_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/// epoll_event is packed on x86_64; these keep Swift from touching its layout.
int ckeel_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long data);
int ckeel_epoll_wait(int epfd, unsigned int *events, unsigned long long *data, int max, int timeout_ms);
int ckeel_fdatasync(int fd);

#endif
