package cli

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
)

// overCIMXML is the fixture behind a gowbem CIM-XML endpoint on 127.0.0.1,
// with the user admin.
type overCIMXML struct {
	om  *cimom.ObjectManager
	url string
	pw  string
}

func newOverCIMXML(t *testing.T) *overCIMXML {
	t.Helper()
	r := &overCIMXML{om: fixture(t, &workload.Provider{N: 3})}
	srv := cimxml.NewServer(r.om, cimxml.Options{ServerName: "testhost",
		Authenticator: auth.NewBasic(auth.Static{"admin": {Password: "s3cret", Admin: true}}, auth.BasicOptions{})})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	r.url = hs.URL + "/cimom"
	r.pw = filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(r.pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs wbem --host URL/cimom with args after the global flags.
func (r *overCIMXML) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--host", r.url, "--password-file", r.pw}, args...)
	code = Run(context.Background(), full, Env{Stdout: &out, Stderr: &errb, Local: func(context.Context, string, bool) (ObjectManager, io.Closer, error) {
		t.Fatal("a remote command opened the store")
		return nil, nil, nil
	}})
	return out.String(), errb.String(), code
}

// TestGoldenOverCIMXML runs the commands the audit of issue #15 found
// untested over CIM-XML (classes, class, namespaces, delete --class, put
// --update/--create, enum -p/-w/--shallow) with --host http://…/cimom, and
// requires the transcript the in-process golden file holds: the same
// stdout, stderr and exit code as over the store.
func TestGoldenOverCIMXML(t *testing.T) {
	items := "SELECT Id, Name, Size, Active, Created FROM GW_Item"
	for _, c := range []struct {
		name string
		args []string
	}{
		{"classes", []string{"classes", "GW_Base"}},
		{"classes-shallow-csv", []string{"classes", "--shallow", "-o", "csv", "GW_Base"}},
		{"class", []string{"class", "GW_Grand"}},
		{"class-json", []string{"class", "GW_Door", "-o", "json"}},
		{"class-table", []string{"class", "GW_Grand", "-o", "table"}},
		{"namespaces", []string{"namespaces"}},
		{"namespaces-shallow-csv", []string{"-o", "csv", "namespaces", "--shallow"}},
		{"err-namespaces", []string{"namespaces", "delete", "root"}},
		{"enum-table", []string{"enum", "GW_Base"}},
		{"enum-shallow", []string{"enum", "--shallow", "GW_Base"}},
		{"enum-property-where", []string{"enum", "GW_Base", "-p", "Name,Size", "-w", "Size > 10"}},
		{"enum-shallow-where", []string{"enum", "--shallow", "GW_Base", "--where", "Size >= 1"}},
		{"err-enum-property", []string{"enum", "GW_Base", "-p", "Name;Size"}},
		{"put", []string{"put", "GW_Base", "Name=epsilon", "Size=5"}},
		{"put-create-exists", []string{"put", "--create", "GW_Base", "Name=alpha"}},
		{"delete-class-path", []string{"delete", "GW_Base"}},
		{"delete-missing", []string{"delete", `GW_Base.Name="nobody"`}},
		// Beyond the audit's list: the rest of the golden set that talks to
		// the server.
		{"query-table", []string{"query", items}},
		{"query-json", []string{"query", items, "-o", "json"}},
		{"query-where", []string{"query", "SELECT Name, Size FROM GW_Base WHERE Size > 10"}},
		{"query-path-table", []string{"query", "SELECT __PATH, Name FROM GW_Base"}},
		{"query-system-csv", []string{"-o", "csv", "query", "SELECT __CLASS, __RELPATH, Name FROM GW_Base WHERE Size > 10"}},
		{"query-empty-csv", []string{"-o", "csv", "query", "SELECT * FROM GW_Base WHERE Size > 1000"}},
		{"enum-csv", []string{"-o", "csv", "enum", "GW_Base"}},
		{"enum-jsonl", []string{"-o", "jsonl", "enum", "GW_Base"}},
		{"enum-list", []string{"-o", "list", "enum", "GW_Child"}},
		{"enum-null-empty-table", []string{"enum", "GW_Door"}},
		{"enum-datetimes-csv", []string{"-o", "csv", "enum", "GW_Door"}},
		{"enum-datetimes-json", []string{"-o", "json", "enum", "GW_Door"}},
		{"enum-mof", []string{"-o", "mof", "enum", "GW_Door"}},
		{"enum-empty-csv", []string{"-o", "csv", "enum", "GW_Single"}},
		{"get-list", []string{"get", "GW_Item.Id=1"}},
		{"get-json", []string{"get", `GW_Base.Name="alpha"`, "-o", "json"}},
		{"get-class", []string{"get", "GW_Child"}},
		{"get-class-json", []string{"-o", "jsonl", "get", "GW_Grand"}},
		{"call-static", []string{"call", "GW_Item", "Echo", "Text=hello world"}},
		{"call-instance-json", []string{"-o", "json", "call", "GW_Item.Id=2", "Bump", "By=5"}},
		{"call-returnvalue-range", []string{"call", `GW_Door.Name="front"`, "Open", "How=3"}},
		{"call-returnvalue-values", []string{"call", "GW_Door", "Check", "How=1"}},
		{"call-returnvalue-unknown", []string{"call", `GW_Door.Name="front"`, "Open", "How=9"}},
		{"delete", []string{"delete", `GW_Base.Name="beta"`}},
		{"err-invalid-class", []string{"query", "SELECT * FROM NoSuchClass"}},
		{"err-invalid-query", []string{"query", "SELECT FROM"}},
		{"err-namespace", []string{"-n", "root/nowhere", "enum", "GW_Base"}},
		{"err-method", []string{"call", "GW_Item", "Nope"}},
		{"err-param", []string{"call", "GW_Item", "Echo", "Txt=x"}},
		{"err-type", []string{"put", "GW_Base", "Name=z", "Size=big"}},
		{"err-property", []string{"-o", "csv", "query", "SELECT Name, Nope FROM GW_Item"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", c.name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			r := newOverCIMXML(t)
			stdout, stderr, code := r.run(t, c.args...)
			if got := transcript(c.args, stdout, stderr, code); got != string(want) {
				t.Errorf("over CIM-XML, %s differs from the in-process golden file\ngot:\n%s\nwant:\n%s", c.name, got, want)
			}
		})
	}
}

// aclHead is root\cimv2's access list once set, as security prints it;
// aclCarol the line a grant of FullWrite to carol adds.
const (
	aclHead = "namespace root\\cimv2: its own access list\n" +
		"ACCESS  TRUSTEE               RIGHTS\n" +
		"allow   group:Administrators  Enable,MethodExecute,FullWrite,PartialWrite,ProviderWrite,RemoteAccess,ReadSecurity,EditSecurity\n" +
		"allow   group:Everyone        Enable,MethodExecute,ProviderWrite\n"
	aclCarol = "allow   user:carol            FullWrite\n"
)

// TestSequencesOverCIMXML runs commands that change the server over
// CIM-XML, each step's outcome checked by the next: delete --class,
// put --create and --update, namespaces create and delete, security (the
// access list read and written as extrinsic calls).
func TestSequencesOverCIMXML(t *testing.T) {
	type step struct {
		args   []string
		code   int
		stdout string // exact
		stderr string // a substring
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"delete --class", []step{
			{[]string{"delete", "--class", "GW_Child"}, ExitOK, "", ""},
			{[]string{"-o", "csv", "classes", "GW_Base"}, ExitOK, "Name,Superclass\n", ""},
			{[]string{"-o", "csv", "enum", "GW_Base"}, ExitOK, "Name,Size,Label\nalpha,1,first\nbeta,22,none\n", ""},
			{[]string{"class", "GW_Grand"}, ExitFailed, "", "WBEM_E_NOT_FOUND"},
			{[]string{"delete", "--class", "GW_Child"}, ExitFailed, "", "WBEM_E_NOT_FOUND"},
		}},
		{"put --create", []step{
			{[]string{"put", "--create", "GW_Base", "Name=zeta", "Size=7", "Label=new"}, ExitOK, "GW_Base.Name=\"zeta\"\n", ""},
			{[]string{"-o", "csv", "get", `GW_Base.Name="zeta"`}, ExitOK, "Name,Size,Label\nzeta,7,new\n", ""},
			{[]string{"put", "--create", "GW_Base", "Name=zeta", "Size=8"}, ExitFailed, "", "WBEM_E_ALREADY_EXISTS"},
			{[]string{"-o", "csv", "get", `GW_Base.Name="zeta"`}, ExitOK, "Name,Size,Label\nzeta,7,new\n", ""},
		}},
		{"put --update", []step{
			{[]string{"put", "--update", "GW_Child", "Name=gamma", "Size=5"}, ExitOK, "GW_Child.Name=\"gamma\"\n", ""},
			{[]string{"-o", "csv", "get", `GW_Child.Name="gamma"`}, ExitOK, "Name,Size,Label,Extra\ngamma,5,none,tab\there\n", ""},
			{[]string{"put", "--update", "GW_Child", "Size=6"}, ExitUsage, "", "name the instance by its keys (Name missing)"},
			{[]string{"put", "--update", "GW_Child", "Name=nobody", "Size=6"}, ExitFailed, "", "WBEM_E_NOT_FOUND"},
			{[]string{"-o", "csv", "enum", "--shallow", "GW_Child"}, ExitOK, "Name,Size,Label,Extra\ngamma,5,none,tab\there\n", ""},
		}},
		{"namespaces", []step{
			{[]string{"namespaces", "create", "root/cimv2/x/y"}, ExitOK, "root/cimv2/x/y\n", ""},
			{[]string{"-o", "csv", "namespaces", "root/cimv2"}, ExitOK, "Namespace\nroot/cimv2/x\nroot/cimv2/x/y\n", ""},
			{[]string{"-o", "csv", "namespaces", "root/cimv2", "--shallow"}, ExitOK, "Namespace\nroot/cimv2/x\n", ""},
			{[]string{"namespaces", "delete", "root/cimv2/x"}, ExitOK, "", ""},
			{[]string{"-o", "csv", "namespaces", "root/cimv2"}, ExitOK, "Namespace\n", ""},
			{[]string{"namespaces", "delete", "root/nowhere"}, ExitFailed, "", "WBEM_E_INVALID_NAMESPACE"},
		}},
		{"security", []step{
			{[]string{"security", "show"}, ExitOK, strings.Replace(aclHead, "its own", "the default", 1), ""},
			{[]string{"security", "grant", "carol", "FullWrite"}, ExitOK, aclHead + aclCarol, ""},
			{[]string{"security", "show"}, ExitOK, aclHead + aclCarol, ""},
			{[]string{"security", "revoke", "carol", "FullWrite"}, ExitOK, aclHead, ""},
			{[]string{"security", "grant", "carol", "Bogus"}, ExitUsage, "", `"Bogus"`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOverCIMXML(t)
			for _, st := range tc.steps {
				out, errs, code := r.run(t, st.args...)
				if code != st.code || out != st.stdout || !strings.Contains(errs, st.stderr) {
					t.Errorf("wbem --host …/cimom %s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q",
						strings.Join(st.args, " "), code, out, errs, st.code, st.stdout, st.stderr)
				}
			}
		})
	}
}
