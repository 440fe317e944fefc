#!/usr/bin/env python3
"""Compare two sets of captured transcripts (etcd's in shared/etcd-api/transcripts and keel's from
capture.sh run with ETCD=keel): per request, the status line and body, masking what changes from run to
run (cluster/member ids, lease ids the server picks, terms, raft indexes, sizes, dates, hashes).

usage: compare-transcripts.py ETCD_DIR KEEL_DIR [--show N]
"""
import re, sys, os

MASKS = [
    (r'"(cluster_id|member_id|raft_term|memberID|leader|ID|raftIndex|raftTerm|raftAppliedIndex|dbSize|dbSizeInUse|hash|token)":"?[0-9a-zA-Z.]+"?', r'"\1":<X>'),
    (r'"(TTL)":"[0-9]+"', r'"\1":<TTL>'),
    (r'"leases":\[[^\]]*\]', '"leases":<L>'),
    (r'"blob":"[^"]*"', '"blob":<B>'),
    (r'"remaining_bytes":"[0-9]+"', '"remaining_bytes":<R>'),
    (r'[0-9a-f]{16}', '<HEX>'),
    (r'"version":"[^"]*"', '"version":<V>'),
]

def blocks(path):
    text = open(path, encoding='utf-8', errors='replace').read()
    parts = re.split(r'^### (\d+)\. ', text, flags=re.M)
    out = {}
    for k in range(1, len(parts) - 1, 2):
        number, body = int(parts[k]), parts[k + 1]
        title = body.split('\n', 1)[0]
        resp = [l for l in body.split('\n') if l.startswith('< HTTP/')]
        status = resp[0].split(' ')[2] if resp else '?'
        after = body.split('\n\n', 1)[1] if '\n\n' in body else ''
        out[number] = (title, status, mask(after.strip()))
    return out

def mask(s):
    for pattern, repl in MASKS:
        s = re.sub(pattern, repl, s)
    return s

def main():
    etcd_dir, keel_dir = sys.argv[1], sys.argv[2]
    only = sys.argv[sys.argv.index('--only') + 1].split(',') if '--only' in sys.argv else None
    show = int(sys.argv[sys.argv.index('--show') + 1]) if '--show' in sys.argv else 0
    total = same = same_status = 0
    shown = 0
    for name in sorted(os.listdir(etcd_dir)):
        if not re.match(r'\d\d-.*\.txt$', name) or not os.path.exists(os.path.join(keel_dir, name)):
            continue
        if only and name[:2] not in only:
            continue
        a, b = blocks(os.path.join(etcd_dir, name)), blocks(os.path.join(keel_dir, name))
        n = s = st = 0
        for number, (title, status, body) in sorted(a.items()):
            n += 1
            kb = b.get(number)
            if kb and kb[1] == status:
                st += 1
                if kb[2] == body:
                    s += 1
                    continue
            if shown < show:
                shown += 1
                print(f'--- {name} #{number} {title}\n  etcd {status}: {body[:260]}\n  keel {kb[1] if kb else "-"}: {kb[2][:260] if kb else "-"}')
        print(f'{name:24} {n:4} requests  {st:4} same status  {s:4} same body (masked)')
        total, same, same_status = total + n, same + s, same_status + st
    print(f'{"all":24} {total:4} requests  {same_status:4} same status  {same:4} same body (masked)')

main()
