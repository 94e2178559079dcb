package plugin

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

// heapGoal is the collector's current heap goal.
func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestReserveHeap: no reserve when the environment sets GOGC or
// GOMEMLIMIT or the address space is limited; otherwise one, made once, after which the collector's goal is
// above HeapReserve (it was the few MiB this test holds).
func TestReserveHeap(t *testing.T) {
	t.Cleanup(func() { reserved = nil }) // so that -count=2 runs it again from the start
	if reserved != nil {
		t.Fatal("a reserve before any Serve")
	}
	unlimited := func() bool { return false }
	for _, env := range []map[string]string{{"GOGC": "100"}, {"GOMEMLIMIT": "1GiB"}} {
		reserveHeap(func(k string) string { return env[k] }, unlimited)
		if reserved != nil {
			t.Fatalf("a reserve with %v", env)
		}
	}
	reserveHeap(func(string) string { return "" }, func() bool { return true })
	if reserved != nil {
		t.Fatal("a reserve in a limited address space")
	}
	runtime.GC()
	before := heapGoal()
	if before >= uint64(HeapReserve) {
		t.Skipf("the heap goal is already %d", before)
	}
	reserveHeap(func(string) string { return "" }, unlimited)
	if len(reserved) != HeapReserve {
		t.Fatalf("a reserve of %d bytes, want %d", len(reserved), HeapReserve)
	}
	first := &reserved[0]
	reserveHeap(func(string) string { return "" }, unlimited)
	if &reserved[0] != first {
		t.Fatal("a second reserve")
	}
	runtime.GC()
	if goal := heapGoal(); goal < uint64(HeapReserve) {
		t.Fatalf("heap goal %d after the reserve (%d before), want ≥ %d", goal, before, HeapReserve)
	}
}

// TestLimitProcs: Serve's setting of GOMAXPROCS is MaxProcs, except when
// the environment sets GOMAXPROCS or MaxProcs is 0.
func TestLimitProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	const other = 3
	for _, tc := range []struct {
		env      map[string]string
		maxProcs int
		want     int
	}{
		{nil, 1, 1},
		{nil, 2, 2},
		{map[string]string{"GOMAXPROCS": "4"}, 1, other}, // the environment's, which the runtime has applied
		{nil, 0, other},
	} {
		runtime.GOMAXPROCS(other)
		MaxProcs = tc.maxProcs
		limitProcs(func(k string) string { return tc.env[k] })
		if got := runtime.GOMAXPROCS(0); got != tc.want {
			t.Errorf("env %v, MaxProcs %d: GOMAXPROCS %d, want %d", tc.env, tc.maxProcs, got, tc.want)
		}
	}
	MaxProcs = defaultMaxProcs
}

// defaultMaxProcs is MaxProcs as the package sets it, before any test.
var defaultMaxProcs = MaxProcs

// TestLimitProcsDefault: by default Serve runs the provider's Go code on
// one thread — it costs the provider less processor time per instance, and
// since the sender lets gRPC's writer put each batch on the connection
// before Emit goes on (TestBatcherFirstInstanceOnConnection) the first
// object no longer waits for it (docs/benchmarks.md).
func TestLimitProcsDefault(t *testing.T) {
	before, saved := runtime.GOMAXPROCS(0), MaxProcs
	t.Cleanup(func() { runtime.GOMAXPROCS(before); MaxProcs = saved })
	const other = 3
	runtime.GOMAXPROCS(other)
	MaxProcs = defaultMaxProcs
	limitProcs(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("default MaxProcs %d: GOMAXPROCS %d, want 1", defaultMaxProcs, got)
	}
}
