package wsman_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The client's Identify runs under its caller's ctx: an interrupted
// command does not wait for a server that does not answer (it waited up to
// 10 s). A failure that says nothing of the server is not remembered: the
// next call asks again and learns the server is gowbem.
func TestIdentifyFollowsTheCaller(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	creds := wbem.Credentials{User: testUser, Password: testPass}
	c := wsman.NewClient(hang.URL+"/wsman", creds, wsman.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	name, gowbem := c.InfoForTest(ctx)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Identify took %v after its caller's ctx ended at 100 ms", d)
	}
	if name != "127.0.0.1" || gowbem {
		t.Fatalf("unanswered: name %q, gowbem %v", name, gowbem)
	}

	srv := newServer(t, &workload.Provider{N: 1}, wsman.Options{ServerName: "testhost"})
	var failing atomic.Bool
	failing.Store(true)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			panic(http.ErrAbortHandler) // the connection drops: a transport failure
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	c = wsman.NewClient(hs.URL+"/wsman", creds, wsman.ClientOptions{})
	if name, gowbem := c.InfoForTest(t.Context()); name != "127.0.0.1" || gowbem {
		t.Fatalf("connection dropped: name %q, gowbem %v", name, gowbem)
	}
	failing.Store(false)
	if name, gowbem := c.InfoForTest(t.Context()); name != "testhost" || !gowbem {
		t.Fatalf("after a dropped connection, the server answering: name %q, gowbem %v (the failure was remembered)", name, gowbem)
	}
	failing.Store(true)
	if name, gowbem := c.InfoForTest(t.Context()); name != "testhost" || !gowbem {
		t.Fatalf("the answer was not remembered: name %q, gowbem %v", name, gowbem)
	}
}
