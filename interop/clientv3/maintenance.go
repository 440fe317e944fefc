package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
)

// checkCluster: MemberList names every member once, with its name, peer and client URLs; the header's member
// is one of them; every endpoint is some member's client URL; the count is --members when given.
func checkCluster(e *env) error {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := e.cli.MemberList(ctx)
	if err != nil {
		return fmt.Errorf("member list: %v", err)
	}
	if resp.Header.ClusterId == 0 || len(resp.Members) == 0 {
		return fmt.Errorf("member list: cluster id %x, %d members", resp.Header.ClusterId, len(resp.Members))
	}
	if e.expectMembers > 0 && len(resp.Members) != e.expectMembers {
		return fmt.Errorf("member list: %d members, want %d", len(resp.Members), e.expectMembers)
	}
	seen := map[uint64]bool{}
	var clientHosts []string
	for _, m := range resp.Members {
		if m.ID == 0 || seen[m.ID] || m.Name == "" || len(m.PeerURLs) == 0 || len(m.ClientURLs) == 0 || m.IsLearner {
			return fmt.Errorf("member list: bad or repeated member %v", m)
		}
		seen[m.ID] = true
		for _, u := range m.ClientURLs {
			clientHosts = append(clientHosts, hostPort(u))
		}
	}
	if !seen[resp.Header.MemberId] {
		return fmt.Errorf("member list: header member %x is not listed", resp.Header.MemberId)
	}
	for _, ep := range e.endpoints {
		if !contains(clientHosts, hostPort(ep)) {
			return fmt.Errorf("endpoint %s is no member's client URL (%s)", ep, strings.Join(clientHosts, ", "))
		}
	}
	return nil
}

// hostPort strips the scheme from a client URL.
func hostPort(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return endpoint
}

// checkEndpoints: with a client per endpoint, a write through each member is read back (linearizably) through
// every member.
func checkEndpoints(e *env) error {
	clients := make([]*clientv3.Client, len(e.endpoints))
	defer func() {
		for _, c := range clients {
			if c != nil {
				closeWithin(c, e.callTimeout)
			}
		}
	}()
	for i, ep := range e.endpoints {
		c, err := e.connect([]string{ep})
		if err != nil {
			return fmt.Errorf("connect %s: %v", ep, err)
		}
		clients[i] = c
	}
	key := e.key("endpoints/k")
	for i, writer := range clients {
		value := fmt.Sprintf("via %s", e.endpoints[i])
		ctx, cancel := e.ctx()
		put, err := writer.Put(ctx, key, value)
		cancel()
		if err != nil {
			return fmt.Errorf("put via %s: %v", e.endpoints[i], err)
		}
		for j, reader := range clients {
			ctx, cancel := e.ctx()
			resp, err := reader.Get(ctx, key)
			cancel()
			if err != nil {
				return fmt.Errorf("get via %s: %v", e.endpoints[j], err)
			}
			if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != value || resp.Header.Revision < put.Header.Revision {
				return fmt.Errorf("get via %s after a put via %s: [%s] at revision %d, want %q at >= %d",
					e.endpoints[j], e.endpoints[i], describeKVs(resp.Kvs), resp.Header.Revision, value,
					put.Header.Revision)
			}
		}
	}
	if len(clients) == 1 {
		e.notef("one endpoint only: nothing read across members")
	}
	_, err := e.del(key)
	return err
}

// checkMaintenance: Status of every endpoint (version, db size, one leader, raft index and term, distinct
// member ids); HashKV of every endpoint at one revision agrees and is stable.
func checkMaintenance(e *env) error {
	var leader uint64
	members := map[uint64]string{}
	for _, ep := range e.endpoints {
		ctx, cancel := e.ctx()
		st, err := e.cli.Status(ctx, ep)
		cancel()
		if err != nil {
			return fmt.Errorf("status %s: %v", ep, err)
		}
		if st.Version == "" || st.DbSize <= 0 || st.Leader == 0 || st.RaftIndex == 0 || st.RaftTerm == 0 ||
			st.Header.MemberId == 0 || st.Header.ClusterId == 0 || st.Header.Revision == 0 {
			return fmt.Errorf("status %s: version %q db size %d leader %x raft index %d term %d member %x "+
				"cluster %x revision %d", ep, st.Version, st.DbSize, st.Leader, st.RaftIndex, st.RaftTerm,
				st.Header.MemberId, st.Header.ClusterId, st.Header.Revision)
		}
		if leader != 0 && st.Leader != leader {
			return fmt.Errorf("status %s: leader %x, another endpoint said %x", ep, st.Leader, leader)
		}
		leader = st.Leader
		if other, ok := members[st.Header.MemberId]; ok {
			return fmt.Errorf("status: %s and %s are both member %x", other, ep, st.Header.MemberId)
		}
		members[st.Header.MemberId] = ep
		if len(e.endpoints) == 1 && st.Leader != st.Header.MemberId {
			return fmt.Errorf("status %s: one member %x, but leader %x", ep, st.Header.MemberId, st.Leader)
		}
	}
	put, err := e.put(e.key("hashkv/k"), "v")
	if err != nil {
		return err
	}
	rev := put.Header.Revision
	var want uint32
	for i, ep := range e.endpoints {
		hash, err := e.hashKV(ep, rev)
		if err != nil {
			return err
		}
		if i > 0 && hash != want {
			return fmt.Errorf("hashkv at revision %d: %s says %x, %s says %x", rev, ep, hash, e.endpoints[0], want)
		}
		want = hash
	}
	again, err := e.hashKV(e.endpoints[0], rev)
	if err != nil {
		return err
	}
	if again != want {
		return fmt.Errorf("hashkv at revision %d changed from %x to %x", rev, want, again)
	}
	ctx, cancel := e.ctx()
	latest, err := e.cli.HashKV(ctx, e.endpoints[0], 0)
	cancel()
	if err != nil || latest.Header.Revision < rev {
		return fmt.Errorf("hashkv at the latest revision: %v (%v), want header revision >= %d", latest, err, rev)
	}
	_, err = e.del(e.key("hashkv/k"))
	return err
}

// hashKV asks one endpoint for the hash at rev, waiting while that member has not applied rev yet.
func (e *env) hashKV(ep string, rev int64) (uint32, error) {
	deadline := time.Now().Add(e.callTimeout)
	for {
		ctx, cancel := e.ctx()
		resp, err := e.cli.HashKV(ctx, ep, rev)
		cancel()
		if err == rpctypes.ErrFutureRev && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("hashkv %s at revision %d: %v", ep, rev, err)
		}
		if resp.Header.Revision < rev {
			return 0, fmt.Errorf("hashkv %s at revision %d: header revision %d", ep, rev, resp.Header.Revision)
		}
		return resp.Hash, nil
	}
}

// checkSnapshot reads the whole Snapshot stream to EOF; a note says whether it ends with etcd's sha256 trailer
// (the digest of the bytes before it), which etcd's own restore checks but keel's format need not carry.
func checkSnapshot(e *env) error {
	ctx, cancel := context.WithTimeout(context.Background(), 6*e.callTimeout)
	defer cancel()
	rc, err := e.cli.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: %v", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("snapshot: read %d bytes, then %v", len(data), err)
	}
	if len(data) == 0 {
		return fmt.Errorf("snapshot: empty stream")
	}
	trailer := "no sha256 trailer"
	if n := len(data) - sha256.Size; n > 0 {
		sum := sha256.Sum256(data[:n])
		if string(sum[:]) == string(data[n:]) {
			trailer = "ends with the sha256 of the bytes before it"
		}
	}
	e.notef("snapshot: %d bytes, %s", len(data), trailer)
	return nil
}
