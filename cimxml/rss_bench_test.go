package cimxml_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/bench"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// serveEnv, when set to a number of instances, makes TestBenchServerProcess
// the server process of BenchmarkProcessRSS.
const serveEnv = "GOWBEM_BENCH_SERVE_N"

// TestBenchServerProcess is not a test: run by BenchmarkProcessRSS as a
// child process (the test binary again, with serveEnv set), it serves the
// workload over CIM-XML at /cimom and WS-Management at /wsman on a loopback
// port, prints "ADDR host:port" (what bench.StartProcess waits for), and
// stops when its standard input closes (or after ten minutes, so that a
// lost parent leaves nothing running).
func TestBenchServerProcess(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(serveEnv))
	if err != nil {
		t.Skip("the server process of BenchmarkProcessRSS; runs only as its child")
	}
	authn := auth.NewBasic(auth.Static{testUser: {Password: testPass, Admin: true}}, auth.BasicOptions{})
	om := workload.NewObjectManager(&workload.Provider{N: n})
	mux := http.NewServeMux()
	cx := cimxml.NewServer(om, cimxml.Options{Authenticator: authn, ServerName: "testhost"})
	ws := wsman.NewServer(om, wsman.Options{Authenticator: authn, ServerName: "testhost"})
	defer cx.Close()
	defer ws.Close()
	mux.Handle("/cimom", cx)
	mux.Handle("/wsman", ws)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ConnContext: wsman.ConnContext}
	go srv.Serve(l)
	defer srv.Close()
	fmt.Printf("ADDR %s\n", l.Addr())
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
	}
}

// The peak resident set of the server and of the client apart, which
// BenchmarkProtocols (one process holding both) cannot tell: for each case
// — WS-Man and CIM-XML pulls of 100, 1000 and 10000 objects, CIM-XML's
// plain EnumerateInstances — a fresh server process (the test binary as
// TestBenchServerProcess) serves 10^5 (and, without -short, 10^6) workload
// instances, this process reads them all, and the table (b.Log) gives
// the server's VmHWM at the end and the client's own (restarted before the
// run). Memory flat in N shows as the same figures at both sizes. Linux
// only (VmHWM); run at normal priority:
// go test -v -run X -bench ProcessRSS -benchtime 1x ./cimxml (-v: the table is
// longer than the ten lines go test keeps of a benchmark's log without it)
func BenchmarkProcessRSS(b *testing.B) {
	if peakRSS() == 0 {
		b.Skip("no VmHWM in /proc/self/status: the peak resident set is read from Linux's /proc")
	}
	sizes := []int{100_000}
	if !testing.Short() {
		sizes = append(sizes, 1_000_000)
	}
	type row struct {
		name           string
		n              int
		server, client uint64
		wall           time.Duration
	}
	var rows []row
	loadStart := loadAverage()
	for range b.N {
		rows = rows[:0]
		for _, n := range sizes {
			for _, c := range []struct{ name, query string }{
				{"wsman/100", "/wsman?maxelements=100&maxenvelopesize=67108864"},
				{"wsman/1000", "/wsman?maxelements=1000&maxenvelopesize=67108864"},
				{"wsman/10000", "/wsman?maxelements=10000&maxenvelopesize=67108864"},
				{"cimxml/100", "/cimom?maxobjectcount=100"},
				{"cimxml/1000", "/cimom?maxobjectcount=1000"},
				{"cimxml/10000", "/cimom?maxobjectcount=10000"},
				{"cimxml/plain", "/cimom?pull=false"},
			} {
				b.Setenv(serveEnv, strconv.Itoa(n))
				p, err := bench.StartProcess(os.Args[0], "-test.run=^TestBenchServerProcess$", "-test.bench=^$")
				if err != nil {
					b.Fatal(err)
				}
				svc, err := wbem.Connect(context.Background(), p.URL(c.query), workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
				if err != nil {
					p.Close()
					b.Fatal(err)
				}
				resetPeakRSS()
				t0 := time.Now()
				got, _ := drain(b, svc)
				wall := time.Since(t0)
				_, server, err := p.Memory()
				if err != nil {
					p.Close()
					b.Fatal(err)
				}
				r := row{name: c.name, n: n, server: server, client: peakRSS(), wall: wall}
				type closer interface{ CloseIdleConnections() }
				svc.Backend().(closer).CloseIdleConnections()
				p.Close()
				if got != n {
					b.Fatalf("%s: got %d instances, want %d", c.name, got, n)
				}
				rows = append(rows, r)
			}
		}
	}
	var t strings.Builder
	fmt.Fprintf(&t, "load average %s at the start, %s at the end\n", loadStart, loadAverage())
	fmt.Fprintf(&t, "%-13s %8s %12s %12s %12s\n", "case", "N", "inst/s wall", "server MiB", "client MiB")
	for _, r := range rows {
		fmt.Fprintf(&t, "%-13s %8d %12.0f %12.1f %12.1f\n", r.name, r.n, float64(r.n)/r.wall.Seconds(),
			float64(r.server)/(1<<20), float64(r.client)/(1<<20))
		b.ReportMetric(float64(r.server)/(1<<20), fmt.Sprintf("server-MiB-%s-%d", strings.ReplaceAll(r.name, "/", "-"), r.n))
	}
	b.Log("\n" + t.String())
}
