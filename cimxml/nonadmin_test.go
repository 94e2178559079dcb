package cimxml_test

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/wbem"
)

// postFrom is post from the remote address from (host:port): where the
// server sees the request come from.
func postFrom(srv http.Handler, from, user, pass, method, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/cimom", strings.NewReader(imethod(method, body)))
	r.RemoteAddr = from
	r.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	r.Header.Set("CIMOperation", "MethodCall")
	r.Header.Set("CIMProtocolVersion", "1.0")
	r.Header.Set("CIMMethod", method)
	r.Header.Set("CIMObject", "root%2Fcimv2")
	r.SetBasicAuth(user, pass)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

// A user who is no administrator names a listener on the host their
// request came from only (its IP address, a port from 1024; any loopback
// address for a caller on the loopback); anything else is
// CIM_ERR_ACCESS_DENIED naming the destination, and logged. An
// administrator names any.
func TestNonAdminListenerDestination(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	srv := newServer(t, nil, cimxml.Options{Logger: logger, Indications: &cimxml.IndicationOptions{}})
	for i, tc := range []struct {
		user, from, dest string
		says             string // "" accepted
	}{
		{"guest", "127.0.0.1:5000", "http://127.0.0.1:40000/x", ""},
		{"guest", "127.0.0.1:5000", "http://[::1]:40000/x", ""},
		{"guest", "[::1]:5000", "https://127.0.0.2:40000/x", ""},
		{"guest", "127.0.0.1:5000", "http://127.0.0.1:1024/", ""},
		{"guest", "127.0.0.1:5000", "http://127.0.0.1:65535/", ""},
		{"guest", "192.0.2.7:5000", "http://192.0.2.7:5990/listener", ""},
		{"guest", "[::ffff:192.0.2.7]:5000", "http://192.0.2.7:5990/", ""},
		{"guest", "[2001:db8::7]:5000", "http://[2001:db8::7]:5990/", ""},
		{"guest", "192.0.2.7:5000", "http://192.0.2.8:5990/", "came from (192.0.2.7)"},
		{"guest", "192.0.2.7:5000", "http://127.0.0.1:5990/", "came from (192.0.2.7)"},
		{"guest", "127.0.0.1:5000", "http://10.0.0.1:5990/", "came from (127.0.0.1)"},
		{"guest", "127.0.0.1:5000", "http://169.254.169.254:8080/latest", "came from"},
		{"guest", "127.0.0.1:5000", "http://localhost:5990/", "not by a host name"},
		{"guest", "127.0.0.1:5000", "http://127.0.0.1/", `not "80"`},
		{"guest", "127.0.0.1:5000", "https://127.0.0.1/", `not "443"`},
		{"guest", "127.0.0.1:5000", "http://127.0.0.1:1023/", `not "1023"`},
		{"guest", "127.0.0.1:5000", "http://[fe80::1%25eth0]:5990/", "came from"},
		{"guest", "unknown", "http://127.0.0.1:5990/", "unknown"},
		{testUser, "127.0.0.1:5000", "http://10.0.0.1:80/", ""},
		{testUser, "192.0.2.7:5000", "http://listener.example:5990/", ""},
	} {
		pass := map[string]string{"guest": "guest", testUser: testPass}[tc.user]
		w := postFrom(srv, tc.from, tc.user, pass, "CreateInstance", destInst("d"+string(rune('a'+i)), tc.dest))
		if tc.says == "" {
			wantOK(t, w)
			continue
		}
		desc := html.UnescapeString(wantError(t, w, 2))
		if !strings.Contains(desc, tc.dest) || !strings.Contains(desc, tc.says) || !strings.Contains(desc, `"guest"`) {
			t.Errorf("%s from %s to %s: %q does not name the destination, the user and %q", tc.user, tc.from, tc.dest, desc, tc.says)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(buf.String(), "CIM-XML listener destination refused"); n != 10 || !strings.Contains(buf.String(), "destination=http://10.0.0.1:5990/") {
		t.Fatalf("%d refusals logged:\n%s", n, buf.String())
	}
}

// A user who is no administrator subscribes with a listener on their own
// host and gets the events of the namespaces they may read; no other user
// (administrators included) sees, changes or deletes their objects, nor
// they anyone's; their subscription runs with their rights (from another
// machine without RemoteAccess: refused); and they hold at most MaxPerUser
// objects, counted apart from other users'.
func TestNonAdminSubscription(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{MaxPerUser: 4, RetryInterval: time.Millisecond}})
	const local = "127.0.0.1:5000"
	guest := func(method, params string) *httptest.ResponseRecorder {
		return postFrom(srv, local, "guest", "guest", method, params)
	}
	wantOK(t, guest("CreateInstance", filterInst("gf", creationQuery)))
	wantOK(t, guest("CreateInstance", destInst("gd", url)))
	wantOK(t, guest("CreateInstance", subInst("gf", "gd")))
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev1")))
	waitUntil(t, "delivered to the guest's listener", func() bool { return rec.count() == 1 })

	// Other users, administrators too, see none of the guest's objects
	// and cannot delete or change them.
	for _, user := range [][2]string{{testUser, testPass}, {"other", "secret"}} {
		as := func(method, params string) string {
			return postFrom(srv, local, user[0], user[1], method, params).Body.String()
		}
		for _, class := range []string{"CIM_IndicationFilter", "CIM_ListenerDestinationCIMXML", "CIM_IndicationSubscription"} {
			if body := as("EnumerateInstances", ip("ClassName", className(class))); strings.Contains(body, "<INSTANCE") || strings.Contains(body, "<ERROR") {
				t.Fatalf("%s enumerates the guest's %s:\n%s", user[0], class, body)
			}
		}
		for _, params := range []string{ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf")), ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "gd")), ip("InstanceName", subName("gf", "gd"))} {
			for _, method := range []string{"GetInstance", "DeleteInstance"} {
				if body := as(method, params); !strings.Contains(body, `<ERROR CODE="6"`) {
					t.Fatalf("%s %s of the guest's object:\n%s", user[0], method, body)
				}
			}
		}
		modified := `<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>gf</VALUE></PROPERTY><PROPERTY NAME="Query" TYPE="string"><VALUE>SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Test_Foo'</VALUE></PROPERTY></INSTANCE>`
		if body := as("ModifyInstance", ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+fourKeys("CIM_IndicationFilter", "gf")+modified+`</VALUE.NAMEDINSTANCE>`)); !strings.Contains(body, "<ERROR") {
			t.Fatalf("%s modifies the guest's filter:\n%s", user[0], body)
		}
	}
	wantOK(t, guest("GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf"))), creationQuery)
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev2")))
	waitUntil(t, "still delivered", func() bool { return rec.count() == 2 })

	// Nor does the guest reach another user's objects.
	wantOK(t, icall(srv, "CreateInstance", filterInst("uf", creationQuery)))
	wantError(t, guest("GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "uf"))), 6)
	wantError(t, guest("DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "uf"))), 6)
	if desc := wantError(t, guest("CreateInstance", subInst("uf", "gd")), 4); !strings.Contains(desc, "of yours") {
		t.Fatalf("the guest joins another user's filter: %q", desc)
	}
	if body := wantOK(t, guest("EnumerateInstanceNames", ip("ClassName", className("CIM_IndicationFilter")))); strings.Count(body, "<INSTANCENAME") != 1 || !strings.Contains(body, ">gf<") {
		t.Fatalf("the guest's filters:\n%s", body)
	}

	// Names are each user's own: the same name is another object, and
	// nobody learns that another user has one so named.
	wantOK(t, icall(srv, "CreateInstance", filterInst("gf", "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Test_Foo'")))
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf"))), "__InstanceDeletionEvent")
	wantOK(t, guest("GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf"))), creationQuery)
	wantOK(t, icall(srv, "DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf"))))
	wantOK(t, guest("GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf"))), creationQuery)

	// The limit: the fourth object is the last; other users count apart.
	wantOK(t, guest("CreateInstance", filterInst("gf4", creationQuery)))
	if desc := wantError(t, guest("CreateInstance", filterInst("gf5", creationQuery)), 27); !strings.Contains(desc, `&quot;guest&quot; holds 4`) {
		t.Fatalf("past the limit: %q", desc)
	}
	wantOK(t, icall(srv, "CreateInstance", destInst("ud", url)))
	wantOK(t, guest("DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf4"))))
	wantOK(t, guest("CreateInstance", filterInst("gf5", creationQuery)))

	// The subscription runs as the guest: from another machine the guest
	// lacks RemoteAccess, and the subscription is refused.
	const remote = "192.0.2.7:5000"
	remoteSrv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{}})
	wantOK(t, postFrom(remoteSrv, remote, "guest", "guest", "CreateInstance", filterInst("rf", creationQuery)))
	wantOK(t, postFrom(remoteSrv, remote, "guest", "guest", "CreateInstance", destInst("rd", "http://192.0.2.7:5990/")))
	if desc := wantError(t, postFrom(remoteSrv, remote, "guest", "guest", "CreateInstance", subInst("rf", "rd")), 2); !strings.Contains(desc, "RemoteAccess") {
		t.Fatalf("a remote guest's subscription: %q", desc)
	}
	if st := remoteSrv.IndicationStats(); st.Subscriptions != 0 {
		t.Fatalf("the refused subscription is kept: %+v", st)
	}
}

// A user who is no administrator keeps their subscription across a
// restart (their destination checked again against the address their
// request came from); an administrator since demoted loses a destination
// no longer theirs to name, and the subscription using it.
func TestNonAdminSubscriptionPersists(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	path := filepath.Join(t.TempDir(), "repo.db")
	users := map[string]*identity.Caller{testUser: {Name: testUser, Admin: true}, "other": {Name: "other", Admin: true}, "guest": {Name: "guest"}}
	srv, om, stop := persistentServer(t, path, users)
	const local = "127.0.0.1:5000"
	for _, p := range []string{filterInst("gf", creationQuery), destInst("gd", url), subInst("gf", "gd")} {
		wantOK(t, postFrom(srv, local, "guest", "guest", "CreateInstance", p))
	}
	for _, p := range []string{filterInst("of", creationQuery), destInst("od", "http://10.0.0.1:5990/"), subInst("of", "od")} {
		wantOK(t, postFrom(srv, local, "other", "secret", "CreateInstance", p))
	}
	// A record of an older server, kept under another Id, is taken over.
	cl, err := getObject(om.Services(cimxml.RecordNamespace), cimxml.RecordClass)
	if err != nil {
		t.Fatal(err)
	}
	legacy := cl.(*cim.Class).NewInstance()
	legacy.Set("Id", cim.String("legacy-id"))
	legacy.Set("Kind", cim.Uint8(1))
	legacy.Set("Namespace", cim.String(`root\cimv2`))
	legacy.Set("Owner", cim.String("guest"))
	legacy.Set("Instance", cim.String(`<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>legacy</VALUE></PROPERTY><PROPERTY NAME="Query" TYPE="string"><VALUE>`+creationQuery+`</VALUE></PROPERTY></INSTANCE>`))
	if _, err := om.Services(cimxml.RecordNamespace).PutInstance(t.Context(), legacy, wbem.WBEM_FLAG_CREATE_ONLY); err != nil {
		t.Fatal(err)
	}
	stop()

	users["other"] = &identity.Caller{Name: "other"} // no longer an administrator
	srv, om, stop = persistentServer(t, path, users)
	defer stop()
	if st := srv.IndicationStats(); st.Subscriptions != 1 {
		t.Fatalf("after the restart: %+v", st)
	}
	wantOK(t, icall(srv, "CreateInstance", newFoo("after-restart")))
	waitUntil(t, "delivered to the guest after the restart", func() bool { return rec.count() == 1 })
	wantOK(t, postFrom(srv, local, "guest", "guest", "GetInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "gd"))), url)
	wantError(t, postFrom(srv, local, "other", "secret", "GetInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "od"))), 6)
	wantOK(t, postFrom(srv, local, "other", "secret", "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "of"))))
	wantOK(t, postFrom(srv, local, "guest", "guest", "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "legacy"))), creationQuery)
	if _, err := getObject(om.Services(cimxml.RecordNamespace), cimxml.RecordClass+`.Id="legacy-id"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Fatalf("the older record stays: %v", err)
	}
	if n := countRecords(t, om); n != 5 {
		t.Fatalf("%d records, want the guest's four and other's filter", n)
	}
	wantOK(t, postFrom(srv, local, "guest", "guest", "DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "legacy"))))
	if n := countRecords(t, om); n != 4 {
		t.Fatalf("%d records after the delete, want 4", n)
	}
}

// A PAM account's objects are restored as that PAM account (found again
// through Lookup, Method "pam"); a creator who logged in as a user of the
// server's own and whose name Lookup now finds as a PAM account (removed
// from the users file, a Linux account of that name left) loses theirs,
// and so does the other way round.
func TestPAMCreatorRestored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "repo.db")
	users := map[string]*identity.Caller{"guest": {Name: "guest"}, "pamuser": {Name: "pamuser", Method: "pam"}, "pam2": {Name: "pam2", Method: "pam"}}
	srv, _, stop := persistentServer(t, path, users)
	const local = "127.0.0.1:5000"
	wantOK(t, postFrom(srv, local, "pamuser", "pw", "CreateInstance", filterInst("pf", creationQuery)))
	wantOK(t, postFrom(srv, local, "pam2", "pw", "CreateInstance", filterInst("p2f", creationQuery)))
	wantOK(t, postFrom(srv, local, "guest", "guest", "CreateInstance", filterInst("gf", creationQuery)))
	stop()

	users["guest"] = &identity.Caller{Name: "guest", Method: "pam"} // now the Linux account guest
	users["pam2"] = &identity.Caller{Name: "pam2"}                  // now a users-file user
	srv, om, stop := persistentServer(t, path, users)
	defer stop()
	wantOK(t, postFrom(srv, local, "pamuser", "pw", "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "pf"))), creationQuery)
	wantError(t, postFrom(srv, local, "pam2", "pw", "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "p2f"))), 6)
	wantError(t, postFrom(srv, local, "guest", "guest", "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "gf"))), 6)
	if n := countRecords(t, om); n != 1 {
		t.Fatalf("%d records, want the PAM account's filter", n)
	}
}
