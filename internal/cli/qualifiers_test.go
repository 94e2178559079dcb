package cli

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
)

// A remote mofcomp stores the file's qualifier declarations on a server
// that keeps them (gowbem over CIM-XML), and goes on without them on one
// that does not (gowbem over WS-Management answers NOT_SUPPORTED).
func TestRemoteMofcompQualifiers(t *testing.T) {
	ctx := context.Background()
	mofFile := filepath.Join("testdata", "qualifiers.mof")
	om := fixture(t, &workload.Provider{N: 1})
	srv := cimxml.NewServer(om, cimxml.Options{ServerName: "testhost",
		Authenticator: auth.NewBasic(auth.Static{"admin": {Password: "s3cret", Admin: true}}, auth.BasicOptions{})})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"--host", hs.URL + "/cimom", "--password-file", pw, "mofcomp", mofFile},
		Env{Stdout: &out, Stderr: &errb, Local: func(context.Context, string, bool) (ObjectManager, io.Closer, error) {
			t.Fatal("a remote command opened the store")
			return nil, nil, nil
		}})
	if code != ExitOK {
		t.Fatalf("mofcomp over CIM-XML: %d\n%s%s", code, out.String(), errb.String())
	}
	svc := om.Services(`root\acmeq`)
	units, err := svc.GetQualifier(ctx, "Units")
	if err != nil {
		t.Fatalf("the declaration of Units did not arrive: %v", err)
	}
	if units.Type != cim.TypeString || units.Scopes != cim.ScopeProperty || units.Flavor != cim.FlavorToSubclass|cim.FlavorTranslatable {
		t.Errorf("Units arrived as %+v", units)
	}
	if qs, err := svc.EnumQualifiers(ctx); err != nil || len(qs) != 2 {
		t.Errorf("root\\acmeq declares %d qualifiers (%v), want 2", len(qs), err)
	}

	// Over WS-Management the same file compiles: the declarations are
	// left out, the class and instance arrive.
	r := newRemote(t, false)
	if _, errs, code := r.run(t, ctx, "mofcomp", mofFile); code != ExitOK {
		t.Fatalf("mofcomp over WS-Management: %d %s", code, errs)
	}
	if _, err := r.om.Services(`root\acmeq`).GetObject(ctx, `ACMEQ_Gauge.Name="g1"`, 0); err != nil {
		t.Errorf("the instance did not arrive over WS-Management: %v", err)
	}
}
