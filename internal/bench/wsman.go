package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// BigEnvelope is the MaxEnvelopeSize of the throughput runs, large enough
// for 10,000 workload instances per response.
const BigEnvelope = 64 << 20

// Drain enumerates the workload class over svc, forward-only and
// semisynchronous, and returns how many instances came and the time from
// the call to the first one.
func Drain(svc *wbem.Services) (int, time.Duration, error) {
	start := time.Now()
	e, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		return 0, 0, err
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
			return total, first, nil
		}
		if err != nil {
			return total, first, err
		}
	}
}

// Client returns services of the workload's namespace over WS-Management at
// endpoint, pulling maxElements per Pull within envelope bytes.
func Client(endpoint string, maxElements, envelope int) *wbem.Services {
	c := wsman.NewClient(endpoint, wbem.Credentials{User: User, Password: Password},
		wsman.ClientOptions{MaxElements: maxElements, MaxEnvelopeSize: envelope})
	return wbem.NewServices(c, workload.Namespace)
}

// ThroughputResult is what Throughput measured: for each run, the
// instances per second of the server's endpoint and of the wire's ceiling,
// in wall-clock time and in processor time (the server process's and the
// client's together, getrusage: on a loaded machine wall-clock time
// scatters, processor time much less).
type ThroughputResult struct {
	Server, Ceiling       []float64 // instances per wall-clock second
	ServerCPU, CeilingCPU []float64 // instances per processor second
}

// Throughput enumerates n instances reps times from the server's
// WS-Management endpoint and from its wire's ceiling (CeilingHandler),
// interleaved, with an optimized Enumerate and Pulls of k, and returns the
// instances per second of each run. The client is the bare one of RawDrain
// (it counts the items of each response and sends the next Pull), as in
// issue 20's comparison with OMI: gowbem's own client decodes every
// instance, which costs more than the server's work and would hide it.
// The server's provider must yield n instances.
func Throughput(p *Process, n, k, reps int) (ThroughputResult, error) {
	var r ThroughputResult
	svc := NewPoster(p.URL("/wsman"))
	bare := NewPoster(p.URL(fmt.Sprintf("/ceiling/%d/%d", k, n)))
	defer svc.Close()
	defer bare.Close()
	run := func(pp *Poster) (wall, cpu float64, err error) {
		srv0, err := p.CPU()
		if err != nil {
			return 0, 0, err
		}
		self0, start := CPUTime(), time.Now()
		got, _, err := RawDrain(pp, k, BigEnvelope)
		elapsed, self := time.Since(start), CPUTime()-self0
		if err == nil && got != n {
			err = fmt.Errorf("%d instances came, not %d", got, n)
		}
		srv1, err1 := p.CPU()
		if err == nil {
			err = err1
		}
		return float64(n) / elapsed.Seconds(), float64(n) / (self + srv1 - srv0).Seconds(), err
	}
	for _, pp := range []*Poster{svc, bare} { // warm the connections and the canned responses
		if _, _, err := run(pp); err != nil {
			return r, err
		}
	}
	for range reps {
		a, ac, err := run(svc)
		if err != nil {
			return r, err
		}
		b, bc, err := run(bare)
		if err != nil {
			return r, fmt.Errorf("ceiling: %w", err)
		}
		r.Server, r.Ceiling = append(r.Server, a), append(r.Ceiling, b)
		r.ServerCPU, r.CeilingCPU = append(r.ServerCPU, ac), append(r.CeilingCPU, bc)
	}
	return r, nil
}

// ConcurrentResult is what Concurrent measured.
type ConcurrentResult struct {
	Rate     float64         // instances per second, all clients together
	Firsts   []time.Duration // each enumeration's time to its first instance, sorted
	PeakRSS  uint64          // the server process's peak resident set
	PeakHeap uint64          // the peak of its Go heap's objects, sampled
	CPU      time.Duration   // the server process's processor time
	Received int
}

// Concurrent runs clients enumerations of n instances at once, each on its
// own connection with Pulls of k (in the server's default MaxEnvelopeSize),
// rounds times after a warm-up, and measures the server process's peak
// resident set over the rounds. The server's provider must yield n. The
// clients are gowbem's (wbem.Connect's: they decode every instance, and
// send each Pull before decoding the previous response), or with raw set
// bare HTTP clients that count the items of each response and send the
// next Pull: they cost little, so that the server runs as fast as it can.
func Concurrent(p *Process, clients, n, k, rounds int, raw bool) (ConcurrentResult, error) {
	return ConcurrentAt(p, "/wsman", clients, n, k, rounds, raw)
}

// ConcurrentAt is Concurrent on the server at path (/wsman or
// /wsman-whole).
func ConcurrentAt(p *Process, path string, clients, n, k, rounds int, raw bool) (ConcurrentResult, error) {
	var r ConcurrentResult
	drains := make([]func() (int, time.Duration, error), clients)
	for i := range drains {
		if raw {
			pp := NewPoster(p.URL(path))
			defer pp.Close()
			drains[i] = func() (int, time.Duration, error) { return RawDrain(pp, k, wsman.DefaultMaxEnvelopeSize) }
		} else {
			svc := Client(p.URL(path), k, wsman.DefaultMaxEnvelopeSize)
			defer svc.Backend().(*wsman.Client).CloseIdleConnections()
			drains[i] = func() (int, time.Duration, error) { return Drain(svc) }
		}
		if _, _, err := drains[i](); err != nil {
			return r, err
		}
	}
	if err := p.ResetPeak(); err != nil {
		return r, err
	}
	cpu0, _ := p.CPU()
	stop := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if h, err := p.Heap(false); err == nil {
				peak = max(peak, h.Objects)
			}
			select {
			case <-stop:
				sampled <- peak
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	var mu sync.Mutex
	var firstErr error
	for range rounds {
		var wg sync.WaitGroup
		for _, drain := range drains {
			wg.Go(func() {
				got, f, err := drain()
				mu.Lock()
				defer mu.Unlock()
				if err == nil && got != n {
					err = fmt.Errorf("%d instances came, not %d", got, n)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				r.Received += got
				r.Firsts = append(r.Firsts, f)
			})
		}
		wg.Wait()
	}
	r.Rate = float64(r.Received) / time.Since(start).Seconds()
	close(stop)
	r.PeakHeap = <-sampled
	cpu1, _ := p.CPU()
	r.CPU = cpu1 - cpu0
	_, r.PeakRSS, _ = p.Memory()
	slices.Sort(r.Firsts)
	return r, firstErr
}

// IdleResult is what IdleContexts measured: the server process's resident
// set and live heap (after a collection) before, with the contexts open,
// and after one Pull on each.
type IdleResult struct {
	RSS, RSSOpen, RSSPulled    uint64
	Heap, HeapOpen, HeapPulled uint64
	Goroutines                 uint64 // with the contexts open
}

// IdleContexts opens count enumeration contexts (Enumerate without
// optimization: nothing is sent yet), measures, sends one Pull of k on
// each, measures again, and releases them. The server's provider must
// yield more than k instances, and the user may open count contexts.
func IdleContexts(p *Process, count, k int) (IdleResult, error) {
	var r IdleResult
	ctx := context.Background()
	const conns = 4
	posters := make([]*Poster, conns)
	for i := range posters {
		posters[i] = NewPoster(p.URL("/wsman"))
		defer posters[i].Close()
	}
	measure := func(rss, heap *uint64, goroutines *uint64) error {
		h, err := p.Heap(true)
		if err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond) // let the collection's effect settle
		*rss, _, err = p.Memory()
		*heap = h.Objects
		if goroutines != nil {
			*goroutines = h.Goroutines
		}
		return err
	}
	if err := measure(&r.RSS, &r.Heap, nil); err != nil {
		return r, err
	}
	ids := make([]string, count)
	each := func(f func(i int, pp *Poster) error) error {
		var wg sync.WaitGroup
		errs := make([]error, conns)
		for c := range conns {
			wg.Go(func() {
				for i := c; i < count; i += conns {
					if err := f(i, posters[c]); err != nil && errs[c] == nil {
						errs[c] = err
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := each(func(i int, pp *Poster) error {
		out, err := pp.Post(ctx, ActionEnumerate, "<wsen:Enumerate/>", wsman.DefaultMaxEnvelopeSize)
		if err == nil {
			if ids[i] = ContextOf(out); ids[i] == "" {
				err = fmt.Errorf("no context in %.300s", out)
			}
		}
		return err
	})
	defer each(func(i int, pp *Poster) error {
		if ids[i] != "" {
			pp.Post(ctx, ActionRelease, "<wsen:Release><wsen:EnumerationContext>"+ids[i]+"</wsen:EnumerationContext></wsen:Release>", wsman.DefaultMaxEnvelopeSize)
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	time.Sleep(200 * time.Millisecond) // let the providers fill what they may
	if err := measure(&r.RSSOpen, &r.HeapOpen, &r.Goroutines); err != nil {
		return r, err
	}
	ks := strconv.Itoa(k)
	err = each(func(i int, pp *Poster) error {
		_, err := pp.Post(ctx, ActionPull, "<wsen:Pull><wsen:EnumerationContext>"+ids[i]+"</wsen:EnumerationContext><wsen:MaxElements>"+ks+"</wsen:MaxElements></wsen:Pull>", wsman.DefaultMaxEnvelopeSize)
		return err
	})
	if err != nil {
		return r, err
	}
	time.Sleep(200 * time.Millisecond)
	return r, measure(&r.RSSPulled, &r.HeapPulled, nil)
}

// RawDrain enumerates the workload class with bare requests on pp: an
// optimized Enumerate of k, then Pulls of k until the end, in envelopes of
// up to envelope bytes, counting the items of each response. It returns
// the count and the time to the first response with items.
func RawDrain(pp *Poster, k, envelope int) (int, time.Duration, error) {
	ctx := context.Background()
	ks := strconv.Itoa(k)
	start := time.Now()
	var first time.Duration
	out, err := pp.Post(ctx, ActionEnumerate, "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>"+ks+"</wsman:MaxElements></wsen:Enumerate>", envelope)
	total := 0
	for err == nil {
		got := bytes.Count(out, itemStart)
		if total == 0 && got > 0 {
			first = time.Since(start)
		}
		total += got
		if bytes.Contains(out, []byte("EndOfSequence")) {
			return total, first, nil
		}
		id := ContextOf(out)
		if id == "" {
			return total, first, fmt.Errorf("neither a context nor the end in %.300s", out)
		}
		out, err = pp.Post(ctx, ActionPull, "<wsen:Pull><wsen:EnumerationContext>"+id+"</wsen:EnumerationContext><wsen:MaxElements>"+ks+"</wsen:MaxElements></wsen:Pull>", envelope)
	}
	return total, first, err
}

// Set sets the server process's soft memory limit (negative: none) and its
// contexts' budget (enumctx.Table.SetMaxBuffered); 0 leaves either as it is.
func (p *Process) Set(memlimit, maxBuffered int64) error {
	q := ""
	if memlimit != 0 {
		q += "&memlimit=" + strconv.FormatInt(memlimit, 10)
	}
	if maxBuffered != 0 {
		q += "&maxbuffered=" + strconv.FormatInt(maxBuffered, 10)
	}
	resp, err := http.Get(p.URL("/debug/set?" + q))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("setting the server: HTTP %d", resp.StatusCode)
	}
	return nil
}
