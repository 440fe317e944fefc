package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/pkg/logutil"
	"go.etcd.io/etcd/pkg/transport"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// dial makes c.conns clientv3 clients, each with its own gRPC connection to the endpoints, and blocks until
// each is connected. With --user each client authenticates while dialing (one Authenticate RPC) and clientv3
// sends its token with every call. With TLS flags or https:// endpoints every connection uses c.tls. Request goroutine i uses conns[i % len(conns)], as etcd's benchmark shares them.
func dial(c *common) ([]*clientv3.Client, error) {
	logConfig := logutil.DefaultZapLoggerConfig
	logConfig.Level = zap.NewAtomicLevelAt(zap.FatalLevel)
	conns := make([]*clientv3.Client, 0, c.conns)
	for i := 0; i < c.conns; i++ {
		cli, err := clientv3.New(clientv3.Config{
			Endpoints:   c.endpoints,
			DialTimeout: c.dialTimeout,
			DialOptions: []grpc.DialOption{grpc.WithBlock()},
			LogConfig:   &logConfig,
			Username:    c.username,
			Password:    c.password,
			TLS:         c.tls,
		})
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connection %d of %d to %v: %v", i+1, c.conns, c.endpoints, err)
		}
		conns = append(conns, cli)
	}
	return conns, nil
}

// clientTLS makes the connections' TLS configuration from --cacert, --cert, --key and
// --insecure-skip-tls-verify the way etcdctl does, through etcd's transport.TLSInfo.ClientConfig; an https://
// endpoint without files still gets one (the system's roots verify the server). It returns nil for plain
// connections. A cert without its key (or the reverse), or TLS with an http:// endpoint, is refused rather
// than silently dialing something else.
func clientTLS(c *common) (*tls.Config, error) {
	if (c.cert == "") != (c.key == "") {
		return nil, fmt.Errorf("--cert and --key go together")
	}
	https, http := false, false
	for _, e := range c.endpoints {
		https = https || strings.HasPrefix(e, "https://")
		http = http || strings.HasPrefix(e, "http://")
	}
	files := c.cacert != "" || c.cert != ""
	if !https && !files && !c.skipVerify {
		return nil, nil
	}
	if http {
		return nil, fmt.Errorf("TLS (https:// endpoints or --cacert/--cert/--key/--insecure-skip-tls-verify) " +
			"cannot dial an http:// endpoint")
	}
	info := transport.TLSInfo{CertFile: c.cert, KeyFile: c.key, TrustedCAFile: c.cacert, InsecureSkipVerify: c.skipVerify}
	cfg, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("TLS: %v", err)
	}
	return cfg, nil
}

// closeAll closes every client without letting a stuck connection hang the program.
func closeAll(conns []*clientv3.Client) {
	done := make(chan struct{})
	go func() {
		for _, cli := range conns {
			cli.Close()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// callContext gives one request its deadline.
func callContext(c *common) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}
