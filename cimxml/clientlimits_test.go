package cimxml_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// handlerTransport hands the client's requests to a server's handler in
// the same goroutine, without a network, so that a client and a server
// run together inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (h handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	req := r.Clone(r.Context())
	req.RemoteAddr = "192.0.2.1:40000"
	req.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// inBubble returns services over gowbem's CIM-XML client whose requests go
// to srv through handlerTransport.
func inBubble(srv http.Handler, opts cimxml.ClientOptions) *wbem.Services {
	opts.HTTPClient = &http.Client{Transport: handlerTransport{srv}}
	c := cimxml.NewClient("http://testhost/cimom", wbem.Credentials{User: testUser, Password: testPass}, opts)
	return wbem.NewServices(c, workload.Namespace)
}

// wantCIMError requires err to be a *cim.Error of status want whose
// description has each of the words.
func wantCIMError(t *testing.T, what string, err error, want cim.Status, words ...string) {
	t.Helper()
	var ce *cim.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s: %T %v, want a *cim.Error", what, err, err)
	}
	if ce.Status != want {
		t.Errorf("%s: status %v, want %v (%v)", what, ce.Status, want, err)
	}
	for _, w := range words {
		if !strings.Contains(ce.Description, w) {
			t.Errorf("%s: description %q lacks %q", what, ce.Description, w)
		}
	}
}

// The client's pull enumeration idle past its OperationTimeout (asked by
// the client: ClientOptions.OperationTimeout) is closed by the server; the
// client's next pull gets CIM_ERR_INVALID_ENUMERATION_CONTEXT (21), which
// reaches the caller as a *cim.Error of WBEM_E_INVALID_PARAMETER after the
// objects it had already received. A consumer within the timeout is not
// cut off.
func TestClientEnumerationExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
		srv := newServer(t, p, cimxml.Options{})
		svc := inBubble(srv, cimxml.ClientOptions{MaxObjectCount: 100, OperationTimeout: time.Minute})
		en, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer en.Close()
		buf := make([]cim.Object, 10)
		if n, err := en.Next(wbem.Infinite, buf); n != 10 || err != nil {
			t.Fatalf("Next = %d, %v", n, err)
		}
		// The client's queue fills and its pulls stop; within the timeout
		// the context lives.
		synctest.Wait()
		time.Sleep(50 * time.Second)
		if srv.OpenEnumerations() != 1 {
			t.Fatal("the context expired before its OperationTimeout")
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if srv.OpenEnumerations() != 0 {
			t.Fatal("the context outlived its OperationTimeout")
		}
		if err := <-p.Done; err == nil {
			t.Fatal("the provider completed instead of being cancelled")
		}
		got := 10
		for {
			n, err := en.Next(wbem.Infinite, buf)
			got += n
			if err != nil {
				wantCIMError(t, "Next after expiry", err, cim.WBEM_E_INVALID_PARAMETER, "enumeration context", "expired")
				break
			}
			if n == 0 || got > 1<<20 {
				t.Fatalf("Next = %d, nil after %d objects", n, got)
			}
		}
		if got < 10 || got > wbem.DefaultQueueSize+200 {
			t.Errorf("%d objects before the error, want what the client had queued", got)
		}
	})
}

// A user at the per-user limit of open enumerations gets
// CIM_ERR_SERVER_LIMITS_EXCEEDED (27) on the next Open, which reaches the
// caller as a *cim.Error of WBEM_E_QUOTA_VIOLATION naming the limit;
// closing an enumeration (CloseEnumeration) frees its place.
func TestClientEnumerationLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 1 << 30}, cimxml.Options{MaxContextsPerUser: 2})
		svc := inBubble(srv, cimxml.ClientOptions{MaxObjectCount: 10})
		ctx := context.Background()
		open := func() (*wbem.Enumerator, error) {
			en, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM GW_Item", semisync)
			if err != nil {
				return nil, err
			}
			if _, err := en.Next(wbem.Infinite, make([]cim.Object, 1)); err != nil {
				en.Close()
				return nil, err
			}
			return en, nil
		}
		first, err := open()
		if err != nil {
			t.Fatal(err)
		}
		second, err := open()
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		_, err = open()
		wantCIMError(t, "a third Open", err, cim.WBEM_E_QUOTA_VIOLATION, "2 open enumerations")
		first.Close()
		synctest.Wait()
		third, err := open()
		if err != nil {
			t.Fatalf("an Open after a Close: %v", err)
		}
		third.Close()
	})
}

// recordOpens keeps the bodies of the Open requests a server receives.
type recordOpens struct {
	h     http.Handler
	mu    sync.Mutex
	opens []string
}

func (rec *recordOpens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Header.Get("CIMMethod"), "Open") {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.opens = append(rec.opens, string(body))
		rec.mu.Unlock()
	}
	rec.h.ServeHTTP(w, r)
}

// The URL parameter operationtimeout of wbem.Connect is the OperationTimeout
// the client's Opens ask for, in whole seconds; without it the client sends
// none (the server's default).
func TestClientOperationTimeoutURL(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 5}, cimxml.Options{})
	rec := &recordOpens{h: srv}
	hs := httptest.NewServer(rec)
	defer hs.Close()
	for _, tc := range []struct {
		query string
		want  string // in the Open's body; "" none
	}{
		{"?operationtimeout=90s", `<IPARAMVALUE NAME="OperationTimeout"><VALUE>90</VALUE></IPARAMVALUE>`},
		{"?operationtimeout=2m", `<IPARAMVALUE NAME="OperationTimeout"><VALUE>120</VALUE></IPARAMVALUE>`},
		{"", ""},
	} {
		rec.mu.Lock()
		rec.opens = nil
		rec.mu.Unlock()
		svc := connectTo(t, hs.URL+"/cimom"+tc.query)
		en, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisync)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := en.Collect(context.Background())
		en.Close()
		if err != nil || len(objs) != 5 {
			t.Fatalf("%q: %d objects, %v", tc.query, len(objs), err)
		}
		rec.mu.Lock()
		opens := rec.opens
		rec.mu.Unlock()
		if len(opens) != 1 {
			t.Fatalf("%q: %d Open requests", tc.query, len(opens))
		}
		if tc.want != "" && !strings.Contains(opens[0], tc.want) {
			t.Errorf("%q: the Open lacks %s:\n%s", tc.query, tc.want, opens[0])
		}
		if tc.want == "" && strings.Contains(opens[0], "OperationTimeout") {
			t.Errorf("%q: the Open asks an OperationTimeout:\n%s", tc.query, opens[0])
		}
	}
}
