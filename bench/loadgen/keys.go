package main

import (
	"fmt"
	"strconv"
)

// keySpace names the keys of a run: prefix + a zero-padded decimal key number, padded to keySize bytes.
// With size 0 every request index has its own key; otherwise request i writes key number i % size
// (sequential) or a pseudo-random number below size that depends only on i and the seed.
type keySpace struct {
	prefix     string
	keySize    int
	size       int
	sequential bool
	seed       uint64
	width      int // digits of the key number
}

// newKeySpace checks that keySize bytes hold the prefix and the widest key number of requests requests.
func newKeySpace(prefix string, keySize, size int, sequential bool, requests int, seed uint64) (*keySpace, error) {
	if size < 0 {
		return nil, fmt.Errorf("--key-space-size must not be negative")
	}
	largest := requests - 1
	if size > 0 {
		largest = size - 1
	}
	if largest < 0 {
		largest = 0
	}
	digits := len(strconv.Itoa(largest))
	if len(prefix)+digits > keySize {
		return nil, fmt.Errorf("--key-size %d cannot hold the prefix %q and %d-digit key numbers: needs at least %d",
			keySize, prefix, digits, len(prefix)+digits)
	}
	return &keySpace{prefix: prefix, keySize: keySize, size: size, sequential: sequential, seed: seed,
		width: keySize - len(prefix)}, nil
}

// number is the key number request index writes.
func (k *keySpace) number(index int) int {
	switch {
	case k.size == 0:
		return index
	case k.sequential:
		return index % k.size
	default:
		return int(splitmix64(k.seed+uint64(index)) % uint64(k.size))
	}
}

// key is the key of key number n.
func (k *keySpace) key(n int) string {
	return k.prefix + fmt.Sprintf("%0*d", k.width, n)
}

// value is the value request index writes: its index in decimal, a '.', then filler, cut or padded to size
// bytes. A watcher reads the index back from it (valueIndex).
func value(index, size int) string {
	b := make([]byte, 0, size+20)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, '.')
	for len(b) < size {
		b = append(b, byte('a'+(len(b)+index)%26))
	}
	return string(b[:size])
}

// valueIndex reads back the request index value wrote; ok is false when the value does not hold one.
func valueIndex(v []byte) (index int, ok bool) {
	for i, c := range v {
		if c == '.' {
			n, err := strconv.Atoi(string(v[:i]))
			return n, err == nil
		}
	}
	return 0, false
}

// splitmix64 scrambles x (Steele, Lea and Flood's SplitMix64 finalizer).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
