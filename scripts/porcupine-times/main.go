// Command porcupinetimes times Porcupine (github.com/anishathalye/porcupine, MIT) on its own public test
// data, for comparison with Keel's checker on the same histories (scripts/porcupine-times.sh).
//
// usage: porcupinetimes [-runs N] [-timeout D] PORCUPINE_TEST_DATA_DIR
//
// It reads test_data/jepsen/etcd_*.log and test_data/kv/*.txt with its own parser and prints one line per
// file: `name verdict seconds`, where name is the file's name in Keel's fixtures (etcd_000, kv-c01-ok),
// verdict is ok, illegal or unknown, and seconds is the median over the runs of parsing plus
// porcupine.CheckEventsTimeout. Empty logs (etcd_095) are reported on standard error and skipped.
//
// The histories mean what Porcupine's own tests (porcupine_test.go) take them to mean, as
// scripts/porcupine-convert.py describes: a `:fail :read :timed-out` returns there with an unknown result;
// an `:info` write or cas never returns, so it gets an unknown result at the end of the history; a
// `:fail :cas` is a cas whose compare was false. Every kv key starts at "" and a get returns "" for it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// registerInput is one etcd register operation: a read, a write of a, or a cas from a to b.
type registerInput struct {
	op   byte // 'r', 'w' or 'c'
	a, b int
}

// registerOutput is what the operation returned; unknown means it timed out or never returned.
type registerOutput struct {
	unknown bool
	casOK   bool
	exists  bool
	value   int
}

// register is the etcd key's state: absent, or holding an integer.
type register struct {
	exists bool
	value  int
}

var registerModel = porcupine.Model{
	Init: func() interface{} { return register{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		st, in, out := state.(register), input.(registerInput), output.(registerOutput)
		switch in.op {
		case 'r':
			return out.unknown || (out.exists == st.exists && (!st.exists || out.value == st.value)), st
		case 'w':
			return true, register{exists: true, value: in.a}
		default:
			matches := st.exists && st.value == in.a
			next := st
			if matches {
				next = register{exists: true, value: in.b}
			}
			return out.unknown || out.casOK == matches, next
		}
	},
}

// kvInput is one kv operation on key: a get, a put of value, or an append of value.
type kvInput struct {
	op         byte // 'g', 'p' or 'a'
	key, value string
}

// kvOutput is what a get returned; unknown means the operation never returned.
type kvOutput struct {
	unknown bool
	value   string
}

var kvModel = porcupine.Model{
	PartitionEvent: func(history []porcupine.Event) [][]porcupine.Event {
		byKey := map[string][]porcupine.Event{}
		keyOf := map[int]string{}
		for _, event := range history {
			if event.Kind == porcupine.CallEvent {
				keyOf[event.Id] = event.Value.(kvInput).key
			}
			key := keyOf[event.Id]
			byKey[key] = append(byKey[key], event)
		}
		keys := make([]string, 0, len(byKey))
		for key := range byKey {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		partitions := make([][]porcupine.Event, 0, len(keys))
		for _, key := range keys {
			partitions = append(partitions, byKey[key])
		}
		return partitions
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		st, in, out := state.(string), input.(kvInput), output.(kvOutput)
		switch in.op {
		case 'g':
			return out.unknown || out.value == st, st
		case 'p':
			return true, in.value
		default:
			return true, st + in.value
		}
	},
	Hash: func(state interface{}) uint64 {
		h := fnv.New64a()
		h.Write([]byte(state.(string)))
		return h.Sum64()
	},
}

// history builds Porcupine events: one call per invocation, one return per completion, and an unknown
// return at the end for each invocation left without one.
type history struct {
	events  []porcupine.Event
	open    map[int]int // process -> id of its invocation in flight
	unknown interface{} // the output given to invocations that never return
}

func (h *history) call(process int, input interface{}) error {
	if _, busy := h.open[process]; busy {
		return fmt.Errorf("process %d invokes while busy", process)
	}
	id := len(h.events)
	h.open[process] = id
	h.events = append(h.events, porcupine.Event{ClientId: process, Kind: porcupine.CallEvent, Value: input, Id: id})
	return nil
}

func (h *history) ret(process int, output interface{}) error {
	id, ok := h.open[process]
	if !ok {
		return fmt.Errorf("process %d returns with nothing in flight", process)
	}
	delete(h.open, process)
	h.events = append(h.events, porcupine.Event{ClientId: process, Kind: porcupine.ReturnEvent, Value: output, Id: id})
	return nil
}

func (h *history) finish() []porcupine.Event {
	processes := make([]int, 0, len(h.open))
	for process := range h.open {
		processes = append(processes, process)
	}
	sort.Ints(processes)
	for _, process := range processes {
		h.ret(process, h.unknown)
	}
	return h.events
}

var etcdLine = regexp.MustCompile(`^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$`)
var casPair = regexp.MustCompile(`^\[(\d+)\s+(\d+)\]$`)

// parseEtcd reads a Jepsen etcd log of one register.
func parseEtcd(path string) ([]porcupine.Event, error) {
	h := &history{open: map[int]int{}, unknown: registerOutput{unknown: true}}
	err := eachLine(path, func(line string) error {
		m := etcdLine.FindStringSubmatch(line)
		if m == nil {
			if strings.Contains(line, "jepsen.util") {
				return fmt.Errorf("unrecognised Jepsen line")
			}
			return nil
		}
		process, _ := strconv.Atoi(m[1])
		kind, f, raw := m[2], m[3], m[4]
		switch {
		case kind == "invoke" && f == "read" && raw == "nil":
			return h.call(process, registerInput{op: 'r'})
		case kind == "invoke" && f == "write":
			value, err := strconv.Atoi(raw)
			if err != nil {
				return err
			}
			return h.call(process, registerInput{op: 'w', a: value})
		case kind == "invoke" && f == "cas":
			a, b, err := pair(raw)
			if err != nil {
				return err
			}
			return h.call(process, registerInput{op: 'c', a: a, b: b})
		case kind == "ok" && f == "read":
			if raw == "nil" {
				return h.ret(process, registerOutput{})
			}
			value, err := strconv.Atoi(raw)
			if err != nil {
				return err
			}
			return h.ret(process, registerOutput{exists: true, value: value})
		case kind == "ok" && f == "write":
			return h.ret(process, registerOutput{})
		case (kind == "ok" || kind == "fail") && f == "cas":
			return h.ret(process, registerOutput{casOK: kind == "ok"})
		case kind == "fail" && f == "read" && raw == ":timed-out":
			return h.ret(process, registerOutput{unknown: true})
		case kind == "info" && f != "read" && raw == ":timed-out":
			return nil // returns, unknown, at the end
		}
		return fmt.Errorf("unexpected %s %s %s", kind, f, raw)
	})
	return h.finish(), err
}

func pair(raw string) (int, int, error) {
	m := casPair.FindStringSubmatch(raw)
	if m == nil {
		return 0, 0, fmt.Errorf("unexpected cas value %s", raw)
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a, b, nil
}

var kvLine = regexp.MustCompile(`^\{:process (\d+), :type :(invoke|ok), :f :(get|put|append), :key "([^"\\]*)", :value (nil|"([^"\\]*)")\}$`)

// parseKv reads a kv log: Clojure maps, one a line, of get/put/append on string keys.
func parseKv(path string) ([]porcupine.Event, error) {
	h := &history{open: map[int]int{}, unknown: kvOutput{unknown: true}}
	err := eachLine(path, func(line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		m := kvLine.FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("unrecognised line")
		}
		process, _ := strconv.Atoi(m[1])
		kind, f, key, isNil, value := m[2], m[3], m[4], m[5] == "nil", m[6]
		switch {
		case kind == "invoke" && f == "get" && isNil:
			return h.call(process, kvInput{op: 'g', key: key})
		case kind == "invoke" && f != "get" && !isNil:
			return h.call(process, kvInput{op: f[0], key: key, value: value})
		case kind == "ok" && f == "get" && !isNil:
			return h.ret(process, kvOutput{value: value})
		case kind == "ok" && f != "get":
			return h.ret(process, kvOutput{})
		}
		return fmt.Errorf("unexpected %s %s", kind, f)
	})
	return h.finish(), err
}

func eachLine(path string, handle func(string) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for number := 1; scanner.Scan(); number++ {
		if err := handle(scanner.Text()); err != nil {
			return fmt.Errorf("%s:%d: %v", path, number, err)
		}
	}
	return scanner.Err()
}

func main() {
	runs := flag.Int("runs", 3, "runs per file; the median time is printed")
	timeout := flag.Duration("timeout", 10*time.Minute, "Porcupine's timeout per check (0: none)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: porcupinetimes [-runs N] [-timeout D] PORCUPINE_TEST_DATA_DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	type job struct {
		path, name string
		parse      func(string) ([]porcupine.Event, error)
		model      porcupine.Model
	}
	var jobs []job
	etcd, _ := filepath.Glob(filepath.Join(dir, "jepsen", "etcd_*.log"))
	kv, _ := filepath.Glob(filepath.Join(dir, "kv", "*.txt"))
	for _, path := range etcd {
		jobs = append(jobs, job{path, strings.TrimSuffix(filepath.Base(path), ".log"), parseEtcd, registerModel})
	}
	for _, path := range kv {
		jobs = append(jobs, job{path, "kv-" + strings.TrimSuffix(filepath.Base(path), ".txt"), parseKv, kvModel})
	}
	if len(jobs) == 0 {
		fmt.Fprintf(os.Stderr, "no test data under %s\n", dir)
		os.Exit(2)
	}
	names := map[porcupine.CheckResult]string{porcupine.Ok: "ok", porcupine.Illegal: "illegal", porcupine.Unknown: "unknown"}
	for _, j := range jobs {
		var times []float64
		verdict := ""
		for run := 0; run < *runs; run++ {
			start := time.Now()
			events, err := j.parse(j.path)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if len(events) == 0 {
				fmt.Fprintf(os.Stderr, "%s: empty, skipped\n", j.name)
				break
			}
			result := names[porcupine.CheckEventsTimeout(j.model, events, *timeout)]
			times = append(times, time.Since(start).Seconds())
			if verdict != "" && verdict != result {
				result = verdict + "/" + result // runs disagree: show both
			}
			verdict = result
		}
		if len(times) > 0 {
			sort.Float64s(times)
			fmt.Printf("%s %s %.6f\n", j.name, verdict, times[len(times)/2])
		}
	}
}
