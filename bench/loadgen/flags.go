package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// common holds the flags every subcommand takes.
type common struct {
	endpoints   []string
	clients     int
	conns       int
	total       int
	warmup      int
	rate        float64
	timeout     time.Duration
	dialTimeout time.Duration
	prefix      string
	json        bool
	user        string      // --user as given
	username    string      // --user's name, "" without --user
	password    string      // --user's password
	cacert      string      // --cacert: the CA file that verifies the server's certificate
	cert        string      // --cert: the client certificate presented to the server
	key         string      // --key: the client certificate's key
	skipVerify  bool        // --insecure-skip-tls-verify
	tls         *tls.Config // nil for plain connections; set by finish from the flags above and the endpoints
}

// newFlagSet makes the flag set of a subcommand with the common flags registered into c. withTotal is false
// for watch, whose request count is --put-total.
func newFlagSet(name string, c *common, withTotal bool) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	endpoints := fs.String("endpoints", "127.0.0.1:2379",
		"comma-separated client endpoints (host:port, http://host:port or https://host:port)")
	fs.IntVar(&c.clients, "clients", 1, "goroutines issuing requests")
	fs.IntVar(&c.conns, "conns", 1, "gRPC connections (clientv3 clients), shared round-robin by the goroutines")
	if withTotal {
		fs.IntVar(&c.total, "total", 10000, "requests measured")
		fs.Float64Var(&c.rate, "rate", 0, "requests per second over all clients (0: as fast as they go)")
	}
	fs.IntVar(&c.warmup, "warmup", 0, "requests sent before the measured ones and not counted")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.DurationVar(&c.dialTimeout, "dial-timeout", 5*time.Second, "timeout of the first connection of each conn")
	fs.StringVar(&c.prefix, "key-prefix", "", "prefix of every key this run writes (default: lg<hex time>/, unique per run)")
	fs.BoolVar(&c.json, "json", false, "print one JSON object on stdout instead of text")
	fs.StringVar(&c.user, "user", "", "name:password: each connection authenticates at dial and sends the token on every call")
	fs.StringVar(&c.cacert, "cacert", "", "TLS: verify the server's certificate with this CA bundle")
	fs.StringVar(&c.cert, "cert", "", "TLS: present this client certificate (with --key)")
	fs.StringVar(&c.key, "key", "", "TLS: the key of --cert")
	fs.BoolVar(&c.skipVerify, "insecure-skip-tls-verify", false, "TLS: accept any server certificate")
	return fs, endpoints
}

// parseArgs parses args with fs and returns the positional arguments; unlike FlagSet.Parse it accepts flags
// after them too (`range KEY --consistency s`). It returns ok false after printing the error.
func parseArgs(fs *flag.FlagSet, args []string) (positional []string, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, true
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// finish checks the common flags after parsing and fills in the defaults that depend on the run.
func (c *common) finish(endpoints string) error {
	for _, e := range strings.Split(endpoints, ",") {
		if e = strings.TrimSpace(e); e != "" {
			c.endpoints = append(c.endpoints, e)
		}
	}
	switch {
	case len(c.endpoints) == 0:
		return fmt.Errorf("--endpoints is empty")
	case c.clients < 1:
		return fmt.Errorf("--clients must be at least 1")
	case c.conns < 1:
		return fmt.Errorf("--conns must be at least 1")
	case c.total < 0 || c.warmup < 0:
		return fmt.Errorf("--total and --warmup must not be negative")
	case c.rate < 0:
		return fmt.Errorf("--rate must not be negative")
	}
	if c.user != "" {
		var err error
		if c.username, c.password, err = splitUser(c.user); err != nil {
			return err
		}
	}
	var err error
	if c.tls, err = clientTLS(c); err != nil {
		return err
	}
	if c.prefix == "" {
		c.prefix = fmt.Sprintf("lg%x/", time.Now().UnixNano()&0xffffffffff)
	}
	return nil
}

// splitUser splits --user at its first colon, as etcdctl does, so a password may hold colons. clientv3
// authenticates only when both parts are non-empty, so an empty one is refused rather than silently ignored.
func splitUser(user string) (name, password string, err error) {
	i := strings.IndexByte(user, ':')
	if i <= 0 || i == len(user)-1 {
		return "", "", fmt.Errorf("--user must be name:password, both non-empty")
	}
	return user[:i], user[i+1:], nil
}

// usageError prints a bad-argument message and returns exit status 2.
func usageError(name string, err error) int {
	fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", name, err)
	return 2
}

// verifyMode is --verify: off, count (one count-only range over the prefix), read (read back every
// acknowledged key) or all. A bare --verify means all.
type verifyMode string

func (v *verifyMode) String() string   { return string(*v) }
func (v *verifyMode) IsBoolFlag() bool { return true }
func (v *verifyMode) Set(s string) error {
	switch s {
	case "true", "all":
		*v = "all"
	case "false", "off":
		*v = "off"
	case "count", "read":
		*v = verifyMode(s)
	default:
		return fmt.Errorf("want all, count, read or off")
	}
	return nil
}

func (v verifyMode) counts() bool { return v == "all" || v == "count" }
func (v verifyMode) reads() bool  { return v == "all" || v == "read" }
