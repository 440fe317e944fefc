package main

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/pkg/logutil"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// dial makes c.conns clientv3 clients, each with its own gRPC connection to the endpoints, and blocks until
// each is connected. With --user each client authenticates while dialing (one Authenticate RPC) and clientv3
// sends its token with every call. Request goroutine i uses conns[i % len(conns)], as etcd's benchmark shares them.
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
		})
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connection %d of %d to %v: %v", i+1, c.conns, c.endpoints, err)
		}
		conns = append(conns, cli)
	}
	return conns, nil
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
