package wsman_test

import (
	"net/http/httptest"
	"regexp"
	"testing"
	"testing/synctest"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

var countRE = regexp.MustCompile(`<wsman:TotalItemsCountEstimate(?: xsi:nil="true"/>|>(\d+)</wsman:TotalItemsCountEstimate>)`)

// countOf returns the TotalItemsCountEstimate of a response: "nil", the
// number, or "" when there is none.
func countOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("HTTP %d\n%s", w.Code, w.Body.String())
	}
	m := countRE.FindStringSubmatch(w.Body.String())
	switch {
	case m == nil:
		return ""
	case m[1] == "":
		return "nil"
	}
	return m[1]
}

const askCount = "<wsman:RequestTotalItemsCountEstimate/>"

// RequestTotalItemsCountEstimate gets the enumeration's total when it is
// known without reading on — the enumeration has ended, or its provider
// has finished and the rest waits in the queue — and DSP0226's nil
// estimate while a provider still streams.
func TestTotalItemsCountEstimate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 5}, wsman.Options{})
		optimized := func(uri, extra, headers string) string {
			return envelope(actEnumerate, uri, headers, "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>10</wsman:MaxElements>"+extra+"</wsen:Enumerate>")
		}
		// Ended in the EnumerateResponse.
		if got := countOf(t, call(srv, testUser, testPass, optimized(itemURI, "", askCount))); got != "5" {
			t.Fatalf("an optimized Enumerate that ended: estimate %q, want 5", got)
		}
		// Not asked: none.
		if got := countOf(t, call(srv, testUser, testPass, optimized(itemURI, "", ""))); got != "" {
			t.Fatalf("not asked for, the estimate is %q", got)
		}
		// Once the provider has finished and the rest waits in the queue,
		// every Pull knows. (The queue holds what the next Pull may take:
		// a Pull of 3 lets the provider finish, maybe only after it
		// answered.)
		six := newServer(t, &workload.Provider{N: 6}, wsman.Options{})
		id := enumCtxOf(t, call(six, testUser, testPass, enumerate(itemURI, "")))
		synctest.Wait()
		if got := countOf(t, call(six, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>3</wsen:MaxElements>", askCount))); got != "6" && got != "nil" {
			t.Fatalf("the first Pull: estimate %q, want 6 or nil", got)
		}
		for i := range 3 {
			synctest.Wait()
			w := call(six, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>1</wsen:MaxElements>", askCount))
			if got := countOf(t, w); got != "6" {
				t.Fatalf("Pull %d of a finished enumeration: estimate %q, want 6\n%s", i+2, got, w.Body.String())
			}
		}
		// A SelectorFilter that ended counts what it selected.
		sel := `<wsman:Filter Dialect="` + wsman.DialectSelector + `">` + selectors("Id", "3") + `</wsman:Filter>`
		if got := countOf(t, call(srv, testUser, testPass, optimized(itemURI, sel, askCount))); got != "1" {
			t.Fatalf("a SelectorFilter enumeration that ended: estimate %q, want 1", got)
		}

		// While the provider streams, the total is not known: nil.
		gate := make(chan struct{})
		slow := newServer(t, &workload.Provider{N: 5, Gate: gate}, wsman.Options{})
		id = enumCtxOf(t, call(slow, testUser, testPass, enumerate(itemURI, "")))
		gate <- struct{}{}
		gate <- struct{}{}
		synctest.Wait()
		if got := countOf(t, call(slow, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>1</wsen:MaxElements>", askCount))); got != "nil" {
			t.Fatalf("a Pull while the provider streams: estimate %q, want nil", got)
		}
		close(gate)
		if got := countOf(t, call(slow, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>10</wsen:MaxElements>", askCount))); got != "5" {
			t.Fatalf("the Pull that ends the enumeration: estimate %q, want 5", got)
		}

		// The number stays within MaxEnvelopeSize.
		big := newServer(t, &workload.Provider{N: 300}, wsman.Options{})
		id = enumCtxOf(t, call(big, testUser, testPass, enumerate(itemURI, "")))
		synctest.Wait()
		w := call(big, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>1000</wsen:MaxElements>", askCount+"<wsman:MaxEnvelopeSize>8192</wsman:MaxEnvelopeSize>"))
		if got := countOf(t, w); got != "300" && got != "nil" {
			t.Fatalf("estimate %q, want 300 or nil", got)
		}
		if w.Body.Len() > 8192 {
			t.Fatalf("the response of %d bytes is over MaxEnvelopeSize 8192", w.Body.Len())
		}
	})
}
