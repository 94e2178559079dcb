package cimxml_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// persistentServer opens the bbolt store at path, the interop classes in
// it, and a server that keeps its subscriptions there, finding their
// creators again in users; stop closes both.
func persistentServer(t *testing.T, path string, users map[string]*identity.Caller) (srv *cimxml.Server, om *cimom.ObjectManager, stop func()) {
	t.Helper()
	return persistentServerLookup(t, path, func(name string) (*identity.Caller, error) {
		if c, ok := users[name]; ok {
			return c, nil
		}
		return nil, identity.ErrNoUser
	})
}

// persistentServerLookup is persistentServer with the creators' lookup
// given; the restore of objects whose lookup failed is tried again every
// 10 ms.
func persistentServerLookup(t *testing.T, path string, lookup func(string) (*identity.Caller, error)) (srv *cimxml.Server, om *cimom.ObjectManager, stop func()) {
	t.Helper()
	store, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	om, err = cimom.New(t.Context(), store, cimom.WithMethodProvider(interop.ProviderName, interop.Methods{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getObject(om.Services(`root\cimv2`), "Test_Foo"); err != nil {
		if err := interop.Setup(t.Context(), om.Services(`root\cimv2`)); err != nil {
			t.Fatal(err)
		}
	}
	// testUsers, and PAM-like accounts: a name "pam…" with the password
	// "pw" logs in with Method "pam".
	pamLike := auth.CheckerFunc(func(ctx context.Context, name, password string) (*identity.Caller, error) {
		if strings.HasPrefix(name, "pam") {
			if password != "pw" {
				return nil, auth.ErrBadCredentials
			}
			return &identity.Caller{Name: name, Method: "pam"}, nil
		}
		return testUsers.CheckPassword(ctx, name, password)
	})
	srv = cimxml.NewServer(om, cimxml.Options{Authenticator: auth.NewBasic(pamLike, auth.BasicOptions{}), ServerName: "testhost",
		Indications: &cimxml.IndicationOptions{Persist: true, RetryInterval: time.Millisecond, RestoreRetryInterval: 10 * time.Millisecond, Lookup: lookup}})
	return srv, om, func() {
		srv.Close()
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func getObject(svc *wbem.Services, name string) (cim.Object, error) {
	cr, err := svc.GetObject(context.Background(), name, 0)
	if err != nil {
		return nil, err
	}
	return cr.ResultObject(wbem.Infinite)
}

// Subscriptions outlive a restart of the server on the same bbolt store:
// restored as their creators (looked up again: a creator no longer known
// loses them), they export the events that follow the restart; their
// records sit in a namespace other users cannot read; DeleteInstance
// removes them for good.
func TestIndicationSubscriptionsPersist(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	path := filepath.Join(t.TempDir(), "repo.db")
	users := map[string]*identity.Caller{testUser: {Name: testUser, Admin: true}, "other": {Name: "other", Admin: true}}

	srv, _, stop := persistentServer(t, path, users)
	wantOK(t, icall(srv, "CreateInstance", filterInst("f1", creationQuery)))
	wantOK(t, icall(srv, "CreateInstance", destInst("d1", url)))
	wantOK(t, icall(srv, "CreateInstance", subInst("f1", "d1")))
	otherCall := func(srv *cimxml.Server, method string, params ...string) string {
		return post(srv, "other", "secret", method, "root%2Fcimv2", imethod(method, params...)).Body.String()
	}
	for _, p := range []string{filterInst("f2", creationQuery), destInst("d2", url), subInst("f2", "d2")} {
		if body := otherCall(srv, "CreateInstance", p); strings.Contains(body, "<ERROR") {
			t.Fatal(body)
		}
	}
	if st := srv.IndicationStats(); st.Subscriptions != 2 {
		t.Fatalf("before the restart: %+v", st)
	}
	stop()

	// "other" is no longer a user: their objects are not restored.
	delete(users, "other")
	srv, om, stop := persistentServer(t, path, users)
	if st := srv.IndicationStats(); st.Subscriptions != 1 {
		t.Fatalf("after the restart: %+v", st)
	}
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))), url)
	wantOK(t, icall(srv, "CreateInstance", newFoo("after-restart")))
	waitUntil(t, "delivered after the restart", func() bool { return rec.count() == 1 })
	if id := rec.got[0].Value("TargetInstance").Instance().Value("Id").Str(); id != "after-restart" {
		t.Fatalf("delivered %q", id)
	}
	// Another user cannot read the records.
	guest := identity.NewContext(t.Context(), &identity.Caller{Name: "guest"})
	e, err := om.Services(cimxml.RecordNamespace).CreateInstanceEnum(guest, cimxml.RecordClass, semisync)
	if err == nil {
		_, err = e.Next(10*time.Second, make([]cim.Object, 1))
		e.Close()
	}
	if cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
		t.Fatalf("a guest enumerates the records: %v", err)
	}
	if n := countRecords(t, om); n != 3 {
		t.Fatalf("%d records, want the three of the restored user", n)
	}
	wantOK(t, icall(srv, "DeleteInstance", ip("InstanceName", subName("f1", "d1"))))
	wantOK(t, icall(srv, "DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))))
	stop()

	srv, om, stop = persistentServer(t, path, users)
	defer stop()
	if st := srv.IndicationStats(); st.Subscriptions != 0 {
		t.Fatalf("a deleted subscription came back: %+v", st)
	}
	wantError(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))), 6)
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))), url)
	if n := countRecords(t, om); n != 1 {
		t.Fatalf("%d records, want the destination's", n)
	}
}

func countRecords(t *testing.T, om *cimom.ObjectManager) int {
	t.Helper()
	e, err := om.Services(cimxml.RecordNamespace).CreateInstanceEnum(t.Context(), cimxml.RecordClass, semisync)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n := 0
	buf := make([]cim.Object, 16)
	for {
		k, err := e.Next(10*time.Second, buf)
		n += k
		if err != nil {
			if err == io.EOF {
				return n
			}
			t.Fatal(err)
		}
	}
}

// A creator's lookup that fails (PAM or the name service down) is no
// verdict on the user: their stored objects are kept, not active, and
// restored once the lookup answers; a later verdict that the user is gone
// deletes them. One made again under the same name meanwhile keeps the
// new record.
func TestIndicationRestoreLookupFails(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	path := filepath.Join(t.TempDir(), "repo.db")
	const (
		down = iota
		up
		gone
	)
	var state atomic.Int32
	errDown := errors.New("pam: account management of user: system error")
	lookup := func(name string) (*identity.Caller, error) {
		switch state.Load() {
		case down:
			return nil, errDown
		case gone:
			return nil, identity.ErrNoUser
		}
		return &identity.Caller{Name: name, Admin: true}, nil
	}
	state.Store(up)
	srv, _, stop := persistentServerLookup(t, path, lookup)
	wantOK(t, icall(srv, "CreateInstance", filterInst("f1", creationQuery)))
	wantOK(t, icall(srv, "CreateInstance", destInst("d1", url)))
	wantOK(t, icall(srv, "CreateInstance", subInst("f1", "d1")))
	stop()

	// Down at the start, and at the next: nothing active, nothing lost.
	state.Store(down)
	for range 2 {
		srv, om, stop := persistentServerLookup(t, path, lookup)
		if st := srv.IndicationStats(); st.Subscriptions != 0 || st.Pending != 3 {
			t.Fatalf("restored while the lookup fails: %+v", st)
		}
		time.Sleep(50 * time.Millisecond) // a few retries, all failing
		if st := srv.IndicationStats(); st.Subscriptions != 0 || st.Pending != 3 {
			t.Fatalf("after retries that failed: %+v", st)
		}
		if n := countRecords(t, om); n != 3 {
			t.Fatalf("%d records kept, want 3", n)
		}
		stop()
	}

	// Up again while the server runs: restored, and it delivers.
	srv, om, stop := persistentServerLookup(t, path, lookup)
	state.Store(up)
	waitUntil(t, "restored once the lookup answers", func() bool {
		st := srv.IndicationStats()
		return st.Subscriptions == 1 && st.Pending == 0
	})
	wantOK(t, icall(srv, "CreateInstance", newFoo("after-lookup")))
	waitUntil(t, "delivered once restored", func() bool { return rec.count() == 1 })
	if n := countRecords(t, om); n != 3 {
		t.Fatalf("%d records, want 3", n)
	}
	stop()

	// Held back, the filter is made again under its name (a new query):
	// the new one stays, with its record; the others are restored.
	state.Store(down)
	srv, _, stop = persistentServerLookup(t, path, lookup)
	const otherQuery = "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Test_Foo'"
	wantOK(t, icall(srv, "CreateInstance", filterInst("f1", otherQuery)))
	state.Store(up)
	waitUntil(t, "the rest restored", func() bool {
		st := srv.IndicationStats()
		return st.Subscriptions == 1 && st.Pending == 0
	})
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))), "InstanceDeletionEvent")
	stop()
	srv, om, stop = persistentServerLookup(t, path, lookup)
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))), "InstanceDeletionEvent")
	if st := srv.IndicationStats(); st.Subscriptions != 1 || st.Pending != 0 {
		t.Fatalf("after a restart: %+v", st)
	}
	if n := countRecords(t, om); n != 3 {
		t.Fatalf("%d records, want 3", n)
	}
	stop()

	// A verdict at last: the user is gone, and so are their objects.
	state.Store(down)
	srv, om, stop = persistentServerLookup(t, path, lookup)
	defer stop()
	if st := srv.IndicationStats(); st.Pending != 3 {
		t.Fatalf("held: %+v", st)
	}
	state.Store(gone)
	waitUntil(t, "deleted once the user is gone", func() bool { return srv.IndicationStats().Pending == 0 })
	if st := srv.IndicationStats(); st.Subscriptions != 0 {
		t.Fatalf("a gone user's subscription restored: %+v", st)
	}
	if n := countRecords(t, om); n != 0 {
		t.Fatalf("%d records left of a gone user", n)
	}
}
