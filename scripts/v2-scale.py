#!/usr/bin/env python3
"""v2 at scale (issue 15): a 1,000-waiter long-poll fan-out, and TTL expiry of 100k keys.

Starts `keel --enable-v2` on free ports with a temporary data dir, then:
  1. fan-out: WAITERS concurrent `GET /v2/keys/fan?wait=true&waitIndex=N` long polls, ROUNDS rounds of
     `PUT /v2/keys/fan value=rR`; every waiter is re-armed each round with waitIndex = last index + 1, and must
     get exactly its round's event (action set, modifiedIndex, value). Prints events/s and p50/p99 latency
     (from the PUT's send to each complete answer).
  2. TTL: KEYS keys `/ttl/kNNNNNN` with ttl=2 over CONNS connections (prints the set rate) while a chaser keeps
     a window of recursive waits on /ttl at consecutive waitIndexes (each must answer with exactly the event of
     its index); samples keel's VmRSS before / at the peak / after every key expired; checks the store index
     advanced by exactly 2 x KEYS (one set and one expire per key, nothing else), that /ttl is empty, and
     walks the history's tail (the last 1000 events) for consecutive expire events.
With ttl=2 keys expire while later ones are still being set (a debug build sets ~1,300/s), so few are live at
once; `--ttl 90` holds all of them live before the first expires, for a meaningful RSS peak.
Run explicitly (not part of the default tests):
  scripts/v2-scale.py [--keel .build/debug/keel] [--waiters 1000] [--rounds 5] [--keys 100000]
Exit status 0 when every check passed, 1 otherwise.
"""
import argparse, json, os, resource, select, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.parse

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return -1
    return -1


class Conn:
    """One keep-alive HTTP/1.1 client connection with at most one request in flight, parsed incrementally
    (Content-Length or chunked bodies). `on_head(conn)` fires when the status line and headers arrived,
    `on_done(conn, status, headers, body)` when the whole answer did."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.out = b""
        self.buf = b""
        self.busy = False
        self.user = None

    def send(self, method, path, body=None, on_head=None, on_done=None):
        assert not self.busy
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
        data = b""
        if body is not None:
            data = body.encode()
            head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(data)
        self.out += (head + "\r\n").encode() + data
        self.busy, self.on_head, self.on_done = True, on_head, on_done
        self.status, self.headers, self.body, self.state = None, None, b"", "head"
        self.sent_at = None
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            self.out = self.out[n:]
        if self.sent_at is None:
            self.sent_at = time.monotonic()

    def readable(self):
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data
        self.parse()

    def parse(self):
        while True:
            if self.state == "head":
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    return
                lines = self.buf[:i].decode("latin-1").split("\r\n")
                self.buf = self.buf[i + 4:]
                self.status = int(lines[0].split(" ")[1])
                self.headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    self.headers[k.strip().lower()] = v.strip()
                if self.on_head:
                    self.on_head(self)
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    self.state = "chunk"
                else:
                    self.remaining = int(self.headers.get("content-length", "0"))
                    self.state = "fixed"
            elif self.state == "fixed":
                take = self.buf[:self.remaining]
                self.body += take
                self.buf = self.buf[len(take):]
                self.remaining -= len(take)
                if self.remaining:
                    return
                return self.finish()
            elif self.state == "chunk":
                i = self.buf.find(b"\r\n")
                if i < 0:
                    return
                size = int(self.buf[:i].split(b";")[0], 16)
                if size == 0:
                    j = self.buf.find(b"\r\n\r\n", i)  # trailer section (empty) ends with CRLF CRLF
                    if self.buf[i:i + 4] == b"\r\n\r\n":
                        self.buf = self.buf[i + 4:]
                    elif j >= 0:
                        self.buf = self.buf[j + 4:]
                    else:
                        return
                    return self.finish()
                if len(self.buf) < i + 2 + size + 2:
                    return
                self.body += self.buf[i + 2:i + 2 + size]
                self.buf = self.buf[i + 2 + size + 2:]

    def finish(self):
        self.busy = False
        self.state = "idle"
        cb = self.on_done
        self.on_done = None
        if cb:
            cb(self, self.status, self.headers, self.body)


class Loop:
    def __init__(self):
        self.poll = select.epoll()
        self.conns = {}

    def add(self, c):
        self.conns[c.sock.fileno()] = c
        self.poll.register(c.sock.fileno(), select.EPOLLIN)

    def run_once(self, timeout=0.05):
        for c in self.conns.values():
            if c.out:
                c.flush()
        for fd, ev in self.poll.poll(timeout):
            self.conns[fd].readable()

    def close(self):
        for c in self.conns.values():
            c.sock.close()
        self.poll.close()
        self.conns = {}


def request(port, method, path, body=None, timeout=30):
    """One blocking request on a fresh connection: (status, headers, parsed JSON or None)."""
    loop = Loop()
    c = Conn(port)
    loop.add(c)
    got = {}
    c.send(method, path, body, on_done=lambda c, s, h, b: got.update(s=s, h=h, b=b))
    deadline = time.monotonic() + timeout
    while "s" not in got:
        if time.monotonic() > deadline:
            loop.close()
            raise TimeoutError("%s %s: no answer in %ss" % (method, path, timeout))
        loop.run_once()
    loop.close()
    try:
        js = json.loads(got["b"]) if got["b"] else None
    except ValueError:
        js = None
    return got["s"], got["h"], js


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def fanout(port, waiters, rounds):
    print("== fan-out: %d waiters x %d rounds" % (waiters, rounds), flush=True)
    _, h, _ = request(port, "PUT", "/v2/keys/fan", "value=r0")
    last = int(h["x-etcd-index"])
    loop = Loop()
    conns = []
    for _ in range(waiters):
        c = Conn(port)
        loop.add(c)
        conns.append(c)
    latencies, delivered, total_time = [], 0, 0.0
    for r in range(1, rounds + 1):
        want_index, value = last + 1, "r%d" % r
        heads, answers = [0], {}

        def on_head(c):
            heads[0] += 1

        def on_done(c, status, headers, body, r=r):
            answers[id(c)] = (time.monotonic(), status, body)

        for c in conns:
            c.send("GET", "/v2/keys/fan?wait=true&waitIndex=%d" % want_index, on_head=on_head, on_done=on_done)
        # keel (unlike etcd) sends a wait's head only with its event, so parking cannot be observed: send every
        # wait, then give the server a moment to read them. waitIndex makes a late-parked wait still exact.
        deadline = time.monotonic() + 60
        while any(c.out for c in conns) and time.monotonic() < deadline:
            loop.run_once(0.01)
        settle = time.monotonic() + 0.5 + waiters / 2000.0
        while time.monotonic() < settle:
            loop.run_once(0.01)
        if answers:
            fail("round %d: %d waiters answered before the PUT" % (r, len(answers)))
        # The PUT on its own connection, sent through the same loop so its send time is exact.
        put = Conn(port)
        loop.add(put)
        put_done = {}
        put.send("PUT", "/v2/keys/fan", "value=" + value,
                 on_done=lambda c, s, h, b: put_done.update(s=s, h=h, b=b))
        sent = put.sent_at or time.monotonic()
        deadline = time.monotonic() + 60
        while (len(answers) < waiters or not put_done) and time.monotonic() < deadline:
            loop.run_once()
        took = max([t for t, _, _ in answers.values()] or [time.monotonic()]) - sent
        total_time += took
        if not put_done:
            fail("round %d: the PUT got no answer" % r)
            break
        got_index = int(put_done["h"]["x-etcd-index"])
        if got_index != want_index:
            fail("round %d: PUT landed at index %d, expected %d (another writer?)" % (r, got_index, want_index))
        if len(answers) < waiters:
            fail("round %d: %d of %d waiters never answered (missed event)" % (r, waiters - len(answers), waiters))
        bad = 0
        for t, status, body in answers.values():
            try:
                ev = json.loads(body)
                ok = (status == 200 and ev["action"] == "set" and ev["node"]["modifiedIndex"] == got_index
                      and ev["node"]["value"] == value and ev["node"]["key"] == "/fan")
            except (ValueError, KeyError, TypeError):
                ok = False
            if ok:
                delivered += 1
                latencies.append(t - sent)
            else:
                bad += 1
                if bad <= 3:
                    fail("round %d: wrong answer %d %r" % (r, status, body[:300]))
        if bad:
            fail("round %d: %d wrong answers" % (r, bad))
        print("  round %d: index %d, %d/%d waiters got it in %.1f ms" % (
            r, got_index, len(answers) - bad, waiters, took * 1000), flush=True)
        loop.poll.unregister(put.sock.fileno())
        del loop.conns[put.sock.fileno()]
        put.sock.close()
        last = got_index
    loop.close()
    ms = [x * 1000 for x in latencies]
    print("fan-out: %d events delivered to %d waiters over %d rounds; %.0f events/s (delivery time only); "
          "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
              delivered, waiters, rounds, delivered / total_time if total_time else 0,
              pct(ms, 0.5), pct(ms, 0.99), max(ms or [0])), flush=True)
    ok = delivered == waiters * rounds
    print("fan-out verdict: %s" % ("every waiter got exactly its round's event" if ok else "EVENTS MISSED/WRONG"))
    return last


def ttl_phase(port, pid, keys, conns_n, window, ttl):
    print("== TTL: %d keys with ttl=%d over %d connections; chaser window %d" % (keys, ttl, conns_n, window),
          flush=True)
    _, h, _ = request(port, "PUT", "/v2/keys/ttl/anchor", "value=a")   # creates /ttl as a permanent dir
    start = int(h["x-etcd-index"])
    request(port, "DELETE", "/v2/keys/ttl/anchor")
    start += 1
    time.sleep(1.0)
    rss_before = rss_kb(pid)
    rss_peak = rss_before
    loop = Loop()
    setters = [Conn(port) for _ in range(conns_n)]
    chasers = [Conn(port) for _ in range(window)]
    for c in setters + chasers:
        loop.add(c)
    state = {"next_key": 0, "done": 0, "errors": 0, "last_set": 0.0, "first_set": None,
             "next_wait": start + 1, "seen": {}, "cleared": 0, "chase_bad": 0}
    end_index = start + 2 * keys

    def set_next(c):
        k = state["next_key"]
        if k >= keys:
            return
        state["next_key"] += 1
        if state["first_set"] is None:
            state["first_set"] = time.monotonic()
        c.send("PUT", "/v2/keys/ttl/k%06d" % k, "value=v%d&ttl=%d" % (k, ttl), on_done=set_done)

    def set_done(c, status, headers, body):
        state["done"] += 1
        state["last_set"] = time.monotonic()
        if status not in (200, 201):
            state["errors"] += 1
            if state["errors"] <= 3:
                fail("set answered %d %r" % (status, body[:200]))
        set_next(c)

    def chase_next(c):
        i = state["next_wait"]
        if i > end_index:
            return
        state["next_wait"] += 1
        c.user = i
        c.send("GET", "/v2/keys/ttl?wait=true&recursive=true&waitIndex=%d" % i, on_done=chase_done)

    def chase_done(c, status, headers, body):
        i = c.user
        try:
            ev = json.loads(body)
        except ValueError:
            ev = {}
        if status == 400 and ev.get("errorCode") == 401:
            state["cleared"] += 1   # fell out of the 1000-event history: not a keel fault, counted
        elif status == 200:
            idx = ev.get("node", {}).get("modifiedIndex")
            if idx != i or ev.get("action") not in ("set", "expire"):
                state["chase_bad"] += 1
                if state["chase_bad"] <= 3:
                    fail("wait at waitIndex %d answered %r" % (i, body[:300]))
            else:
                state["seen"][i] = (ev["action"], ev["node"]["key"])
        else:
            state["chase_bad"] += 1
            if state["chase_bad"] <= 3:
                fail("wait at waitIndex %d answered %d %r" % (i, status, body[:300]))
        chase_next(c)

    for c in chasers:
        chase_next(c)
    t0 = time.monotonic()
    for c in setters:
        set_next(c)
    last_rss = 0.0
    while state["done"] < keys:
        loop.run_once()
        now = time.monotonic()
        if now - last_rss > 0.2:
            rss_peak = max(rss_peak, rss_kb(pid))
            last_rss = now
        if now - t0 > 900:
            fail("sets did not finish in 900 s (%d of %d)" % (state["done"], keys))
            break
    set_secs = state["last_set"] - t0
    print("set: %d keys in %.2f s = %.0f sets/s (%d errors)" % (state["done"], set_secs,
          state["done"] / set_secs if set_secs else 0, state["errors"]), flush=True)
    # Every key expires `ttl` s after its set (whole seconds, rounded as etcd does); wait until /ttl is empty.
    expiry_due = state["last_set"] + ttl
    gone_at = None
    deadline = time.monotonic() + ttl + 120
    next_check = 0.0
    while time.monotonic() < deadline:
        loop.run_once()
        now = time.monotonic()
        if now - last_rss > 0.2:
            rss_peak = max(rss_peak, rss_kb(pid))
            last_rss = now
        if now >= next_check and now >= expiry_due - 0.5:
            next_check = now + 0.1
            s, h, js = request(port, "GET", "/v2/keys/ttl?recursive=true")
            left = len((js or {}).get("node", {}).get("nodes", []) or [])
            if s == 200 and left == 0:
                gone_at = time.monotonic()
                break
    if gone_at is None:
        fail("keys still present %d s after the last set's expiry" % 120)
    else:
        print("expiry: every key gone %.2f s after the last one's %d s TTL ran out (%.2f s after the last set)" % (
            gone_at - expiry_due, ttl, gone_at - state["last_set"]), flush=True)
    # Let the chasers drain, then account.
    deadline = time.monotonic() + 30
    while any(c.busy for c in chasers) and state["next_wait"] <= end_index + 1 and time.monotonic() < deadline:
        loop.run_once()
        if state["next_wait"] > end_index and all(not c.busy or c.user > end_index for c in chasers):
            break
    loop.close()
    _, h, _ = request(port, "GET", "/v2/keys/ttl")
    final_index = int(h["x-etcd-index"])
    if final_index != end_index:
        fail("store index %d after expiry, expected %d = %d + 2 x %d (a set or expire missing/duplicated)" % (
            final_index, end_index, start, keys))
    else:
        print("index: advanced by exactly %d (one set + one expire per key)" % (2 * keys))
    # The history's tail: the last 1000 events, read by waitIndex one by one, all expire, consecutive, distinct.
    tail_from = max(start + 1, final_index - 999)
    tail_keys, tail_bad = set(), 0
    c = Conn(port)
    tl = Loop()
    tl.add(c)
    for i in range(tail_from, final_index + 1):
        got = {}
        c.send("GET", "/v2/keys/ttl?wait=true&recursive=true&waitIndex=%d" % i,
               on_done=lambda c, s, h, b: got.update(s=s, b=b))
        while "s" not in got:
            tl.run_once()
        ev = json.loads(got["b"])
        if got["s"] != 200 or ev.get("action") != "expire" or ev["node"]["modifiedIndex"] != i \
                or ev["node"]["key"] in tail_keys:
            tail_bad += 1
            if tail_bad <= 3:
                fail("history tail at %d: %d %r" % (i, got["s"], got["b"][:300]))
        tail_keys.add(ev.get("node", {}).get("key"))
    tl.close()
    print("history tail: %d events %d..%d, %d bad" % (final_index - tail_from + 1, tail_from, final_index,
                                                     tail_bad))
    seen = state["seen"]
    sets_seen = sum(1 for a, _ in seen.values() if a == "set")
    exp_seen = sum(1 for a, _ in seen.values() if a == "expire")
    exp_keys = set(k for a, k in seen.values() if a == "expire")
    if len(exp_keys) != exp_seen:
        fail("chaser: %d expire events but only %d distinct keys (duplicate expire)" % (exp_seen, len(exp_keys)))
    print("chaser: %d of %d indexes answered with exactly their event (%d set, %d expire), %d fell out of the "
          "1000-event history (401), %d wrong" % (len(seen), 2 * keys, sets_seen, exp_seen, state["cleared"],
                                                 state["chase_bad"]), flush=True)
    time.sleep(3.0)
    rss_after = rss_kb(pid)
    limit = 1.5 * rss_before + 50 * 1024
    bounded = rss_after <= limit
    print("RSS: before %.1f MB, peak %.1f MB, after %.1f MB (limit 1.5 x before + 50 MB = %.1f MB): %s" % (
        rss_before / 1024, rss_peak / 1024, rss_after / 1024, limit / 1024,
        "memory bounded" if bounded else "MEMORY NOT BOUNDED"), flush=True)
    if not bounded:
        fail("RSS after expiry %.1f MB over %.1f MB" % (rss_after / 1024, limit / 1024))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keel", default=".build/debug/keel")
    ap.add_argument("--waiters", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--ttl", type=int, default=2)
    ap.add_argument("--conns", type=int, default=32, help="connections setting keys")
    ap.add_argument("--window", type=int, default=200, help="chaser waits kept in flight")
    ap.add_argument("--keel-arg", action="append", default=[], help="extra keel flag (repeatable)")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.waiters + args.conns + args.window + 200
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(need, 4096), hard), hard))
    tmp = tempfile.mkdtemp(prefix="keel-v2-scale.")
    cport, pport = free_port(), free_port()
    cmd = [args.keel, "--enable-v2", "--data-dir", os.path.join(tmp, "data"),
           "--listen-client-urls", "http://127.0.0.1:%d" % cport,
           "--advertise-client-urls", "http://127.0.0.1:%d" % cport,
           "--listen-peer-urls", "http://127.0.0.1:%d" % pport,
           "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % pport,
           "--initial-cluster", "default=http://127.0.0.1:%d" % pport] + args.keel_arg
    log = open(os.path.join(tmp, "keel.log"), "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    print("keel: %s (pid %d), client port %d, data %s" % (args.keel, proc.pid, cport, tmp), flush=True)
    try:
        deadline = time.monotonic() + 30
        s = None
        while True:
            try:
                s, _, _ = request(cport, "GET", "/v2/keys/", timeout=2)
                if s == 200:
                    break
            except (OSError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("keel did not serve GET /v2/keys/ (last status %s); log in %s" % (s, tmp))
            time.sleep(0.2)
        fanout(cport, args.waiters, args.rounds)
        ttl_phase(cport, proc.pid, args.keys, args.conns, args.window, args.ttl)
        if proc.poll() is not None:
            fail("keel exited with %d" % proc.returncode)
    except Exception as e:  # report, then still stop keel
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    if FAILS:
        print("RESULT: %d problem(s); keel log kept in %s" % (len(FAILS), tmp))
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("RESULT: all checks passed")


if __name__ == "__main__":
    main()
