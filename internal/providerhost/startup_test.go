//go:build linux

package providerhost

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// BenchmarkColdStart: where the time to the first object goes when the
// provider's process must be started (docs/benchmarks.md, "Out-of-process
// providers"), as medians, for three executables started in turn in each
// round: this test binary (test), examples/provider-go as `go build` makes
// it (example: dynamically linked, since the SDK's dependencies use package
// net) and the same built with CGO_ENABLED=0 (static). The phases, from
// the test binary's starts: exec (until the executable runs), handshake
// (its Go runtime, package initialisers and go-plugin's Serve, until the
// handshake line), connect (go-plugin's client: the gRPC connection and its
// streams), hello (the Hello call), rest (the call's own way there and the
// first object's way back); the floors the machine sets, interleaved:
// bare (the test binary run without the handshake's cookie, until it says
// so: its runtime and initialisers) and true (/bin/true, until it exits);
// stop is how long stopping the previous process took.
//
//	go test -run X -bench ColdStart -benchtime 20x ./internal/providerhost
func BenchmarkColdStart(b *testing.B) {
	type variant struct {
		name string
		h    *Host
		svc  *wbem.Services
		ms   map[string][]time.Duration
	}
	add := func(name string, command []string) *variant {
		h := newHost(b, Config{})
		r := reg(b, "Items", SelfHost)
		r.Command = command
		return &variant{name: name, h: h, svc: omWith(h.Proxy(r)).Services(workload.Namespace), ms: map[string][]time.Duration{}}
	}
	vs := []*variant{add("test", self(b))}
	if _, err := exec.LookPath("go"); err == nil {
		dir := b.TempDir()
		for _, x := range []struct{ name, cgo string }{{"example", "1"}, {"static", "0"}} {
			bin := filepath.Join(dir, x.name)
			cmd := exec.Command("go", "build", "-o", bin, "../../examples/provider-go")
			cmd.Env = append(os.Environ(), "CGO_ENABLED="+x.cgo)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("go build: %v\n%s", err, out)
			}
			vs = append(vs, add(x.name, []string{bin}))
		}
	}
	for _, v := range vs {
		drain(b, v.svc)
	}
	floors := map[string][]time.Duration{}
	// run runs cmd and returns the time to its first output (or its exit).
	run := func(cmd ...string) time.Duration {
		c := exec.Command(cmd[0], cmd[1:]...)
		c.Env = []string{"PATH=/usr/bin:/bin"}
		out, err := c.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		out.Read(make([]byte, 1)) // the bare provider says it is not started by a daemon
		d := time.Since(start)
		io.Copy(io.Discard, out)
		c.Wait()
		return d
	}
	b.ResetTimer()
	for range b.N {
		for _, v := range vs {
			b.StopTimer()
			stop := time.Now()
			stopProvider(v.h, "Items", "benchmark")
			v.ms["stop"] = append(v.ms["stop"], time.Since(stop))
			if v.name == "test" {
				floors["bare"] = append(floors["bare"], run(self(b)...))
				floors["true"] = append(floors["true"], run("/bin/true"))
			}
			b.StartTimer()
			_, first := drain(b, v.svc)
			b.StopTimer()
			v.h.mu.Lock()
			var s startup
			for _, p := range v.h.procs {
				s = p.startup
			}
			v.h.mu.Unlock()
			v.ms["cpu"] = append(v.ms["cpu"], hostCPU(v.h))
			b.StartTimer()
			v.ms["exec"] = append(v.ms["exec"], s.exec)
			v.ms["handshake"] = append(v.ms["handshake"], s.handshake)
			v.ms["connect"] = append(v.ms["connect"], s.connect)
			v.ms["hello"] = append(v.ms["hello"], s.hello)
			v.ms["rest"] = append(v.ms["rest"], first-s.exec-s.handshake-s.connect-s.hello)
			v.ms["total"] = append(v.ms["total"], first)
		}
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	for k, ds := range floors {
		b.ReportMetric(median(ds), k+"-ms")
	}
	for _, v := range vs {
		for k, ds := range v.ms {
			if v.name == "test" || k == "total" || k == "handshake" || k == "cpu" {
				b.ReportMetric(median(ds), v.name+"-"+k+"-ms")
			}
		}
	}
}

// Stopping a Go provider logs no warning: what go-plugin says at every stop
// of one ("plugin failed to exit gracefully", "error closing client during
// Kill") is not the operator's concern.
func TestStopWarnsNothing(t *testing.T) {
	lb := &logBuffer{}
	h := newHost(t, Config{Logger: slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	svc := omWith(h.Proxy(reg(t, "Small", SelfHost))).Services(workload.Namespace)
	if got, err := collect(t, svc, "SELECT * FROM "+workload.ClassName); err != nil || len(got) != 100 {
		t.Fatalf("%d instances, %v", len(got), err)
	}
	stopProvider(h, "Small", "the test")
	if s := lb.String(); s != "" {
		t.Errorf("stopping a provider logged:\n%s", s)
	}
}
