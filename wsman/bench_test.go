package wsman_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

const semisyncFlags = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY

// drain enumerates GW_Item over svc and returns the count and the time to
// the first instance.
func drain(b testing.TB, svc *wbem.Services) (int, time.Duration) {
	start := time.Now()
	e, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisyncFlags)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 1000)
	total := 0
	var first time.Duration
	for {
		n, err := e.Next(wbem.Infinite, buf)
		if total == 0 && n > 0 {
			first = time.Since(start)
		}
		total += n
		clear(buf[:n])
		if err == io.EOF {
			return total, first
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// Enumerate 10^5 (and, without -short, 10^6) workload instances over
// loopback on one keep-alive connection.
func BenchmarkEnumerate(b *testing.B) {
	sizes := []int{100_000}
	if !testing.Short() {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		for _, batch := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("N=%d/MaxElements=%d", n, batch), func(b *testing.B) {
				e := newEnv(b, &workload.Provider{N: n}, wsman.Options{})
				svc := e.connect(b, testUser, testPass, fmt.Sprintf("maxelements=%d&maxenvelopesize=%d", batch, 64<<20))
				drain(b, svc) // warm the connection and the class cache
				var first time.Duration
				b.ResetTimer()
				for range b.N {
					got, f := drain(b, svc)
					if got != n {
						b.Fatalf("got %d instances, want %d", got, n)
					}
					first += f
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inst/s")
				b.ReportMetric(float64(first.Microseconds())/float64(b.N)/1000, "ms-to-first")
			})
		}
	}
}

// 64 clients, each enumerating 10^4 instances at the same time.
func BenchmarkConcurrent64(b *testing.B) {
	const clients, n = 64, 10_000
	e := newEnv(b, &workload.Provider{N: n}, wsman.Options{MaxContextsPerUser: clients})
	svcs := make([]*wbem.Services, clients)
	for i := range svcs {
		svcs[i] = e.connect(b, testUser, testPass, "maxelements=1000")
		drain(b, svcs[i])
	}
	var firsts []time.Duration
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, svc := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, f := drain(b, svc)
				if got != n {
					b.Errorf("got %d instances", got)
				}
				mu.Lock()
				firsts = append(firsts, f)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(clients*n)*float64(b.N)/b.Elapsed().Seconds(), "inst/s")
	slices.Sort(firsts)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(firsts[0]), "first-min-ms")
	b.ReportMetric(ms(firsts[len(firsts)/2]), "first-median-ms")
	b.ReportMetric(ms(firsts[len(firsts)-1]), "first-max-ms")
}

// Many Pulls of one instance on one keep-alive connection: the cost of a
// round trip (no connection set-up, no Nagle delay).
func BenchmarkPullRoundTrip(b *testing.B) {
	e := newEnv(b, &workload.Provider{N: 1 << 30}, wsman.Options{})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer hc.CloseIdleConnections()
	post := func(body string) string {
		req, _ := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
		req.SetBasicAuth(testUser, testPass)
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return string(out)
	}
	m := ctxRE.FindStringSubmatch(post(enumerate(itemURI, "")))
	if m == nil {
		b.Fatal("no context")
	}
	p := pull(itemURI, m[1], "", "")
	b.ResetTimer()
	for range b.N {
		if out := post(p); !strings.Contains(out, "<p:GW_Item>") {
			b.Fatalf("Pull: %.300s", out)
		}
	}
}

// The cost of writing one instance as XML (the server's hot path).
func BenchmarkWriteInstance(b *testing.B) {
	inst := workload.Build(workload.Class(), 12345)
	w := wsman.NewInstanceWriterForTest(itemURI)
	b.ReportAllocs()
	for range b.N {
		w.Write(inst)
	}
}

// BenchmarkEventLatency: a repository change until its creation event
// reaches a semisynchronous consumer, in-process and over WS-Management
// (a WS-Eventing pull subscription of the client) on loopback, against the
// same object manager in the same process.
func BenchmarkEventLatency(b *testing.B) {
	e := newEnv(b, &workload.Provider{}, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	for _, tc := range []struct {
		name string
		svc  *wbem.Services
	}{{"inprocess", local}, {"wsman", e.connect(b, testUser, testPass, "")}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			ev, err := tc.svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", semisyncFlags)
			if err != nil {
				b.Fatal(err)
			}
			defer ev.Close()
			cr, err := local.GetObject(ctx, "GW_Base", 0)
			if err != nil {
				b.Fatal(err)
			}
			obj, _ := cr.ResultObject(wbem.Infinite)
			c := obj.(*cim.Class)
			buf := make([]cim.Object, 1)
			var lat []time.Duration
			i := 0
			for b.Loop() {
				inst := c.NewInstance()
				inst.Set("Name", cim.String(fmt.Sprintf("%s-%d", tc.name, i)))
				i++
				start := time.Now()
				if _, err := local.PutInstance(ctx, inst, 0); err != nil {
					b.Fatal(err)
				}
				if n, err := ev.Next(10*time.Second, buf); n != 1 {
					b.Fatalf("no event: %v", err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()), "p99-µs")
		})
	}
}
