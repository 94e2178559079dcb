package wsman_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// writesRecorder records the size of each write of a response body.
type writesRecorder struct {
	*httptest.ResponseRecorder
	writes []int
}

func (w *writesRecorder) Write(b []byte) (int, error) {
	w.writes = append(w.writes, len(b))
	return w.ResponseRecorder.Write(b)
}

func callWrites(h http.Handler, body string) *writesRecorder {
	r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	r.SetBasicAuth(testUser, testPass)
	w := &writesRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(w, r)
	return w
}

// An Enumerate or Pull response that grows past Options.ResponseChunk and
// finds no room in Options.ResponseBudget goes out in writes of about a
// chunk while its items are encoded, without a Content-Length, so that a
// response in flight holds a chunk of memory, not the whole of it (issue
// 20: 64 responses of 1,000 instances in flight were 32 MB); its context's
// element went out with the first chunk, so the end of the enumeration is
// told by the next Pull. A response that stays under a chunk or within the
// budget, and every response with ResponseChunk negative, goes in one write
// with its Content-Length, the end told with the last items (issue 20: a
// lone client's 0.5 MB response in 16 writes cost the wire's ceiling).
func TestResponsesInChunks(t *testing.T) {
	const n, batch, chunk = 2500, 1000, 4096
	const maxItem = 1024 // a workload item is about 500 bytes
	for _, tc := range []struct {
		name      string
		chunk     int
		budget    int64
		batch     int
		responses int // with the Enumerate's
		streamed  bool
	}{
		// 1000 + 1000 + 500 (the end not known when the context went
		// out) + the end alone.
		{name: "in chunks", chunk: chunk, budget: -1, batch: batch, responses: 4, streamed: true},
		// A response of 1000 items is ~0.5 MB: more than this budget
		// (reserved up front, then grown) holds.
		{name: "past the budget", chunk: chunk, budget: 200_000, batch: batch, responses: 4, streamed: true},
		{name: "within the default budget", chunk: chunk, batch: batch, responses: 3},
		{name: "whole", chunk: -1, batch: batch, responses: 3},
		// Each response of 5 items stays under the chunk: 500 responses,
		// the last one with the end.
		{name: "small responses", chunk: chunk, budget: -1, batch: 5, responses: n / 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newServer(t, &workload.Provider{N: n}, wsman.Options{ResponseChunk: tc.chunk, ResponseBudget: tc.budget})
				bs := strconv.Itoa(tc.batch)
				w := callWrites(srv, enumerate(itemURI, "<wsman:OptimizeEnumeration/><wsman:MaxElements>"+bs+"</wsman:MaxElements>"))
				var got []int
				responses, streamed := 0, false
				for {
					responses++
					body := w.Body.Bytes()
					if w.Code != http.StatusOK {
						t.Fatalf("response %d: HTTP %d\n%.500s", responses, w.Code, body)
					}
					if err := wellFormed(body); err != nil {
						t.Fatalf("response %d is not well-formed XML: %v\n%.500s", responses, err, body)
					}
					cl := w.Header().Get("Content-Length")
					if held := srv.ResponseBudgetHeld(); held != 0 {
						t.Fatalf("response %d: %d bytes of the budget still held after it", responses, held)
					}
					if len(body) > tc.chunk && tc.chunk > 0 && tc.streamed {
						streamed = true
						if cl != "" {
							t.Fatalf("response %d of %d bytes went out whole (Content-Length %s), not in chunks of %d", responses, len(body), cl, tc.chunk)
						}
						for i, s := range w.writes {
							// The first write holds what the response grew to
							// within the budget.
							if s > tc.chunk+maxItem && (i > 0 || int64(s) > tc.budget+maxItem) {
								t.Fatalf("response %d: write %d of %d bytes, more than a chunk of %d and an item", responses, i, s, tc.chunk)
							}
						}
						if len(w.writes) < (len(body)-w.writes[0])/(tc.chunk+maxItem) {
							t.Fatalf("response %d of %d bytes in %d writes", responses, len(body), len(w.writes))
						}
					} else if len(w.writes) != 1 || cl != strconv.Itoa(len(body)) {
						t.Fatalf("response %d of %d bytes: %d writes, Content-Length %q; want one write with its length", responses, len(body), len(w.writes), cl)
					}
					items := ids(string(body))
					got = append(got, items...)
					eos := bytes.Contains(body, []byte("EndOfSequence"))
					hasCtx := ctxRE.Match(body)
					if eos == hasCtx {
						t.Fatalf("response %d: EndOfSequence %v with a context %v", responses, eos, hasCtx)
					}
					if eos {
						break
					}
					if responses > n {
						t.Fatal("the enumeration does not end")
					}
					// Let the provider run until it blocks on the full
					// queue or has ended: whether a response tells the end
					// with its last items depends on whether the provider
					// has returned by then, which without this wait is a
					// race the scheduler decides (one Pull more, now and then).
					synctest.Wait()
					w = callWrites(srv, pull(itemURI, ctxRE.FindStringSubmatch(string(body))[1], "<wsen:MaxElements>"+bs+"</wsen:MaxElements>", ""))
				}
				if len(got) != n {
					t.Fatalf("%d instances came, want %d", len(got), n)
				}
				for i, id := range got {
					if id != i {
						t.Fatalf("instance %d has Id %d: out of order or lost", i, id)
					}
				}
				if responses != tc.responses || streamed != tc.streamed {
					t.Fatalf("%d responses (in chunks: %v), want %d (%v)", responses, streamed, tc.responses, tc.streamed)
				}
				if k := srv.OpenEnumerations(); k != 0 {
					t.Fatalf("%d contexts open after the end", k)
				}
			})
		})
	}
}

// The response budget is the server's, shared by its responses in flight:
// while one Pull's response holds it, whole, another's that does not fit
// beside it goes out in chunks; once the first is done, the next one is
// whole again, and nothing stays held.
func TestResponseBudgetShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const batch = "<wsen:MaxElements>1000</wsen:MaxElements>"
		p := &workload.Provider{N: 3000, Delay: time.Millisecond}
		// Room for one response of 1000 workload items (~0.5 MB), not two.
		srv := newServer(t, p, wsman.Options{ResponseChunk: 4096, ResponseBudget: 700_000})
		open := func() string {
			w := call(srv, testUser, testPass, enumerate(itemURI, ""))
			m := ctxRE.FindStringSubmatch(w.Body.String())
			if m == nil {
				t.Fatalf("no context in %s", w.Body)
			}
			return m[1]
		}
		a, b := open(), open()
		whole := func(name string, w *writesRecorder) {
			t.Helper()
			if w.Code != http.StatusOK || len(w.writes) != 1 || w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
				t.Fatalf("%s: HTTP %d, %d writes, Content-Length %q; want it whole, in one write with its length", name, w.Code, len(w.writes), w.Header().Get("Content-Length"))
			}
			if got := len(ids(w.Body.String())); got != 1000 {
				t.Fatalf("%s: %d items, want 1000", name, got)
			}
		}
		doneA := make(chan *writesRecorder)
		go func() { doneA <- callWrites(srv, pull(itemURI, a, batch, "")) }()
		time.Sleep(100 * time.Millisecond) // A has some items and holds the budget
		if held := srv.ResponseBudgetHeld(); held <= 0 {
			t.Fatalf("a response in flight holds %d bytes of the budget", held)
		}
		wb := callWrites(srv, pull(itemURI, b, batch, ""))
		if wb.Code != http.StatusOK || wb.Header().Get("Content-Length") != "" || len(wb.writes) < 10 {
			t.Fatalf("B beside A: HTTP %d, %d writes, Content-Length %q; want it in chunks", wb.Code, len(wb.writes), wb.Header().Get("Content-Length"))
		}
		if got := len(ids(wb.Body.String())); got != 1000 {
			t.Fatalf("B: %d items, want 1000", got)
		}
		whole("A", <-doneA)
		if held := srv.ResponseBudgetHeld(); held != 0 {
			t.Fatalf("%d bytes of the budget held with no response in flight", held)
		}
		whole("A's next", callWrites(srv, pull(itemURI, a, batch, "")))
		whole("B's next", callWrites(srv, pull(itemURI, b, batch, "")))
		if held := srv.ResponseBudgetHeld(); held != 0 {
			t.Fatalf("%d bytes of the budget held with no response in flight", held)
		}
		call(srv, testUser, testPass, release(itemURI, a))
		call(srv, testUser, testPass, release(itemURI, b))
	})
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// gowbem's client reads responses in chunks, and the end told by a Pull
// of its own, over a real connection.
func TestClientReadsChunkedResponses(t *testing.T) {
	const n = 2500
	e := newEnv(t, &workload.Provider{N: n}, wsman.Options{ResponseChunk: 4096})
	svc := e.connect(t, testUser, testPass, "maxelements=1000")
	for range 2 {
		if got, _ := drain(t, svc); got != n {
			t.Fatalf("got %d instances, want %d", got, n)
		}
	}
	waitFor(t, func() bool { return e.srv.OpenEnumerations() == 0 }, "a context stayed open after the end")
}

// A client that goes away while its response goes out in chunks ends the
// response: its context is closed and its provider cancelled, as when it
// goes away during the wait for objects.
func TestChunkedResponseClientGone(t *testing.T) {
	p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
	e := newEnv(t, p, wsman.Options{ResponseChunk: 4096})
	post := func(ctx context.Context, body string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.SetBasicAuth(testUser, testPass)
		return http.DefaultClient.Do(req)
	}
	resp, err := post(context.Background(), enumerate(itemURI, ""))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := ctxRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no context in %s", b)
	}
	// 65,536 items of up to 64 MB: far more than the socket's buffers
	// hold, so the server is still writing when the client goes.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err = post(ctx, pull(itemURI, string(m[1]), "<wsen:MaxElements>65536</wsen:MaxElements>", "<wsman:MaxEnvelopeSize>67108864</wsman:MaxEnvelopeSize>"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != -1 {
		t.Fatalf("Content-Length %d: the response did not go out in chunks", resp.ContentLength)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	select {
	case <-p.Done:
	case <-time.After(time.Minute):
		t.Fatal("the provider was not cancelled")
	}
	waitFor(t, func() bool { return e.srv.OpenEnumerations() == 0 }, "the context stayed open")
	waitFor(t, func() bool { return e.srv.ResponseBudgetHeld() == 0 }, "the response's part of the budget stayed held")
}
