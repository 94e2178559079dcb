package wsman_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/wsman"
)

// ackListener is a push listener on loopback that acknowledges every
// request it takes and refuses (HTTP 500) those fail says, counted from 1.
type ackListener struct {
	mu      sync.Mutex
	n       int
	fail    func(n int) bool
	took    []string
	arrived chan struct{}
	srv     *httptest.Server
}

var messageIDRE = regexp.MustCompile(`<wsa:MessageID>([^<]*)</wsa:MessageID>`)

func newAckListener(t *testing.T, fail func(n int) bool) *ackListener {
	l := &ackListener{fail: fail, arrived: make(chan struct{}, 1<<10)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		l.n++
		if l.fail(l.n) {
			l.mu.Unlock()
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		l.took = append(l.took, string(body))
		l.mu.Unlock()
		l.arrived <- struct{}{}
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		fmt.Fprintf(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>`+
			`<wsa:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack</wsa:Action><wsa:RelatesTo>%s</wsa:RelatesTo></s:Header><s:Body/></s:Envelope>`,
			messageIDRE.FindStringSubmatch(string(body))[1])
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// wait returns the messages taken once n have been.
func (l *ackListener) wait(t *testing.T, n int) []string {
	t.Helper()
	for {
		l.mu.Lock()
		if len(l.took) >= n {
			out := append([]string(nil), l.took...)
			l.mu.Unlock()
			return out
		}
		l.mu.Unlock()
		<-l.arrived
	}
}

// overflowed is a subscription with bookmarks whose replay window lost its
// first two events: ReplayWindow+2 events were pulled. It returns the
// subscription's identifier; a resume from its start gets a notice of two
// lost events, then the ReplayWindow events named e002, e003, … (the
// events of one MOF come in the order of their names).
func overflowed(t *testing.T) (*wsman.Server, string) {
	t.Helper()
	srv, om := pushServer(t)
	w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/>", baseFilter))
	id, enum := subIDOf(t, w), enumCtxOf(t, w)
	total := wsman.ReplayWindow + 2
	var all []string
	for i := range total {
		all = append(all, fmt.Sprintf("e%03d", i))
	}
	putNamed(t, om, all...)
	got := pullEvents(t, srv, enum, total)
	if len(got) != total || got[0] != "e000" || got[total-1] != all[total-1] {
		t.Fatalf("pulled %d: %v … %v", len(got), got[0], got[len(got)-1])
	}
	return srv, id
}

// pullEvents pulls on enum until n events came and returns their names.
func pullEvents(t *testing.T, srv *wsman.Server, enum string, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		w := call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime><wsen:MaxElements>100</wsen:MaxElements>", ""))
		if w.Code != 200 {
			t.Fatalf("Pull after %d events: HTTP %d\n%s", len(got), w.Code, w.Body.String())
		}
		got = append(got, names(w.Body.String())...)
	}
	return got
}

func lastBookmark(t *testing.T, msg string) string {
	t.Helper()
	m := bookmarkRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no bookmark in\n%s", msg)
	}
	return m[1]
}

// In Events mode a message holding a notice of lost events goes out as two
// requests, DroppedEvents and Events. When the second fails once, its
// retry sends the Events only: the listener takes each once.
func TestPushEventsRetryAfterPart(t *testing.T) {
	srv, id := overflowed(t)
	l := newAckListener(t, func(n int) bool { return n == 2 })
	delivery := notifyURL(l.srv.URL) + "<wsman:MaxElements>1000</wsman:MaxElements><wsman:MaxTime>PT0.1S</wsman:MaxTime>" +
		`<wsman:ConnectionRetry Total="3">PT0.01S</wsman:ConnectionRetry>`
	subIDOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryEvents, delivery, "<wsman:SendBookmarks/><wsman:Bookmark>"+id+";0</wsman:Bookmark>", baseFilter)))
	took := l.wait(t, 2)
	if !strings.Contains(took[0], "/wsman/DroppedEvents</wsa:Action>") || !strings.Contains(took[0], `/wsman/Event">2</wsman:DroppedEvents>`) {
		t.Fatalf("first message taken:\n%s", took[0])
	}
	if !strings.Contains(took[1], "/wsman/Events</wsa:Action>") {
		t.Fatalf("the second message taken is not the Events, the notice came again:\n%.600s", took[1])
	}
	if got := names(took[1]); len(got) != wsman.ReplayWindow || got[0] != "e002" {
		t.Fatalf("the Events message holds %d events from %v", len(got), got[:min(len(got), 1)])
	}
	// The notice's number, then the events'.
	if a, b := lastBookmark(t, took[0]), lastBookmark(t, took[1]); !strings.HasSuffix(a, ";1") || !strings.HasSuffix(b, fmt.Sprintf(";%d", wsman.ReplayWindow+1)) {
		t.Fatalf("bookmarks %s, %s", a, b)
	}
}

// When the second request keeps failing, the subscription is suspended
// with the part the listener took counted delivered: a resume from the
// listener's last bookmark (the notice's) gets the events, not the notice
// again.
func TestPushEventsSuspendedAfterPart(t *testing.T) {
	srv, id := overflowed(t)
	l := newAckListener(t, func(n int) bool { return n >= 2 })
	delivery := notifyURL(l.srv.URL) + "<wsman:MaxElements>1000</wsman:MaxElements><wsman:MaxTime>PT0.1S</wsman:MaxTime>" +
		`<wsman:ConnectionRetry Total="1">PT0.01S</wsman:ConnectionRetry>`
	id2 := subIDOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryEvents, delivery, "<wsman:SendBookmarks/><wsman:Bookmark>"+id+";0</wsman:Bookmark>", baseFilter)))
	took := l.wait(t, 1)
	bm := lastBookmark(t, took[0])
	waitFor(t, func() bool { return srv.SubscriptionSuspendedForTest(id2) }, "the subscription was not suspended after its listener failed")
	w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/><wsman:Bookmark>"+bm+"</wsman:Bookmark>", baseFilter))
	got := pullEvents(t, srv, enumCtxOf(t, w), wsman.ReplayWindow)
	if len(got) != wsman.ReplayWindow || got[0] != "e002" || got[len(got)-1] != fmt.Sprintf("e%03d", wsman.ReplayWindow+1) {
		t.Fatalf("resumed from %s: %d events, %v … %v", bm, len(got), got[0], got[len(got)-1])
	}
}
