package wsman_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/internal/wsmantest"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

func connectTo(t *testing.T, url string) *wbem.Services {
	t.Helper()
	svc, err := wbem.Connect(context.Background(), url, workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// enumerateParts returns the EnumerationMode and the wsman:Filter (its
// dialect and text) of an Enumerate request.
func enumerateParts(t *testing.T, b []byte) (mode, dialect, filter string) {
	t.Helper()
	en := parseXNode(t, b).path("http://www.w3.org/2003/05/soap-envelope", "Body", nsWSENTest, "Enumerate")
	if m := en.path(nsWSMANTest, "EnumerationMode"); m != nil {
		mode = m.text
	}
	if f := en.path(nsWSMANTest, "Filter"); f != nil {
		dialect, filter = f.attr("Dialect"), f.text
	}
	return mode, dialect, filter
}

// checkKeysOnly checks that every object is an instance of its class's
// keys only, located in the test namespace.
func checkKeysOnly(t *testing.T, what string, objs []cim.Object) {
	t.Helper()
	for _, o := range objs {
		inst, ok := o.(*cim.Instance)
		if !ok {
			t.Errorf("%s: %T, want an instance", what, o)
			continue
		}
		for _, p := range inst.Class().Properties {
			if !p.IsKey() {
				t.Errorf("%s: %s has property %s, which is not a key", what, inst.ClassName(), p.Name)
			}
		}
		if p := inst.ObjectPath(); !strings.EqualFold(p.Namespace, workload.Namespace) || p.Server == "" {
			t.Errorf("%s: %s is at %s", what, inst.ClassName(), p)
		}
	}
}

// KeysOnly of ASSOCIATORS OF and REFERENCES OF reaches any server: one
// that is not gowbem gets the association filter with EnumerationMode
// EnumerateEPR, and each reference becomes the instance of its keys —
// what the object manager gives in-process; gowbem gets the WQL text.
func TestClientKeysOnly(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	setupAssociations(t, local)
	queries := []struct {
		q    string
		want int
	}{
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE KeysOnly`, 2},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE AssocClass = Test_Link KeysOnly`, 1},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE ResultClass = Test_Foo KeysOnly`, 1},
		{`ASSOCIATORS OF {Test_Bar="x"} WHERE KeysOnly`, 1},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE KeysOnly`, 2},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE ResultClass = Test_Link KeysOnly`, 1},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE Role = Antecedent KeysOnly`, 1},
	}
	foreign := newRecorder(t, e, asForeign)
	bare := newRecorder(t, e, asNoClasses)
	gw := newRecorder(t, e, asGowbem)
	for _, tc := range queries {
		want, err := runQuery(ctx, local, tc.q)
		if err != nil || len(want) != tc.want {
			t.Fatalf("in-process %s: %d objects, %v; want %d", tc.q, len(want), err, tc.want)
		}
		// Against another server, with and without its class definitions
		// (the keys are then strings and references as the selectors gave
		// them, which is what the in-process keys are here).
		for _, rec := range []*recorder{foreign, bare} {
			if rec == bare && strings.Contains(tc.q, `{Test_Bar="x"}`) {
				continue // a bare key is named with the class's definition
			}
			got, sent := rec.query(ctx, t, connectTo(t, rec.url), tc.q, want)
			checkKeysOnly(t, tc.q, got)
			if mode, dialect, _ := enumerateParts(t, sent); mode != "EnumerateEPR" || dialect != wsman.DialectAssociation {
				t.Errorf("%s: sent mode %q dialect %q, want EnumerateEPR with the association filter", tc.q, mode, dialect)
			}
		}
		_, sent := gw.query(ctx, t, connectTo(t, gw.url), tc.q, want)
		if mode, dialect, filter := enumerateParts(t, sent); mode != "" || dialect != wsman.DialectWQL || filter != tc.q {
			t.Errorf("%s: gowbem got mode %q, %q %q; want the WQL text", tc.q, mode, dialect, filter)
		}
	}
}

// A WQL query of what paths say alone (SELECT __PATH, __RELPATH … FROM
// Class [WHERE …]) goes to a server that is not gowbem as EnumerateEPR,
// the WHERE clause in a SELECT * filter: the rows are those of the query
// in-process.
func TestClientPathQuery(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	cases := []struct {
		q, filter string
		want      int
	}{
		{`SELECT __PATH FROM Test_Foo`, "", 2},
		{`SELECT __RELPATH, __CLASS FROM Test_Foo WHERE Count > 11`, `SELECT * FROM Test_Foo WHERE Count > 11`, 1},
		{`select __Path,__Server from Test_Foo where Id = 'a'`, `SELECT * from Test_Foo where Id = 'a'`, 1},
		{`SELECT __PATH FROM CIM_ComputerSystem WHERE Name <> "cs2"`, `SELECT * FROM CIM_ComputerSystem WHERE Name <> "cs2"`, 2},
	}
	rec := newRecorder(t, e, asForeign)
	svc := connectTo(t, rec.url)
	for _, tc := range cases {
		want, err := runQuery(ctx, local, tc.q)
		if err != nil || len(want) != tc.want {
			t.Fatalf("in-process %s: %d objects, %v; want %d", tc.q, len(want), err, tc.want)
		}
		got, sent := rec.query(ctx, t, svc, tc.q, want)
		// The system properties the query names are the in-process ones
		// (the server is named as in the URL: the server did not say).
		for i := range got {
			for _, name := range []string{"__PATH", "__RELPATH", "__CLASS", "__SERVER", "__NAMESPACE"} {
				gv, gerr := got[i].(*cim.Instance).Get(name)
				wv, werr := want[i].(*cim.Instance).Get(name)
				if (gerr == nil) != (werr == nil) || gerr == nil && gv.Text() != strings.ReplaceAll(wv.Text(), "testhost", "127.0.0.1") {
					t.Errorf("%s: %s = %v (%v), in-process %v (%v)", tc.q, name, gv, gerr, wv, werr)
				}
			}
		}
		mode, dialect, filter := enumerateParts(t, sent)
		if mode != "EnumerateEPR" || filter != tc.filter || tc.filter != "" && dialect != wsman.DialectWQL {
			t.Errorf("%s: sent mode %q, filter %q %q; want EnumerateEPR with %q", tc.q, mode, dialect, filter, tc.filter)
		}
	}
	// Anything else is sent as it is, without a mode.
	for _, q := range []string{`SELECT __PATH, Count FROM Test_Foo`, `SELECT * FROM Test_Foo`, `SELECT __DERIVATION FROM Test_Foo`} {
		rec.take()
		if _, err := runQuery(ctx, svc, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		sent := rec.take()
		if len(sent) != 1 {
			t.Fatalf("%s: %d Enumerate requests", q, len(sent))
		}
		if mode, _, filter := enumerateParts(t, sent[0]); mode != "" || filter != q {
			t.Errorf("%s: sent mode %q with %q", q, mode, filter)
		}
	}
}

// The instances of a server that serves no class definitions come with
// their paths: the client asks for EnumerateObjectAndEPR (enumerating a
// class, or querying SELECT * of one), and the references' selectors are
// the keys of the classes it makes up.
func TestClientObjectAndEPRWithoutDefinitions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	rec := newRecorder(t, e, asNoClasses)
	svc := connectTo(t, rec.url)
	for _, class := range []string{"Test_Foo", "CIM_ComputerSystem", "Test_Dep"} {
		want, err := local.CreateInstanceEnum(ctx, class, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		wobjs, err := want.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		en, err := svc.CreateInstanceEnum(ctx, class, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := en.Collect(ctx)
		if err != nil {
			t.Fatalf("%s: %v", class, err)
		}
		var got, wantPaths []string
		for i := range objs {
			got = append(got, objs[i].(*cim.Instance).ObjectPath().RelPath())
			wantPaths = append(wantPaths, wobjs[i].(*cim.Instance).ObjectPath().RelPath())
		}
		if !slices.Equal(got, wantPaths) || len(got) == 0 {
			t.Errorf("%s: paths %q, want %q", class, got, wantPaths)
		}
		if p, err := objs[0].(*cim.Instance).Get("__PATH"); err != nil || !strings.HasPrefix(p.Str(), `\\127.0.0.1\root\cimv2:`+class+".") {
			t.Errorf("%s: __PATH %v, %v", class, p, err)
		}
		sent := rec.take()
		if len(sent) != 1 {
			t.Fatalf("%s: %d Enumerate requests", class, len(sent))
		}
		if mode, _, _ := enumerateParts(t, sent[0]); mode != "EnumerateObjectAndEPR" {
			t.Errorf("%s: mode %q, want EnumerateObjectAndEPR", class, mode)
		}
	}
	// A query of whole objects likewise.
	q := `SELECT * FROM Test_Foo WHERE Count > 11`
	objs, err := runQuery(ctx, svc, q)
	if err != nil || len(objs) != 1 {
		t.Fatalf("%s: %d objects, %v", q, len(objs), err)
	}
	if p := objs[0].(*cim.Instance).ObjectPath().RelPath(); p != `Test_Foo.Id="b"` {
		t.Errorf("%s: path %s", q, p)
	}
	if sent := rec.take(); len(sent) != 1 {
		t.Fatalf("%s: %d Enumerate requests", q, len(sent))
	} else if mode, _, filter := enumerateParts(t, sent[0]); mode != "EnumerateObjectAndEPR" || filter != q {
		t.Errorf("%s: sent mode %q with %q", q, mode, filter)
	}
	// With class definitions, the objects alone.
	frec := newRecorder(t, e, asForeign)
	fsvc := connectTo(t, frec.url)
	en, err := fsvc.CreateInstanceEnum(ctx, "Test_Foo", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := en.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	if sent := frec.take(); len(sent) != 1 {
		t.Fatalf("%d Enumerate requests", len(sent))
	} else if mode, _, _ := enumerateParts(t, sent[0]); mode != "" {
		t.Errorf("mode %q with class definitions, want none", mode)
	}
}

// A server that sends references that name no object gets the caller a
// WBEM error saying so, never a panic or a made-up path.
func TestClientBadEPR(t *testing.T) {
	const uri = `<wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Test_Foo</wsman:ResourceURI>`
	cases := []struct{ name, item, say string }{
		{"no-reference-parameters", `<wsa:EndpointReference><wsa:Address>x</wsa:Address></wsa:EndpointReference>`, "ReferenceParameters"},
		{"no-resource-uri", `<wsa:EndpointReference><wsa:ReferenceParameters><wsman:SelectorSet><wsman:Selector Name="Id">a</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "ResourceURI"},
		{"all-classes", `<wsa:EndpointReference><wsa:ReferenceParameters><wsman:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/*</wsman:ResourceURI></wsa:ReferenceParameters></wsa:EndpointReference>`, "without a class"},
		{"not-a-class", `<wsa:EndpointReference><wsa:ReferenceParameters><wsman:ResourceURI>http://x/a b</wsman:ResourceURI></wsa:ReferenceParameters></wsa:EndpointReference>`, "resource URI"},
		{"selector-without-name", `<wsa:EndpointReference><wsa:ReferenceParameters>` + uri + `<wsman:SelectorSet><wsman:Selector>a</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "no Name"},
		{"selector-twice", `<wsa:EndpointReference><wsa:ReferenceParameters>` + uri + `<wsman:SelectorSet><wsman:Selector Name="Id">a</wsman:Selector><wsman:Selector Name="id">b</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "twice"},
		{"selector-name", `<wsa:EndpointReference><wsa:ReferenceParameters>` + uri + `<wsman:SelectorSet><wsman:Selector Name="Id=&quot;b&quot;,X">a</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "object path"},
		{"namespace", `<wsa:EndpointReference><wsa:ReferenceParameters>` + uri + `<wsman:SelectorSet><wsman:Selector Name="Id">a</wsman:Selector><wsman:Selector Name="__cimnamespace">root:x</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "object path"},
		{"nested-bad", `<wsa:EndpointReference><wsa:ReferenceParameters>` + uri + `<wsman:SelectorSet><wsman:Selector Name="Id"><wsa:EndpointReference><wsa:Address>x</wsa:Address></wsa:EndpointReference></wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "ReferenceParameters"},
		{"empty-item", `<wsman:Item/>`, "empty wsman:Item"},
		{"bad-path-selector", `<wsa:EndpointReference><wsa:ReferenceParameters>` + uri + `<wsman:SelectorSet><wsman:Selector Name="__path">not a path {</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>`, "names no object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
				switch {
				case bytes.Contains(body, []byte("wsmid:Identify")):
					io.WriteString(w, foreignIdentify)
				case bytes.Contains(body, []byte("/enumeration/Enumerate<")):
					io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="`+nsWSATest+`" xmlns:wsen="`+nsWSENTest+`" xmlns:wsman="`+nsWSMANTest+`"><s:Header/><s:Body><wsen:EnumerateResponse><wsman:Items>`+
						tc.item+`</wsman:Items><wsman:EndOfSequence/></wsen:EnumerateResponse></s:Body></s:Envelope>`)
				default:
					w.WriteHeader(http.StatusBadRequest)
					io.WriteString(w, noClassFault)
				}
			})
			hs := wsmantest.NewServer(h, nil)
			defer hs.Close()
			svc := connectTo(t, hs.URL+"/wsman")
			_, err := runQuery(context.Background(), svc, `ASSOCIATORS OF {Test_Foo.Id="a"} WHERE KeysOnly`)
			ce := cim.AsError(err)
			if err == nil || !strings.Contains(ce.Description, tc.say) {
				t.Fatalf("got %v, want an error saying %q", err, tc.say)
			}
			t.Log(err)
			if tc.name != "empty-item" && ce.Status != cim.WBEM_E_INVALID_OBJECT_PATH {
				t.Errorf("status %s, want WBEM_E_INVALID_OBJECT_PATH", ce.Status.Name())
			}
		})
	}
}

// Against OMI's recorded answers: a server without class definitions (15)
// is asked for EnumerateObjectAndEPR, and the client reads what OMI sent
// for it (12: each wsman:Item an instance and its reference, DMTF's
// resource URI, no __cimnamespace) as instances with their paths. Closed
// after those two, the enumeration is released with OMI's context (13).
func TestOMIObjectAndEPR(t *testing.T) {
	o := &omiServer{t: t, dir: omiCaptures(t), route: func(r omiRequest) string {
		switch {
		case r.uri == wsman.URIClassDefinitionDSP0201:
			return "15"
		case r.action == actEnumerate && strings.HasSuffix(r.uri, "/"+omiClass):
			return "12"
		case r.action == actRelease && r.context == "3696295936":
			return "13"
		}
		return ""
	}}
	released := make(chan struct{})
	var releaseOnce sync.Once
	var modes []string
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case bytes.Contains(body, []byte("/enumeration/Pull<")):
			<-r.Context().Done() // OMI has more; the client goes before
			return
		case bytes.Contains(body, []byte("/enumeration/Enumerate<")):
			mode, _, _ := enumerateParts(t, body)
			mu.Lock()
			modes = append(modes, mode)
			mu.Unlock()
		case bytes.Contains(body, []byte("/enumeration/Release<")):
			defer releaseOnce.Do(func() { close(released) }) // a second Release is counted below
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		o.ServeHTTP(w, r)
	})
	ts := wsmantest.NewServer(h, nil)
	defer ts.Close()
	ctx := context.Background()
	svc, err := wbem.Connect(ctx, ts.URL+"/wsman", `root\cimv2`, wbem.Credentials{User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	e, err := svc.CreateInstanceEnum(ctx, omiClass, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	buf := make([]cim.Object, 1)
	for i := 0; i < 2; i++ {
		if n, err := e.Next(wbem.Infinite, buf); n != 1 || err != nil {
			t.Fatalf("Next: %d, %v", n, err)
		}
		inst := buf[0].(*cim.Instance)
		p, err := inst.Get("__PATH")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Str()+" "+inst.Value("Name").Str()+" "+inst.Value("Active").Text())
	}
	e.Close()
	<-released
	want := []string{`\\127.0.0.1\root\cimv2:Bench_Small.Id=0 item-00000000 true`, `\\127.0.0.1\root\cimv2:Bench_Small.Id=1 item-00000001 false`}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(modes, []string{"EnumerateObjectAndEPR"}) {
		t.Errorf("Enumerate modes %q", modes)
	}
	releases := 0
	for _, r := range o.requests() {
		if r.action != "" && r.ns != "root/cimv2" {
			t.Errorf("request %s to %s without __cimnamespace root/cimv2 (%q)", r.action, r.uri, r.ns)
		}
		if r.action == actRelease {
			releases++
			if r.context != "3696295936" {
				t.Errorf("Release of context %q, want OMI's 3696295936", r.context)
			}
		}
	}
	if releases != 1 {
		t.Errorf("%d Releases", releases)
	}
}

// A wrong password costs one failed login per enumeration: the Identify
// the client asks first is refused, and the call fails with that rather
// than asking for class definitions and enumerating too, each one more
// failed login towards the server's throttle.
func TestWrongPasswordOneLogin(t *testing.T) {
	e := newEnv(t, nil, wsman.Options{})
	var mu sync.Mutex
	requests := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		e.srv.ServeHTTP(w, r)
	})
	hs := wsmantest.NewServer(h, nil)
	defer hs.Close()
	ctx := context.Background()
	calls := map[string]func(svc *wbem.Services) error{
		"CreateInstanceEnum": func(svc *wbem.Services) error {
			en, err := svc.CreateInstanceEnum(ctx, "Test_Foo", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
			if err != nil {
				return err
			}
			defer en.Close()
			_, err = en.Collect(ctx) // the call's end: its requests are all made
			return err
		},
		"SELECT *": func(svc *wbem.Services) error { _, err := runQuery(ctx, svc, `SELECT * FROM Test_Foo`); return err },
		"SELECT __PATH": func(svc *wbem.Services) error {
			_, err := runQuery(ctx, svc, `SELECT __PATH FROM Test_Foo`)
			return err
		},
		"KeysOnly": func(svc *wbem.Services) error {
			_, err := runQuery(ctx, svc, `REFERENCES OF {Test_Foo.Id="a"} WHERE KeysOnly`)
			return err
		},
	}
	for name, call := range calls {
		svc, err := wbem.Connect(ctx, hs.URL+"/wsman", workload.Namespace, wbem.Credentials{User: testUser, Password: "wrong"})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		requests = 0
		mu.Unlock()
		err = call(svc)
		svc.Close()
		mu.Lock()
		n := requests
		mu.Unlock()
		if cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED || !errors.Is(err, wbem.ErrAuthentication) {
			t.Errorf("%s: %v, want WBEM_E_ACCESS_DENIED", name, err)
		}
		if n != 1 {
			t.Errorf("%s: %d requests with the wrong password, want 1", name, n)
		}
	}
}
