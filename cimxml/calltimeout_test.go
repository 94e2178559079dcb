package cimxml_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// deaf is a backend whose providers ignore their ctx: the operations on
// instances and methods hang until released, and an enumeration of the
// workload takes twice the server's call timeout before it starts.
type deaf struct {
	wbem.Backend
	release chan struct{}
	slow    time.Duration
}

func (b *deaf) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	switch {
	case op.Kind == wbem.OpGetObject && strings.Contains(op.Path, "."),
		op.Kind == wbem.OpPutInstance, op.Kind == wbem.OpDeleteInstance, op.Kind == wbem.OpExecMethod:
		<-b.release // ctx ignored
		return nil
	case op.Kind == wbem.OpCreateInstanceEnum:
		time.Sleep(b.slow) // ctx ignored
	}
	return b.Backend.Do(ctx, op, w)
}

// A stand-alone server bounds every call that is not an enumeration by
// Options.CallTimeout, as WS-Management's server does (internal/deadline):
// a provider that ignores its ctx no longer holds the request, which is
// answered CIM_ERR_FAILED at the timeout, not a moment before. An
// enumeration slower than that timeout still completes.
func TestCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &deaf{Backend: interop.NewObjectManager(&workload.Provider{N: 3}), release: make(chan struct{}), slow: 2 * cimxml.DefaultCallTimeout}
		defer close(b.release) // the stuck providers return at the end
		srv := cimxml.NewServer(b, cimxml.Options{Authenticator: testAuthenticator(), ServerName: "testhost"})
		defer srv.Close()
		foo := instName("Test_Foo", "Id", "a")
		extrinsic := func() string {
			body := `<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="DoIt"><LOCALINSTANCEPATH>` +
				nsRootCimv2 + foo + `</LOCALINSTANCEPATH><PARAMVALUE NAME="X"><VALUE>1</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`
			w := post(srv, testUser, testPass, "DoIt", `root%2Fcimv2%3ATest_Foo.Id="a"`, body)
			return w.Body.String()
		}
		for _, tc := range []struct {
			name string
			call func() string
		}{
			{"GetInstance", func() string { return icall(srv, "GetInstance", ip("InstanceName", foo)).Body.String() }},
			{"DeleteInstance", func() string { return icall(srv, "DeleteInstance", ip("InstanceName", foo)).Body.String() }},
			{"CreateInstance", func() string { return icall(srv, "CreateInstance", newFoo("z")).Body.String() }},
			{"GetProperty", func() string {
				return icall(srv, "GetProperty", ip("InstanceName", foo), ip("PropertyName", val("Id"))).Body.String()
			}},
			{"extrinsic DoIt", extrinsic},
		} {
			start := time.Now()
			body := tc.call()
			if took := time.Since(start); took != cimxml.DefaultCallTimeout {
				t.Errorf("%s answered after %v, want the call timeout %v", tc.name, took, cimxml.DefaultCallTimeout)
			}
			m := errorRE.FindStringSubmatch(body)
			if m == nil || m[1] != "1" || !strings.Contains(m[2], "did not finish within the call timeout of 1m0s") {
				t.Errorf("%s answered:\n%s", tc.name, body)
			}
		}
		// An enumeration is not cut by the call timeout.
		start := time.Now()
		body := wantOK(t, icall(srv, "EnumerateInstances", ip("ClassName", className(workload.ClassName))))
		if n := strings.Count(body, "<VALUE.NAMEDINSTANCE>"); n != 3 || time.Since(start) < b.slow {
			t.Errorf("enumeration of %d instances in %v:\n%s", n, time.Since(start), body)
		}
	})
}

// Options.CallTimeout replaces the default.
func TestCallTimeoutOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &deaf{Backend: interop.NewObjectManager(&workload.Provider{N: 1}), release: make(chan struct{})}
		defer close(b.release)
		srv := cimxml.NewServer(b, cimxml.Options{Authenticator: testAuthenticator(), CallTimeout: 5 * time.Second})
		defer srv.Close()
		start := time.Now()
		d := wantError(t, icall(srv, "GetInstance", ip("InstanceName", instName("Test_Foo", "Id", "a"))), 1)
		if took := time.Since(start); took != 5*time.Second || !strings.Contains(d, "5s") {
			t.Errorf("answered after %v: %q", took, d)
		}
	})
}
