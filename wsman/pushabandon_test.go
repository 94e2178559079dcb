package wsman_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/wsman"
)

// stuckListener is a push listener on loopback that never answers: each
// request is announced on came and waits until its client gives up.
func stuckListener(t *testing.T) (*httptest.Server, chan struct{}) {
	came := make(chan struct{}, 64)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		came <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before srv.Close: cleanups run last first
	return srv, came
}

func notifyURL(url string) string {
	return "<wse:NotifyTo><wsa:Address>" + url + "/events</wsa:Address></wse:NotifyTo>"
}

// pullAll resumes the subscription at bookmark by pull and returns the
// events a Pull gets, and the bookmark after them.
func pullAll(t *testing.T, srv *wsman.Server, bookmark string) ([]string, string) {
	t.Helper()
	w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/><wsman:Bookmark>"+bookmark+"</wsman:Bookmark>", baseFilter))
	enum := enumCtxOf(t, w)
	w = call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT1S</wsen:MaxTime><wsen:MaxElements>10</wsen:MaxElements>", ""))
	bm := ""
	if m := bookmarkRE.FindStringSubmatch(w.Body.String()); m != nil {
		bm = m[1][strings.LastIndexByte(m[1], ';'):]
	}
	return names(w.Body.String()), bm
}

// A push that a resume takes over while the listener holds a message: the
// message was not delivered, so the resumed subscription gets it first,
// numbered as the next event — it is neither lost nor counted delivered.
func TestPushAbandonedInFlightKept(t *testing.T) {
	l, came := stuckListener(t)
	srv, om := pushServer(t)
	id := subIDOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPushWithAck, notifyURL(l.URL), "<wsman:SendBookmarks/>", baseFilter)))
	putNamed(t, om, "a", "b", "c")
	<-came // a is at the listener, which does not answer
	got, bm := pullAll(t, srv, id+";0")
	if strings.Join(got, ",") != "a,b,c" || bm != ";3" {
		t.Fatalf("resumed after the push of a was cut short: %v, bookmark %q; want a,b,c and ;3", got, bm)
	}
}

// The events a resumed push delivers again are kept as well when another
// resume cuts that delivery short.
func TestPushAbandonedReplayKept(t *testing.T) {
	l, came := stuckListener(t)
	srv, om := pushServer(t)
	w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/>", baseFilter))
	id := subIDOf(t, w)
	enum := enumCtxOf(t, w)
	putNamed(t, om, "a", "b")
	w = call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT5S</wsen:MaxTime><wsen:MaxElements>2</wsen:MaxElements>", ""))
	if got := names(w.Body.String()); strings.Join(got, ",") != "a,b" {
		t.Fatalf("pulled %v", got)
	}
	// Resumed by push from the start: a and b go again, to a listener that
	// holds the first.
	id2 := subIDOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPushWithAck, notifyURL(l.URL), "<wsman:SendBookmarks/><wsman:Bookmark>"+id+";0</wsman:Bookmark>", baseFilter)))
	<-came
	putNamed(t, om, "c")
	got, bm := pullAll(t, srv, id2+";0")
	if strings.Join(got, ",") != "a,b,c" || bm != ";3" {
		t.Fatalf("resumed after the replay by push was cut short: %v, bookmark %q; want a,b,c and ;3", got, bm)
	}
}

// A push subscription with bookmarks whose listener fails every retry is
// suspended; the event that failed waits for the subscriber who resumes.
func TestPushUndeliverableKept(t *testing.T) {
	l := newListener(t)
	l.fail = 1 << 30
	srv, om := pushServer(t)
	retry := "<wsman:ConnectionRetry Total=\"1\">PT0.01S</wsman:ConnectionRetry>"
	id := subIDOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPushWithAck, notifyTo(l)+retry, "<wsman:SendBookmarks/>", baseFilter)))
	putNamed(t, om, "a")
	deadline := time.Now().Add(20 * time.Second)
	for !srv.SubscriptionSuspendedForTest(id) {
		if time.Now().After(deadline) {
			t.Fatal("the subscription was not suspended after its listener failed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	putNamed(t, om, "b")
	got, bm := pullAll(t, srv, id+";0")
	if strings.Join(got, ",") != "a,b" || bm != ";2" {
		t.Fatalf("resumed after delivery failed: %v, bookmark %q; want a,b and ;2", got, bm)
	}
}
