#!/usr/bin/env python3
"""Convert Porcupine's public test data (github.com/anishathalye/porcupine, test_data/, MIT licence) into
Keel's history format (shared/HISTORY-FORMAT.md), for Tests/LinearizabilityTests/Fixtures/porcupine.

usage: porcupine-convert.py PORCUPINE_TEST_DATA_DIR OUT_DIR

Reads test_data/jepsen/etcd_NNN.log (Jepsen etcd logs from github.com/ahorn/linearizability-checker: lines
`INFO  jepsen.util - <process> :<type> :<f> <value>`, one register) and test_data/kv/*.txt (Clojure maps
`{:process 0, :type :invoke, :f :get, :key "6", :value nil}` with get/put/append on string keys), and
writes OUT_DIR/etcd_NNN.jsonl and OUT_DIR/kv-<name>.jsonl, one event a line, `time` = the line's index.

Meaning, matched to how Porcupine's own tests read these files (porcupine_test.go):
- etcd: read/write/cas on the key "x", values are integers (written as strings), `nil` is an absent key.
  `:fail :read :timed-out` becomes a `fail` read (Porcupine lets it return anything, so it constrains
  nothing; the process goes on issuing operations, so `info` would break the format's process rule).
  `:info :write|:cas :timed-out` becomes `info` with the invocation's value. `:fail :cas [a b]` becomes a
  `fail` cas. Porcupine instead keeps it as a cas whose compare was false (the register was not `a` at
  some point in its interval); Keel's format says only that it did not take effect (Keel's clients
  also report `fail` for a cas refused before it ran). Even so Keel's checker gives Porcupine's verdict
  on all 102 non-empty logs (PorcupineDataTests); etcd_095.log is empty and skipped.
- kv: get/put/append become read/write/append. Porcupine's model starts every key at "" and a get
  returns ""; in Keel's a key is absent (read null) until written, and an append to an absent key
  appends to "". The two agree when no put or append writes "", which the converter checks, so a get
  of "" becomes a read of null.
A process that invokes again after an `info` is given a fresh id (Jepsen does this itself; the
converter checks it never has to).
"""
import json
import os
import re
import sys

ETCD = re.compile(r'^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$')
KV = re.compile(r'^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), '
                r':key "(.*?)", :value (nil|"(.*)")\}$')


def fail(path, number, message):
    sys.exit(f'{path}:{number}: {message}')


class Writer:
    """Collects events, checks each completion pairs with an invocation, and writes JSON Lines."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self.open = {}  # process -> (f, key, value) of its invocation in flight
        self.retired = set()

    def event(self, number, process, type_, f, key, value):
        if type_ == 'invoke':
            if process in self.open or process in self.retired:
                fail(self.path, number, f'process {process} invokes while busy or after an info')
            self.open[process] = (f, key, value)
        else:
            if process not in self.open:
                fail(self.path, number, f'{type_} for process {process} with nothing in flight')
            invoked_f, key, invoked_value = self.open.pop(process)
            if invoked_f != f:
                fail(self.path, number, f'{type_} {f} completes an invocation of {invoked_f}')
            if f != 'read' and f != 'delete':
                value = invoked_value
            if type_ == 'info':
                self.retired.add(process)
        record = {'process': process, 'type': type_, 'f': f, 'key': key, 'value': value, 'time': len(self.lines)}
        self.lines.append(json.dumps(record, separators=(',', ':')))

    def write(self, out):
        with open(out, 'w') as file:
            file.write('\n'.join(self.lines) + '\n')


def etcd(path, out):
    writer = Writer(path)
    with open(path) as file:
        for number, line in enumerate(file, 1):
            match = ETCD.match(line)
            if not match:
                if 'jepsen.util' in line:
                    fail(path, number, 'unrecognised Jepsen line')
                continue
            process, type_, f, raw = int(match[1]), match[2], match[3], match[4]
            if f == 'read':
                if type_ == 'fail' and raw == ':timed-out':
                    value = None
                elif type_ == 'invoke' and raw == 'nil':
                    value = None
                elif type_ == 'ok':
                    value = None if raw == 'nil' else str(int(raw))
                else:
                    fail(path, number, f'unexpected read {type_} {raw}')
            elif type_ == 'info':
                if raw != ':timed-out':
                    fail(path, number, f'unexpected info value {raw}')
                value = None  # the writer copies the invocation's value
            elif f == 'write':
                value = str(int(raw))
            else:
                pair = re.fullmatch(r'\[(\d+)\s+(\d+)\]', raw)
                if not pair:
                    fail(path, number, f'unexpected cas value {raw}')
                value = [str(int(pair[1])), str(int(pair[2]))]
            writer.event(number, process, type_, f, 'x', value)
    if not writer.lines:
        return False
    writer.write(out)
    return True


def kv(path, out):
    writer = Writer(path)
    functions = {'get': 'read', 'put': 'write', 'append': 'append'}
    with open(path) as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            match = KV.match(line.rstrip('\n'))
            if not match:
                fail(path, number, 'unrecognised line')
            process, type_, f, key = int(match[1]), match[2], functions[match[3]], match[4]
            if '\\' in key or (match[6] or '').find('\\') >= 0:
                fail(path, number, 'escapes in strings are not handled')
            value = None if match[5] == 'nil' else match[6]
            if f == 'read':
                if type_ == 'invoke':
                    value = None
                elif type_ == 'ok':
                    value = None if value == '' else value
            elif type_ == 'invoke' and value in (None, ''):
                fail(path, number, f'{f} of an empty value: Porcupine\'s "" and Keel\'s null would differ')
            writer.event(number, process, type_, f, key, value)
    writer.write(out)
    return True


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    count = 0
    for name in sorted(os.listdir(os.path.join(source, 'jepsen'))):
        if name.endswith('.log'):
            count += etcd(os.path.join(source, 'jepsen', name), os.path.join(target, name[:-4] + '.jsonl'))
    for name in sorted(os.listdir(os.path.join(source, 'kv'))):
        if name.endswith('.txt'):
            count += kv(os.path.join(source, 'kv', name), os.path.join(target, 'kv-' + name[:-4] + '.jsonl'))
    print(f'{count} histories written to {target}')


if __name__ == '__main__':
    main()
