//go:build linux

package providerpython

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/daemon"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/wbem"
)

// The rest of the provider contract, each piece through a daemon on a
// loopback port with provider.py registered by wbem mofcomp of
// register.mof: PutInstance and DeleteInstance, query hints, an
// association, progress, cancellation and flow control; and, on the wire
// itself (go-plugin's client, as the daemon uses it), the exact credit and
// the positional form of the instances.

// served is a daemon serving provider.py, registered as the README says.
type served struct {
	url, pw string
	log     *cimtest.SyncBuffer
	om      *cimom.ObjectManager
	svc     *wbem.Services // over WS-Management, as the administrator
}

func serve(t *testing.T) *served {
	t.Helper()
	py := python(t)
	command := build(t, py)
	s := &served{log: &cimtest.SyncBuffer{}}
	s.url, s.pw, s.om = startDaemonOM(t, s.log)
	register(t, s.url, s.pw, command, s.log)
	password, err := os.ReadFile(s.pw)
	if err != nil {
		t.Fatal(err)
	}
	s.svc, err = wbem.Connect(t.Context(), s.url, `root\cimv2`, wbem.Credentials{User: daemon.AdminUser, Password: strings.TrimSpace(string(password))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.svc.Close() })
	return s
}

// mark is where the daemon's log ends now: waitLog looks after it.
func (s *served) mark() int { return len(s.log.String()) }

// waitLog waits for a line the provider wrote to its standard error (which
// the daemon logs under its name) after mark, matching re, and returns re's
// submatches.
func (s *served) waitLog(t *testing.T, mark int, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(`provider-python: ` + re)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := rx.FindStringSubmatch(s.log.String()[mark:]); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider did not log %q:\n%s", re, s.log.String()[mark:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// query runs a WQL query over WS-Management and returns what it gives.
func (s *served) query(t *testing.T, wql string) []*cim.Instance {
	t.Helper()
	e, err := s.svc.ExecQuery(t.Context(), "WQL", wql, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatalf("%s: %v\n%s", wql, err, s.log)
	}
	defer e.Close()
	var out []*cim.Instance
	buf := make([]cim.Object, 100)
	for {
		n, err := e.Next(wbem.Infinite, buf)
		for _, o := range buf[:n] {
			out = append(out, o.(*cim.Instance))
		}
		if err == io.EOF || err == nil && n == 0 {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", wql, err, s.log)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// wantStatus checks err is a WBEM status with code and the parameter named.
func wantStatus(t *testing.T, what string, err error, code cim.Status, param string) {
	t.Helper()
	var e *cim.Error
	if !errors.As(err, &e) || e.Status != code || !strings.EqualFold(e.Parameter, param) {
		t.Errorf("%s: %v (%#v), want %v naming %q", what, err, e, code, param)
	}
}

// PutInstance and DeleteInstance of Example_Item (SupportsPut,
// SupportsDelete in register.mof), over WS-Management and with the wbem
// command as the README shows them: an item without an Id is created with
// the next free one (the path the provider returns is the call's result),
// an update replaces the item, a delete removes it, and the provider raises
// each change as the intrinsic event subscribers get; the refusals are WBEM
// statuses naming the culprit: WBEM_E_ALREADY_EXISTS (creating what
// exists), WBEM_E_NOT_FOUND (updating or deleting what does not),
// WBEM_E_INVALID_PARAMETER (an item without a Name).
func TestPutAndDelete(t *testing.T) {
	s := serve(t)
	ctx := t.Context()
	changes, err := s.svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'Example_Item'", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatalf("subscribing to the changes: %v\n%s", err, s.log)
	}
	defer changes.Close()
	class, err := s.svc.GetObject(ctx, "Example_Item", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := class.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	item := func(id int, name string, size uint64) *cim.Instance {
		inst := c.(*cim.Class).NewInstance()
		if id >= 0 {
			inst.Set("Id", cim.Uint32(uint32(id)))
		}
		if name != "" {
			inst.Set("Name", cim.String(name))
		}
		inst.Set("Size", cim.Uint64(size))
		return inst
	}
	put := func(inst *cim.Instance, flags wbem.Flag) (string, error) {
		r, err := s.svc.PutInstance(ctx, inst, flags)
		if err != nil {
			return "", err
		}
		return r.ResultString(wbem.Infinite)
	}
	get := func(path string) (*cim.Instance, error) {
		r, err := s.svc.GetObject(ctx, path, 0)
		if err != nil {
			return nil, err
		}
		o, err := r.ResultObject(wbem.Infinite)
		if err != nil {
			return nil, err
		}
		return o.(*cim.Instance), nil
	}

	// Created: no Id, so the provider gives it the next one and says so.
	path, err := put(item(-1, "date", 400), wbem.WBEM_FLAG_CREATE_ONLY)
	if err != nil || path != "Example_Item.Id=3" {
		t.Fatalf("creating an item: %q, %v\n%s", path, err, s.log)
	}
	// With the wbem command, as the README does it: the new path printed.
	if code, out, errs := wbemCLI(s.url, s.pw, "put", "Example_Item", "Name=fig", "Size=5"); code != 0 || strings.TrimSpace(out) != "Example_Item.Id=4" {
		t.Errorf("wbem put Example_Item Name=fig Size=5: exit %d, %q %q", code, out, errs)
	}
	got, err := get("Example_Item.Id=3")
	if err != nil || got.Value("Name").Str() != "date" || got.Value("Size").Uint() != 400 || got.Value("Created").Type() != cim.TypeDatetime || got.Value("Created").IsNull() {
		t.Errorf("the created item: %v, %v", got, err)
	}
	// Modified, as a whole.
	if _, err := put(item(1, "blueberry", 250), wbem.WBEM_FLAG_UPDATE_ONLY); err != nil {
		t.Fatalf("updating item 1: %v", err)
	}
	got, err = get("Example_Item.Id=1")
	if err != nil || got.Value("Name").Str() != "blueberry" || got.Value("Size").Uint() != 250 || !strings.HasPrefix(got.Value("Created").Str(), "20261201") {
		t.Errorf("the updated item: %v, %v", got, err)
	}
	// With the wbem command, as the README does it: --update changes the
	// properties named.
	if code, out, errs := wbemCLI(s.url, s.pw, "put", "--update", "Example_Item", "Id=2", "Size=333"); code != 0 || !strings.Contains(out, "Example_Item.Id=2") {
		t.Errorf("wbem put --update: exit %d, %q %q", code, out, errs)
	}
	if got, err := get("Example_Item.Id=2"); err != nil || got.Value("Size").Uint() != 333 || got.Value("Name").Str() != "cherry" {
		t.Errorf("item 2 after wbem put --update Size=333: %v, %v", got, err)
	}
	// Deleted.
	if code, _, errs := wbemCLI(s.url, s.pw, "delete", "Example_Item.Id=0"); code != 0 {
		t.Errorf("wbem delete: exit %d, %q", code, errs)
	}
	_, err = get("Example_Item.Id=0")
	wantStatus(t, "get of the deleted item", err, cim.WBEM_E_NOT_FOUND, "Example_Item.Id=0")

	// The refusals.
	_, err = put(item(1, "again", 1), wbem.WBEM_FLAG_CREATE_ONLY)
	wantStatus(t, "creating item 1, which exists", err, cim.WBEM_E_ALREADY_EXISTS, "Example_Item.Id=1")
	_, err = put(item(7, "nothing", 1), wbem.WBEM_FLAG_UPDATE_ONLY)
	wantStatus(t, "updating item 7, which does not exist", err, cim.WBEM_E_NOT_FOUND, "Example_Item.Id=7")
	_, err = put(item(5, "", 1), 0)
	wantStatus(t, "an item without a Name", err, cim.WBEM_E_INVALID_PARAMETER, "Name")
	_, err = put(item(-1, "nameless", 1), wbem.WBEM_FLAG_UPDATE_ONLY)
	wantStatus(t, "an update without an Id", err, cim.WBEM_E_INVALID_PARAMETER, "Id")
	_, err = s.svc.DeleteInstance(ctx, "Example_Item.Id=0", 0)
	wantStatus(t, "deleting item 0 again", err, cim.WBEM_E_NOT_FOUND, "Example_Item.Id=0")
	_, err = s.svc.DeleteInstance(ctx, "Example_Number.N=1", 0)
	wantStatus(t, "deleting a number", err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, "Example_Number")

	var ids []uint64
	for _, inst := range s.query(t, "SELECT * FROM Example_Item") {
		ids = append(ids, inst.Value("Id").Uint())
	}
	slices.Sort(ids)
	if fmt.Sprint(ids) != "[1 2 3 4]" {
		t.Errorf("the items after the changes: %v, want [1 2 3 4]", ids)
	}

	// Each change, as the provider raised it: created, modified (before
	// and after), modified by wbem put, deleted.
	ev := make([]cim.Object, 1)
	for _, want := range []string{
		"__InstanceCreationEvent 3 date <nil>",
		"__InstanceCreationEvent 4 fig <nil>",
		"__InstanceModificationEvent 1 blueberry banana",
		"__InstanceModificationEvent 2 cherry cherry",
		"__InstanceDeletionEvent 0 apple <nil>",
	} {
		if n, err := changes.Next(30*time.Second, ev); err != nil || n != 1 {
			t.Fatalf("no event for %s: %d, %v\n%s", want, n, err, s.log)
		}
		e := ev[0].(*cim.Instance)
		target, _ := e.Value("TargetInstance").Object().(*cim.Instance)
		var before any
		if prev, ok := e.Value("PreviousInstance").Object().(*cim.Instance); ok && prev != nil {
			before = prev.Value("Name").Str()
		}
		if target == nil {
			t.Fatalf("event %s without TargetInstance", e.ClassName())
		}
		if got := fmt.Sprint(e.ClassName(), " ", target.Value("Id").Uint(), " ", target.Value("Name").Str(), " ", before); got != want {
			t.Errorf("event %q, want %q", got, want)
		}
	}
}

// Query hints (QuerySupportLevels in register.mof): the provider gets the
// query's equalities (Start.hint) and sends only the instances they allow —
// one number of a million for WHERE N = …, the items named by their Id —
// and the daemon still applies the whole WHERE clause to what it sends.
func TestQueryHints(t *testing.T) {
	s := serve(t)
	for _, c := range []struct {
		query, class string
		sent         int      // what the provider sends
		want         []uint64 // the keys the query gives
		key          string
	}{
		{"SELECT * FROM Example_Item WHERE Id = 1", "Example_Item", 1, []uint64{1}, "Id"},
		// The provider sends items 1 and 2 (the key equalities); the
		// daemon keeps the one whose Size is over 250.
		{"SELECT * FROM Example_Item WHERE (Id = 1 OR Id = 2) AND Size > 250", "Example_Item", 2, []uint64{2}, "Id"},
		{"SELECT Name FROM Example_Item WHERE Id = 1 AND Name = 'cherry'", "Example_Item", 1, nil, "Id"},
		{"SELECT * FROM Example_Item WHERE Id = 1 AND Id = 2", "Example_Item", 0, nil, "Id"},
		{"SELECT * FROM Example_Item WHERE Size < 250", "Example_Item", 3, []uint64{0, 1}, "Id"},
		{"SELECT * FROM Example_Number WHERE N = 123456", "Example_Number", 1, []uint64{123456}, "N"},
		{"SELECT * FROM Example_Number WHERE N = 5 OR N = 999999 OR N = 1000001", "Example_Number", 2, []uint64{5, 999999}, "N"},
	} {
		mark := s.mark()
		var got []uint64
		for _, inst := range s.query(t, c.query) {
			got = append(got, inst.Value(c.key).Uint())
			if c.class == "Example_Number" && inst.Value("Square").Uint() != inst.Value("N").Uint()*inst.Value("N").Uint() {
				t.Errorf("%s: %v", c.query, inst)
			}
		}
		slices.Sort(got)
		if fmt.Sprint(got) != fmt.Sprint(c.want) && len(got)+len(c.want) > 0 {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
		s.waitLog(t, mark, `enumerate \S+ `+regexp.QuoteMeta(c.class+" (hint: "))
		if c.class == "Example_Number" && len(c.want) == 1 {
			// The README's wbem query.
			if code, out, errs := wbemCLI(s.url, s.pw, "-o", "csv", "query", c.query); code != 0 || !strings.Contains(out, fmt.Sprint(c.want[0]*c.want[0])) {
				t.Errorf("wbem query %q: exit %d, %q %q", c.query, code, out, errs)
			}
		}
		m := s.waitLog(t, mark, "enumeration of "+c.class+` done: (\d+) sent`)
		if n := atoi(t, m[1]); n != c.sent {
			t.Errorf("%s: the provider sent %d instances, want %d", c.query, n, c.sent)
		}
	}
}

// The association Example_NextItem (each item and the next by Id), served
// by the provider, which finds the associations of an object itself
// ("WQL:References" in register.mof: Start.references): REFERENCES OF and
// ASSOCIATORS OF through the daemon, with and without a role, its
// enumeration and GetObject of one.
func TestAssociations(t *testing.T) {
	s := serve(t)
	pair := func(inst *cim.Instance) string {
		return inst.Value("Item").Str() + " " + inst.Value("Next").Str()
	}
	for _, c := range []struct {
		query string
		want  []string
		refs  string // the target handed to the provider, "" when it enumerates
	}{
		{"REFERENCES OF {Example_Item.Id=1}", []string{"Example_Item.Id=0 Example_Item.Id=1", "Example_Item.Id=1 Example_Item.Id=2"}, "Example_Item.Id=1"},
		{"REFERENCES OF {Example_Item.Id=1} WHERE Role = Item", []string{"Example_Item.Id=1 Example_Item.Id=2"}, "Example_Item.Id=1"},
		{"REFERENCES OF {Example_Item.Id=2} WHERE Role = Item", nil, "Example_Item.Id=2"},
		{"ASSOCIATORS OF {Example_Item.Id=1}", []string{"0", "2"}, "Example_Item.Id=1"},
		{"ASSOCIATORS OF {Example_Item.Id=0} WHERE ResultRole = Next", []string{"1"}, "Example_Item.Id=0"},
		{"SELECT * FROM Example_NextItem", []string{"Example_Item.Id=0 Example_Item.Id=1", "Example_Item.Id=1 Example_Item.Id=2"}, ""},
	} {
		mark := s.mark()
		var got []string
		for _, inst := range s.query(t, c.query) {
			if strings.EqualFold(inst.ClassName(), "Example_Item") {
				got = append(got, fmt.Sprint(inst.Value("Id").Uint()))
				continue
			}
			if !strings.EqualFold(inst.ClassName(), "Example_NextItem") {
				t.Errorf("%s: an instance of %s", c.query, inst.ClassName())
			}
			got = append(got, pair(inst))
		}
		slices.Sort(got)
		if fmt.Sprint(got) != fmt.Sprint(c.want) && len(got)+len(c.want) > 0 {
			t.Errorf("%s: %q, want %q", c.query, got, c.want)
		}
		if c.refs != "" {
			s.waitLog(t, mark, `enumerate \S+ `+regexp.QuoteMeta("Example_NextItem (references of "+c.refs+","))
		}
	}
	// The README's wbem query.
	if code, out, errs := wbemCLI(s.url, s.pw, "-o", "csv", "query", "ASSOCIATORS OF {Example_Item.Id=1}"); code != 0 || !strings.Contains(out, "apple") || !strings.Contains(out, "cherry") || strings.Contains(out, "banana") {
		t.Errorf("wbem query 'ASSOCIATORS OF {Example_Item.Id=1}': exit %d, %q %q", code, out, errs)
	}
	r, err := s.svc.GetObject(t.Context(), `Example_NextItem.Item="Example_Item.Id=1",Next="Example_Item.Id=2"`, 0)
	if err != nil {
		t.Fatal(err)
	}
	o, err := r.ResultObject(wbem.Infinite)
	if err != nil || pair(o.(*cim.Instance)) != "Example_Item.Id=1 Example_Item.Id=2" {
		t.Errorf("GetObject of an association: %v, %v", o, err)
	}
	_, err = s.svc.GetObject(t.Context(), `Example_NextItem.Item="Example_Item.Id=0",Next="Example_Item.Id=2"`, 0)
	if err == nil {
		t.Errorf("GetObject of items 0 and 2, which are not next to each other: no error")
	}
}

// Flow control through the daemon: a WS-Management client reads a few of
// Example_Number's million instances and stops reading; the provider sends
// no more than the daemon grants (it then says it waits for credit, having
// sent no more than was granted, a few thousand at most), and when the
// client releases the enumeration the provider's call is cancelled: it
// says so, having sent far fewer than the million.
func TestFlowControlAndRelease(t *testing.T) {
	s := serve(t)
	mark := s.mark()
	e, err := s.svc.ExecQuery(t.Context(), "WQL", "SELECT * FROM Example_Number", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 10)
	if n, err := e.Next(wbem.Infinite, buf); err != nil || n != 10 || buf[9].(*cim.Instance).Value("N").Uint() != 9 {
		t.Fatalf("the first 10 numbers: %d, %v", n, err)
	}
	m := s.waitLog(t, mark, `enumeration of Example_Number waits for credit: (\d+) sent, (\d+) granted`)
	sent, granted := atoi(t, m[1]), atoi(t, m[2])
	// What the daemon lets a provider send ahead of its consumer: the
	// credit (4 batches) and what its queues hold; far from the million a
	// provider that did not wait would send.
	const ahead = 50_000
	if sent > granted || sent > ahead {
		t.Errorf("the provider waits having sent %d instances, %d granted: want no more than it was granted, and at most %d", sent, granted, ahead)
	}
	t.Logf("a client that read 10 instances: the provider sent %d and waits", sent)
	e.Close() // WS-Management's Release
	m = s.waitLog(t, mark, `enumeration of Example_Number cancelled: (\d+) sent, (\d+) granted`)
	if n := atoi(t, m[1]); n > ahead+providerwire.MaxBatch {
		t.Errorf("cancelled after %d instances sent", n)
	}
}

// progressSink records what an asynchronous call hands its sink.
type progressSink struct {
	mu       sync.Mutex
	objects  int
	progress []wbem.SinkStatus
	done     chan wbem.SinkStatus
}

func (k *progressSink) Indicate(objs []cim.Object) error {
	k.mu.Lock()
	k.objects += len(objs)
	k.mu.Unlock()
	return nil
}

func (k *progressSink) SetStatus(st wbem.SinkStatus) {
	if st.Type == wbem.WBEM_STATUS_PROGRESS {
		k.mu.Lock()
		k.progress = append(k.progress, st)
		k.mu.Unlock()
		return
	}
	k.done <- st
}

func (k *progressSink) state() (objects int, progress []wbem.SinkStatus) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.objects, slices.Clone(k.progress)
}

// Progress and CancelAsyncCall, in-process on the daemon's object manager
// (they reach only in-process callers): an asynchronous enumeration with
// WBEM_FLAG_SEND_STATUS gets the provider's Progress (how many of how
// many), and CancelAsyncCall reaches the provider, which stops sending
// the million numbers and says so. A method call runs to completion after
// CancelAsyncCall (WMI's rule: a change is never cut in half), but one whose
// caller goes away (its ctx ends) is cancelled down to the provider, which
// stops sleeping (Sleep) and says so.
func TestProgressAndCancelAsyncCall(t *testing.T) {
	s := serve(t)
	svc := wbem.NewServices(s.om, `root\cimv2`)
	defer svc.Close()

	// Example_Item: three of three.
	k := &progressSink{done: make(chan wbem.SinkStatus, 1)}
	if err := svc.CreateInstanceEnumAsync(t.Context(), "Example_Item", wbem.WBEM_FLAG_SEND_STATUS, k); err != nil {
		t.Fatal(err)
	}
	if st := <-k.done; st.Err != nil {
		t.Fatalf("enumerating Example_Item: %v", st.Err)
	}
	if n, progress := k.state(); n != 3 || len(progress) == 0 || progress[len(progress)-1].Done != 3 || progress[len(progress)-1].Total != 3 {
		t.Errorf("Example_Item: %d instances, progress %+v; want 3, and 3 of 3", n, progress)
	}

	// Example_Number, cancelled along the way.
	mark := s.mark()
	k = &progressSink{done: make(chan wbem.SinkStatus, 1)}
	if err := svc.ExecQueryAsync(t.Context(), "WQL", "SELECT * FROM Example_Number", wbem.WBEM_FLAG_SEND_STATUS, k); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, progress := k.state()
		if n >= 2*providerwire.MaxBatch && len(progress) > 0 {
			last := progress[len(progress)-1]
			if last.Total != 1_000_000 || last.Done <= 0 || last.Done > 1_000_000 {
				t.Errorf("progress %+v, want so many of 1000000", last)
			}
			for i := 1; i < len(progress); i++ {
				if progress[i].Done < progress[i-1].Done {
					t.Errorf("progress goes back: %+v", progress)
					break
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d instances, progress %v after a minute\n%s", n, progress, s.log)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := svc.CancelAsyncCall(k); err != nil {
		t.Fatal(err)
	}
	if st := <-k.done; cim.StatusOf(st.Err) != cim.WBEM_E_CALL_CANCELLED {
		t.Errorf("the cancelled enumeration ended with %v", st.Err)
	}
	m := s.waitLog(t, mark, `enumeration of Example_Number cancelled: (\d+) sent`)
	if n := atoi(t, m[1]); n >= 1_000_000 {
		t.Errorf("the provider sent all %d numbers", n)
	}

	// A method call, cancelled while the provider sleeps.
	mark = s.mark()
	class, err := svc.GetObject(t.Context(), "Example_Item", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := class.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	sleep, _ := c.(*cim.Class).Method("Sleep")
	inClass, _ := sleep.ParameterClasses()
	in := inClass.NewInstance()
	in.Set("Milliseconds", cim.Uint32(60_000))
	mctx, cancelCall := context.WithCancel(t.Context())
	defer cancelCall()
	ended := make(chan error, 1)
	go func() {
		_, err := svc.ExecMethod(mctx, "Example_Item", "Sleep", in, 0)
		ended <- err
	}()
	s.waitLog(t, mark, "sleeping 60000 ms")
	cancelCall()
	select {
	case err := <-ended:
		if err == nil {
			t.Errorf("the cancelled Sleep succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the cancelled Sleep has not ended\n%s", s.log)
	}
	s.waitLog(t, mark, "Sleep cancelled")
}

// On the wire, with go-plugin's client as the daemon uses it: the provider
// sends exactly the credit it is granted, in the positional form ordered
// by the request's Class message (here not the order register.mof declares
// the properties in), reports its progress, and stops when the call is
// cancelled.
func TestCreditAndPositionalForm(t *testing.T) {
	py := python(t)
	command := build(t, py)
	p, stderr := dispense(t, command)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	call := &providerwire.Call{Namespace: `root\cimv2`, Provider: "ExamplePythonProvider"}
	prop := func(name string, typ cim.Type) *providerwire.Property {
		return &providerwire.Property{Name: name, Type: uint32(typ)}
	}
	waitLog := func(re string) []string {
		rx := regexp.MustCompile(re)
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			if m := rx.FindStringSubmatch(stderr.String()); m != nil {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("the provider did not log %q:\n%s", re, stderr)
			}
		}
	}

	// Example_Item by position, in the order of this Class message.
	items := &providerwire.Class{Name: "Example_Item", Properties: []*providerwire.Property{
		prop("Created", cim.TypeDatetime), prop("Size", cim.TypeUint64), prop("Name", cim.TypeString), prop("Id", cim.TypeUint32)}}
	stream, err := p.Enumerate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Start{Start: &providerwire.Start{Call: call, Class: items, Credit: 100}}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetDone() != nil {
			if r.GetDone().Error != nil {
				t.Fatal(r.GetDone().Error)
			}
			break
		}
		for _, inst := range r.GetBatch().GetInstances() {
			if len(inst.Properties) != 0 || len(inst.Values) != 4 {
				t.Fatalf("an item with %d values and %d named properties, want 4 values and no names", len(inst.Values), len(inst.Properties))
			}
			v := inst.Values
			got = append(got, fmt.Sprintf("%d %s %d %s", v[3].GetUnsigned(), v[2].GetText(), v[1].GetUnsigned(), v[0].GetText()))
		}
	}
	if want := "[0 apple 100 20261201000000.000000+000 1 banana 200 20261201000000.000000+000 2 cherry 300 20261201000000.000000+000]"; fmt.Sprint(got) != want {
		t.Errorf("the items by position: %v, want %v", got, want)
	}

	// Example_Number with a credit of 7, then 5 more, then cancelled.
	numbers := &providerwire.Class{Name: "Example_Number", Properties: []*providerwire.Property{prop("Square", cim.TypeUint64), prop("N", cim.TypeUint64)}}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	stream, err = p.Enumerate(sctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Start{Start: &providerwire.Start{Call: call, Class: numbers, Credit: 7}}}); err != nil {
		t.Fatal(err)
	}
	received := 0
	var progress *providerwire.Progress
	take := func(upTo int) {
		t.Helper()
		for received < upTo {
			r, err := stream.Recv()
			if err != nil {
				t.Fatalf("after %d numbers: %v", received, err)
			}
			if pr := r.GetProgress(); pr != nil {
				progress = pr
				continue
			}
			for _, inst := range r.GetBatch().GetInstances() {
				if n, sq := inst.Values[1].GetUnsigned(), inst.Values[0].GetUnsigned(); n != uint64(received) || sq != n*n {
					t.Fatalf("number %d: N %d, Square %d", received, n, sq)
				}
				received++
			}
			if r.GetBatch() == nil {
				t.Fatalf("after %d numbers: %v", received, r)
			}
		}
	}
	take(7)
	m := waitLog(`enumeration of Example_Number waits for credit: (\d+) sent, (\d+) granted`)
	if m[1] != "7" || m[2] != "7" || received != 7 {
		t.Fatalf("granted 7: the provider waits after %s sent, %s granted, and %d came", m[1], m[2], received)
	}
	if err := stream.Send(&providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Credit{Credit: 5}}); err != nil {
		t.Fatal(err)
	}
	take(12)
	m = waitLog(`enumeration of Example_Number waits for credit: 12 sent, (\d+) granted`)
	if m[1] != "12" || received != 12 {
		t.Fatalf("granted 12: %s granted, and %d came", m[1], received)
	}
	// The progress after the batch, if it came before the wait.
	if r, err := stream.Recv(); err == nil && r.GetProgress() != nil {
		progress = r.GetProgress()
	}
	if progress == nil || progress.Total != 1_000_000 || progress.Done == 0 || progress.Done > 12 {
		t.Errorf("progress %v, want so many of 1000000", progress)
	}
	stop()
	waitLog(`enumeration of Example_Number cancelled: 12 sent, 12 granted`)
}
