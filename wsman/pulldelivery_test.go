package wsman_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gowbem/gowbem/wsman"
)

// cutServer is srv on loopback, where a request with the header X-Cut gets
// a response writer that holds the response until the client has gone:
// answering is closed when the server has taken the events and starts to
// answer, served gets a value when the server's handler returned. With
// X-Cut: write the writer fails every Write instead.
func cutServer(t *testing.T, srv *wsman.Server) (hs *httptest.Server, answering, served chan struct{}) {
	answering, served = make(chan struct{}), make(chan struct{}, 1)
	hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		how := r.Header.Get("X-Cut")
		if how == "" {
			srv.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(&cutWriter{ResponseWriter: w, ctx: r.Context(), answering: answering, fail: how == "write"}, r)
		served <- struct{}{}
	}))
	t.Cleanup(hs.Close)
	return hs, answering, served
}

type cutWriter struct {
	http.ResponseWriter
	ctx       context.Context
	answering chan struct{}
	fail      bool
	once      sync.Once
}

func (w *cutWriter) WriteHeader(code int) {
	w.once.Do(func() {
		close(w.answering)
		if !w.fail {
			<-w.ctx.Done() // the server saw the client go
		}
		w.ResponseWriter.WriteHeader(code)
	})
}

func (w *cutWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.fail {
		return 0, errors.New("test: the connection broke")
	}
	return w.ResponseWriter.Write(b)
}

func (w *cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cutPull sends body to hs over a connection of its own marked X-Cut: how,
// and leaves once the server answers: "reset" closes the connection with a
// TCP reset (the server's write of the response fails), "close" closes it
// as usual (the server's write succeeds, and nobody reads it), "write"
// leaves it to the response writer to fail. It returns once the server's
// handler has returned.
func cutPull(t *testing.T, hs *httptest.Server, answering, served chan struct{}, how, body string) {
	t.Helper()
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, err := http.NewRequest(http.MethodPost, hs.URL+"/wsman", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	r.Header.Set("X-Cut", how)
	r.SetBasicAuth(testUser, testPass)
	if err := r.Write(conn); err != nil {
		t.Fatal(err)
	}
	<-answering
	switch how {
	case "reset":
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	case "close":
		conn.Close()
	case "write":
		if resp, err := http.ReadResponse(bufio.NewReader(conn), r); err == nil {
			resp.Body.Close()
		}
	}
	<-served
}

// A Pull whose response could not be written — the subscriber reset its
// connection, or the write failed — delivered nothing: its client has
// gone, so its context ends as when the client goes during the wait, and
// the events it had taken go back to the subscription, ahead of later ones
// and with the same sequence numbers. A subscriber with bookmarks resumes
// from its last bookmark and gets them; without bookmarks the subscription
// ends (its client's next Pull is told), it does not go on without them.
// A response written to a connection the client closed counts as
// delivered — the server cannot tell — and a resume from the last bookmark
// the client got replays it.
func TestPullEventsResponseNotWritten(t *testing.T) {
	for _, how := range []string{"reset", "write", "close"} {
		t.Run(how, func(t *testing.T) {
			srv, om := eventServer(t, wsman.Options{})
			hs, answering, served := cutServer(t, srv)
			w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/>", baseFilter))
			id, enum := subIDOf(t, w), enumCtxOf(t, w)
			putNamed(t, om, "a")
			w = call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime>", ""))
			if got := names(w.Body.String()); strings.Join(got, ",") != "a" {
				t.Fatalf("first Pull: %v\n%s", got, w.Body.String())
			}
			putNamed(t, om, "b", "c")
			cutPull(t, hs, answering, served, how, pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime><wsen:MaxElements>10</wsen:MaxElements>", ""))
			w = call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT0.1S</wsen:MaxTime><wsen:MaxElements>10</wsen:MaxElements>", ""))
			if how == "close" {
				wantFault(t, w, 500, "wsman:TimedOut")
			} else {
				wantFault(t, w, 500, "wsen:InvalidEnumerationContext")
			}
			got, bm := pullAll(t, srv, id+";1")
			if strings.Join(got, ",") != "b,c" || bm != ";3" {
				t.Fatalf("resumed after a: %v, bookmark %q; want b,c and ;3", got, bm)
			}
		})
	}
	t.Run("no bookmarks", func(t *testing.T) {
		srv, om := eventServer(t, wsman.Options{})
		hs, answering, served := cutServer(t, srv)
		enum := enumCtxOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "", baseFilter)))
		putNamed(t, om, "a")
		cutPull(t, hs, answering, served, "reset", pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime>", ""))
		wantFault(t, call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT0.1S</wsen:MaxTime>", "")), 500, "wsen:InvalidEnumerationContext")
		waitFor(t, func() bool { return srv.Subscriptions() == 0 && om.Subscriptions() == 0 }, "the subscription did not end")
	})
	// A heartbeat that could not be written tells of a client gone too.
	t.Run("heartbeat", func(t *testing.T) {
		srv, om := eventServer(t, wsman.Options{})
		hs, answering, served := cutServer(t, srv)
		enum := enumCtxOf(t, call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "<wsman:Heartbeats>PT0.1S</wsman:Heartbeats>", "", baseFilter)))
		cutPull(t, hs, answering, served, "reset", pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime>", ""))
		wantFault(t, call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT0.1S</wsen:MaxTime>", "")), 500, "wsen:InvalidEnumerationContext")
		waitFor(t, func() bool { return srv.Subscriptions() == 0 && om.Subscriptions() == 0 }, "the subscription did not end")
	})
}

// A Pull whose client went away as the server read events for it (the
// request's context ended) keeps them for whoever resumes the
// subscription, with those it had already written into its response.
func TestPullEventsClientGoneKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, om := eventServer(t, wsman.Options{})
		w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/>", baseFilter))
		id, enum := subIDOf(t, w), enumCtxOf(t, w)
		putNamed(t, om, "a", "b", "c")
		w = call(srv, testUser, testPass, pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime><wsen:MaxElements>1</wsen:MaxElements>", ""))
		if got := names(w.Body.String()); strings.Join(got, ",") != "a" {
			t.Fatalf("first Pull: %v\n%s", got, w.Body.String())
		}
		// The Pull of a client already gone reads b (c stays queued).
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/wsman", strings.NewReader(pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime><wsen:MaxElements>10</wsen:MaxElements>", "")))
		r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		r.SetBasicAuth(testUser, testPass)
		srv.ServeHTTP(httptest.NewRecorder(), r)
		synctest.Wait()
		if !srv.SubscriptionSuspendedForTest(id) {
			t.Fatal("the subscription is not suspended after its client went")
		}
		got, bm := pullAll(t, srv, id+";1")
		if strings.Join(got, ",") != "b,c" || bm != ";3" {
			t.Fatalf("resumed after a: %v, bookmark %q; want b,c and ;3", got, bm)
		}
	})
}

// completeWriter notes, when the response's last byte is written, whether
// busy says the context is held then.
type completeWriter struct {
	*httptest.ResponseRecorder
	busy      func() bool
	wrote     int
	heldAtEnd bool
}

func (w *completeWriter) Write(b []byte) (int, error) {
	w.wrote += len(b)
	if want := w.Header().Get("Content-Length"); want != "" && fmt.Sprint(w.wrote) == want {
		w.heldAtEnd = w.busy()
	}
	return w.ResponseRecorder.Write(b)
}

// The context of a Pull of events is free before its client can have the
// whole response: a client that sends its next Pull as soon as it has it,
// on another connection, is not told that a Pull is in progress.
func TestPullEventsContextFreeWhenAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, om := eventServer(t, wsman.Options{})
		w := call(srv, testUser, testPass, subscribeBody(wsman.DeliveryPull, "", "<wsman:SendBookmarks/>", baseFilter))
		enum := enumCtxOf(t, w)
		putNamed(t, om, "a")
		r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(pull(allURI, enum, "<wsen:MaxTime>PT10S</wsen:MaxTime>", "")))
		r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		r.SetBasicAuth(testUser, testPass)
		cw := &completeWriter{ResponseRecorder: httptest.NewRecorder(), busy: func() bool { return srv.EnumerationBusyForTest(testUser, enum) }}
		srv.ServeHTTP(cw, r)
		if got := names(cw.Body.String()); strings.Join(got, ",") != "a" || cw.Header().Get("Content-Length") != fmt.Sprint(cw.Body.Len()) {
			t.Fatalf("Pull: %v, Content-Length %s for %d bytes", got, cw.Header().Get("Content-Length"), cw.Body.Len())
		}
		if cw.heldAtEnd {
			t.Fatal("the context was still held when the response's last byte was written")
		}
	})
}
