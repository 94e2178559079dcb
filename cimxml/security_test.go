package cimxml_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// callerLog is a backend that records the caller of each operation.
type callerLog struct {
	wbem.Backend
	mu  sync.Mutex
	ops map[wbem.OpKind]*identity.Caller
}

func (c *callerLog) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	caller, _ := identity.FromContext(ctx)
	c.mu.Lock()
	c.ops[op.Kind] = caller
	c.mu.Unlock()
	return c.Backend.Do(ctx, op, w)
}

// The authenticated caller reaches the backend in the operation's context,
// also for a pull enumeration (which outlives its request), marked remote
// unless IsLocal says otherwise.
func TestCallerReachesBackend(t *testing.T) {
	for _, local := range []bool{false, true} {
		log := &callerLog{Backend: interop.NewObjectManager(&workload.Provider{N: 3}), ops: map[wbem.OpKind]*identity.Caller{}}
		opts := cimxml.Options{Authenticator: testAuthenticator()}
		if local {
			opts.IsLocal = func(r *http.Request) bool { return strings.HasPrefix(r.RemoteAddr, "192.0.2.") }
		}
		srv := cimxml.NewServer(log, opts)
		defer srv.Close()
		wantOK(t, icall(srv, "GetInstance", ip("InstanceName", instName("Test_Foo", "Id", "a"))))
		_, ctx := openEnum(t, srv, 1)
		pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 1))
		for _, k := range []wbem.OpKind{wbem.OpGetObject, wbem.OpCreateInstanceEnum} {
			c := log.ops[k]
			if c == nil || c.Name != testUser || !c.Admin || c.Method != "basic" || c.Remote == local || c.Address != "192.0.2.1:1234" {
				t.Fatalf("local %v: %v ran as %+v", local, k, c)
			}
		}
	}
}

// A caller without the rights gets CIM_ERR_ACCESS_DENIED: here a user who
// is no administrator, calling from another machine without RemoteAccess.
func TestAccessDenied(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 3}, cimxml.Options{})
	w := post(srv, "guest", "guest", "GetInstance", "root/cimv2", imethod("GetInstance", ip("InstanceName", instName("Test_Foo", "Id", "a"))))
	wantError(t, w, 2)
	w = post(srv, "guest", "guest", "OpenEnumerateInstances", "root/cimv2", imethod("OpenEnumerateInstances", ip("ClassName", className(workload.ClassName)), ip("MaxObjectCount", val("5"))))
	wantError(t, w, 2)
	if srv.OpenEnumerations() != 0 {
		t.Fatal("a refused enumeration kept its context")
	}
	// From this machine the same user may read.
	local := newServer(t, &workload.Provider{N: 3}, cimxml.Options{IsLocal: func(*http.Request) bool { return true }})
	wantOK(t, post(local, "guest", "guest", "GetInstance", "root/cimv2", imethod("GetInstance", ip("InstanceName", instName("Test_Foo", "Id", "a")))))
}

// Refused logins are logged (wrong passwords too, which throttling
// counts); a missing Authorization header only gets its challenge.
func TestRefusalLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	srv := newServer(t, nil, cimxml.Options{Logger: logger, Authenticator: auth.NewBasic(auth.Static{testUser: {Password: testPass}}, auth.BasicOptions{})})
	post(srv, testUser, "wrong", "EnumerateClassNames", "root/cimv2", imethod("EnumerateClassNames"))
	post(srv, "", "", "EnumerateClassNames", "root/cimv2", imethod("EnumerateClassNames"))
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Count(buf.String(), "CIM-XML request refused"); got != 1 || !strings.Contains(buf.String(), "192.0.2.1") {
		t.Fatalf("log:\n%s", buf.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
