package cimxml_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

const (
	testUser = "user"
	testPass = "pass"
	semisync = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY
)

// testEnv is a cimxml server on 127.0.0.1 in front of an object manager
// with the workload and the interop matrix's classes.
type testEnv struct {
	om  *cimom.ObjectManager
	p   *workload.Provider
	srv *cimxml.Server
	hs  *httptest.Server
	url string // …/cimom
}

// userURL is the server's URL with the test user's name and password in
// it, as wbemcli takes them.
func (e *testEnv) userURL() string {
	return strings.Replace(e.hs.URL, "http://", "http://"+testUser+":"+testPass+"@", 1)
}

func newEnv(t testing.TB, p *workload.Provider, opts *cimxml.Options) *testEnv {
	t.Helper()
	if p == nil {
		p = &workload.Provider{}
	}
	var o cimxml.Options
	if opts != nil {
		o = *opts
	}
	om := interop.NewObjectManager(p)
	if o.Authenticator == nil && !o.AllowAnonymous {
		o.Authenticator = testAuthenticator()
	}
	if o.ServerName == "" {
		o.ServerName = "testhost"
	}
	srv := cimxml.NewServer(om, o)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return &testEnv{om: om, p: p, srv: srv, hs: hs, url: hs.URL + "/cimom"}
}

// connect returns services over CIM-XML as testUser; query sets client
// options (maxobjectcount=, pull=false).
func (e *testEnv) connect(t testing.TB, query string) *wbem.Services {
	t.Helper()
	return e.connectAs(t, testUser, testPass, query)
}

func (e *testEnv) connectAs(t testing.TB, user, pass, query string) *wbem.Services {
	t.Helper()
	u := e.url
	if query != "" {
		u += "?" + query
	}
	svc, err := wbem.Connect(context.Background(), u, workload.Namespace, wbem.Credentials{User: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Backend().(*cimxml.Client).CloseIdleConnections() })
	return svc
}

// testAuthenticator knows testUser and "other" (administrators) and
// "guest" (not one).
func testAuthenticator() auth.Authenticator {
	return auth.NewBasic(testUsers, auth.BasicOptions{})
}

var testUsers = auth.Static{
	testUser: {Password: testPass, Admin: true},
	"other":  {Password: "secret", Admin: true},
	"guest":  {Password: "guest"},
}
