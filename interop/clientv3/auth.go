package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	"go.etcd.io/etcd/pkg/logutil"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// connectAs dials with clientv3's credentials: it authenticates at dial time and sends the token on every
// call, re-authenticating when the server says the token is invalid or stale.
func (e *env) connectAs(user, password string) (*clientv3.Client, error) {
	logConfig := logutil.DefaultZapLoggerConfig
	logConfig.Level = zap.NewAtomicLevelAt(zap.FatalLevel)
	return clientv3.New(clientv3.Config{
		Endpoints:   e.endpoints,
		DialTimeout: e.dialTimeout,
		DialOptions: []grpc.DialOption{grpc.WithBlock()},
		LogConfig:   &logConfig,
		Username:    user,
		Password:    password,
	})
}

// checkAuth: with a root user and a user holding READWRITE on this run's prefix, auth enabled: the user
// reads and writes its prefix and watches it, is refused elsewhere and for user management, an anonymous
// client is refused, a wrong password fails at dial, an auth change made by root meanwhile does not break the
// user's client (clientv3 refreshes its token), and a password change ends the user's token. Root disables
// auth and removes what it made at the end, whatever happened.
func checkAuth(e *env) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pfx := e.key("auth/")
	role, user := "interop-rw", "interop-user"
	setup := []func() error{
		func() error { _, err := e.cli.RoleAdd(ctx, "root"); return err },
		func() error { _, err := e.cli.UserAdd(ctx, "root", "rootpw"); return err },
		func() error { _, err := e.cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := e.cli.RoleAdd(ctx, role); return err },
		func() error {
			_, err := e.cli.RoleGrantPermission(ctx, role, pfx, clientv3.GetPrefixRangeEnd(pfx),
				clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := e.cli.UserAdd(ctx, user, "userpw"); return err },
		func() error { _, err := e.cli.UserGrantRole(ctx, user, role); return err },
	}
	for i, step := range setup {
		if err := step(); err != nil {
			return fmt.Errorf("setup step %d: %v", i+1, err)
		}
	}
	// Anyone may enable auth while it is disabled. A client dialled before would hold no token (clientv3 gets
	// one only at dial, and Authenticate fails while auth is disabled): root dials after.
	if _, err := e.cli.AuthEnable(ctx); err != nil {
		return fmt.Errorf("auth enable: %v", err)
	}
	cleanup := func(root *clientv3.Client) error {
		var derr error
		if root != nil {
			_, derr = root.AuthDisable(context.Background())
		}
		for _, name := range []string{user, "root"} {
			e.cli.UserDelete(context.Background(), name)
		}
		for _, name := range []string{role, "root", "interop-other"} {
			e.cli.RoleDelete(context.Background(), name)
		}
		return derr
	}
	root, err := e.connectAs("root", "rootpw")
	if err != nil {
		return fmt.Errorf("root could not connect: %v (auth stays enabled)", err)
	}
	defer closeWithin(root, e.callTimeout)
	defer func() {
		if derr := cleanup(root); err == nil && derr != nil {
			err = fmt.Errorf("auth disable as root: %v", derr)
		}
	}()

	if _, err := e.cli.Get(ctx, pfx+"a"); !isErr(err, rpctypes.ErrUserEmpty) {
		return fmt.Errorf("anonymous get: %v, want %v", err, rpctypes.ErrUserEmpty)
	}
	if cli, err := e.connectAs(user, "wrong"); err == nil {
		closeWithin(cli, e.callTimeout)
		return fmt.Errorf("dial with a wrong password succeeded")
	} else if !isErr(err, rpctypes.ErrAuthFailed) {
		return fmt.Errorf("dial with a wrong password: %v, want %v", err, rpctypes.ErrAuthFailed)
	}

	cli, err := e.connectAs(user, "userpw")
	if err != nil {
		return fmt.Errorf("user could not connect: %v", err)
	}
	defer closeWithin(cli, e.callTimeout)
	watch := cli.Watch(clientv3.WithRequireLeader(ctx), pfx, clientv3.WithPrefix())
	if _, err := cli.Put(ctx, pfx+"a", "1"); err != nil {
		return fmt.Errorf("user put in its prefix: %v", err)
	}
	if events, err := collectEvents(watch, 1, 5*time.Second); err != nil || string(events[0].Kv.Key) != pfx+"a" {
		return fmt.Errorf("user watch of its prefix: %v %v", describeEvents(events), err)
	}
	if _, err := cli.Put(ctx, e.key("outside"), "1"); !isErr(err, rpctypes.ErrPermissionDenied) {
		return fmt.Errorf("user put outside its prefix: %v, want %v", err, rpctypes.ErrPermissionDenied)
	}
	if _, err := cli.UserList(ctx); !isErr(err, rpctypes.ErrPermissionDenied) {
		return fmt.Errorf("user list as a user: %v, want %v", err, rpctypes.ErrPermissionDenied)
	}
	// Root changes the auth store: the user's next calls still work (a stale token is refreshed).
	if _, err := root.RoleAdd(ctx, "interop-other"); err != nil {
		return fmt.Errorf("role add as root: %v", err)
	}
	resp, err := cli.Get(ctx, pfx, clientv3.WithPrefix())
	if err != nil || resp.Count != 1 {
		return fmt.Errorf("user get after an auth change: %v (count %v)", err, resp)
	}
	// A new password ends the user's token; clientv3 re-authenticates with the old one and fails.
	if _, err := root.UserChangePassword(ctx, user, "newpw"); err != nil {
		return fmt.Errorf("change password as root: %v", err)
	}
	if _, err := cli.Get(ctx, pfx+"a"); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		return fmt.Errorf("user get after its password changed: %v, want authentication failed", err)
	}
	again, err := e.connectAs(user, "newpw")
	if err != nil {
		return fmt.Errorf("user with the new password: %v", err)
	}
	defer closeWithin(again, e.callTimeout)
	if _, err := again.Get(ctx, pfx+"a"); err != nil {
		return fmt.Errorf("user get with the new password: %v", err)
	}
	return nil
}
