package wsman_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The client against Microsoft's OMI: a server that replays the responses
// OMI gave to the same kinds of request (../shared/data/wsman-captures/omi,
// captured from a real OMI; see its README), chosen by what the client
// sends. The captures are read where they are, never copied into the
// project.

// omiCaptures returns the directory of the OMI captures, or skips (fails
// under GOWBEM_REQUIRE_ALL=1) when it is not there. GOWBEM_OMI_CAPTURES
// names it; by default it is ../shared beside the repository.
func omiCaptures(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GOWBEM_OMI_CAPTURES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "wsman-captures", "omi")
	}
	if _, err := os.Stat(filepath.Join(dir, "02-identify-auth.response.txt")); err != nil {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			t.Fatalf("the OMI captures are missing at %s (GOWBEM_OMI_CAPTURES) and GOWBEM_REQUIRE_ALL=1", dir)
		}
		t.Skipf("the OMI captures are not at %s (set GOWBEM_OMI_CAPTURES)", dir)
	}
	return dir
}

// omiCapture is one recorded response: the HTTP status, its Content-Type and
// its body.
type omiCapture struct {
	status  int
	ctype   string
	wwwAuth []string
	body    []byte
}

func loadCapture(t *testing.T, dir, prefix string) omiCapture {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, prefix+"-*.response.txt"))
	if len(names) != 1 {
		t.Fatalf("capture %s: found %d files", prefix, len(names))
	}
	b, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(bytes.NewReader(b))
	line, _ := rd.ReadString('\n')
	f := strings.Fields(line)
	if len(f) < 2 {
		t.Fatalf("capture %s: bad status line %q", prefix, line)
	}
	c := omiCapture{}
	c.status, _ = strconv.Atoi(f[1])
	for {
		line, err := rd.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" || err != nil {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		switch strings.ToLower(k) {
		case "content-type":
			c.ctype = strings.TrimSpace(v)
		case "www-authenticate":
			c.wwwAuth = append(c.wwwAuth, strings.TrimSpace(v))
		}
	}
	c.body, _ = io.ReadAll(rd)
	return c
}

var (
	reAction  = regexp.MustCompile(`<wsa:Action[^>]*>([^<]*)</wsa:Action>`)
	reURI     = regexp.MustCompile(`<wsman:ResourceURI[^>]*>([^<]*)</wsman:ResourceURI>`)
	reNSSel   = regexp.MustCompile(`<wsman:Selector Name="__cimnamespace">([^<]*)</wsman:Selector>`)
	reClass   = regexp.MustCompile(`<wsman:Selector Name="ClassName">([^<]*)</wsman:Selector>`)
	reContext = regexp.MustCompile(`<wsen:EnumerationContext>([^<]*)</wsen:EnumerationContext>`)
	reFilter  = regexp.MustCompile(`<wsman:Filter Dialect="([^"]*)">([^<]*)</wsman:Filter>`)
)

// omiRequest is what the replaying server saw of one request.
type omiRequest struct {
	action, uri, ns, class, context, dialect, filter string
	qualifiers                                       bool
}

// omiServer replays captures; route picks the capture for a request
// ("" answers 500 with a note, which fails the test).
type omiServer struct {
	t     *testing.T
	dir   string
	route func(r omiRequest) string

	mu   sync.Mutex
	seen []omiRequest
}

func (o *omiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s := string(b)
	var req omiRequest
	if m := reAction.FindStringSubmatch(s); m != nil {
		req.action = m[1]
	}
	if m := reURI.FindStringSubmatch(s); m != nil {
		req.uri = m[1]
	}
	if m := reNSSel.FindStringSubmatch(s); m != nil {
		req.ns = m[1]
	}
	if m := reClass.FindStringSubmatch(s); m != nil {
		req.class = m[1]
	}
	if m := reContext.FindStringSubmatch(s); m != nil {
		req.context = m[1]
	}
	if m := reFilter.FindStringSubmatch(s); m != nil {
		req.dialect, req.filter = m[1], strings.ReplaceAll(m[2], "&lt;", "<")
	}
	req.qualifiers = strings.Contains(s, `<wsman:Option Name="IncludeQualifiers">true</wsman:Option>`)
	o.mu.Lock()
	o.seen = append(o.seen, req)
	o.mu.Unlock()
	name := ""
	if req.action == "" && strings.Contains(s, "Identify") {
		name = "02"
	} else {
		name = o.route(req)
	}
	if name == "" {
		http.Error(w, "no capture for this request", http.StatusTeapot)
		return
	}
	c := loadCapture(o.t, o.dir, name)
	for _, a := range c.wwwAuth {
		w.Header().Add("WWW-Authenticate", a)
	}
	if c.ctype != "" {
		w.Header().Set("Content-Type", c.ctype)
	}
	w.WriteHeader(c.status)
	w.Write(c.body)
}

func (o *omiServer) requests() []omiRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]omiRequest(nil), o.seen...)
}

func newOMI(t *testing.T, route func(r omiRequest) string) (*omiServer, *wbem.Services) {
	t.Helper()
	o := &omiServer{t: t, dir: omiCaptures(t), route: route}
	ts := httptest.NewServer(o)
	t.Cleanup(ts.Close)
	svc, err := wbem.Connect(context.Background(), ts.URL+"/wsman", `root\cimv2`, wbem.Credentials{User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return o, svc
}

const (
	actGetFull = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	omiClass   = "Bench_Small"
)

// omiRoutes answers as OMI did: class definitions from the standard
// resource (with or without qualifiers), Bench_Small enumerated in three
// responses, a WQL query in one, and the faults OMI gave.
func omiRoutes(pulls *int) func(r omiRequest) string {
	return func(r omiRequest) string {
		switch {
		case r.action == actGetFull && r.uri == wsman.URIClassDefinitionDSP0201 && r.class == omiClass && r.ns == "root/cimv2":
			if r.qualifiers {
				return "17"
			}
			return "16"
		case r.action == actGetFull && r.uri != wsman.URIClassDefinitionDSP0201:
			return "14"
		case r.action == actEnumerate && r.ns == "root/nosuchns":
			return "21"
		case r.action == actEnumerate && strings.HasSuffix(r.uri, "/Bench_NoSuchClass"):
			return "19"
		case r.action == actEnumerate && r.dialect == wsman.DialectWQL:
			return "11"
		case r.action == actEnumerate && strings.HasSuffix(r.uri, "/"+omiClass):
			return "06"
		case r.action == actPull && r.context == "1560215552":
			return "20"
		case r.action == actPull && r.context == "2487877632":
			return "22"
		case r.action == actPull && r.context == "600178688":
			*pulls++
			if *pulls == 1 {
				return "07" // Id 3, 4, 5 and the context again
			}
			return "10" // Id 0 to 3, EndOfSequence, and still the context
		case r.action == actPull:
			return "25"
		case r.action == actRelease:
			return "05"
		case r.action == "http://schemas.xmlsoap.org/ws/2004/09/transfer/Frobnicate":
			return "24"
		}
		return ""
	}
}

// TestOMIEnumerate enumerates a class of OMI: the namespace goes in the
// __cimnamespace selector, the class definition comes the standard way
// (Get on …/cim-xml/2/cim-schema/2/* with ClassName, __cimnamespace and
// IncludeQualifiers), the values are typed by it (OMI's TRUE/FALSE, plain
// xs:dateTime text), and the end of the sequence ends the enumeration even
// though OMI repeats the context beside it.
func TestOMIEnumerate(t *testing.T) {
	pulls := 0
	o, svc := newOMI(t, omiRoutes(&pulls))
	e, err := svc.CreateInstanceEnum(context.Background(), omiClass, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	objs, err := e.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, obj := range objs {
		inst := obj.(*cim.Instance)
		got = append(got, inst.Value("Id").Text())
	}
	if strings.Join(got, ",") != "0,1,2,3,4,5,0,1,2,3" {
		t.Fatalf("Ids %v", got)
	}
	inst := objs[1].(*cim.Instance)
	for name, want := range map[string]string{
		"Id": "uint32 1", "Active": "boolean false", "Created": "datetime 20261126120000.000000+000",
		"Ratio": "real64 0.5", "Delta": "sint32 -1", "Size": "uint64 4096", "Name": "string item-00000001",
	} {
		v := inst.Value(name)
		if g := v.Type().String() + " " + v.Text(); g != want {
			t.Errorf("%s = %s, want %s", name, g, want)
		}
	}
	if p := inst.ObjectPath().RelPath(); p != "Bench_Small.Id=1" {
		t.Errorf("path %s (the key comes from the class's qualifiers)", p)
	}
	var releases, classGets int
	for _, r := range o.requests() {
		if r.action != "" && r.ns != "root/cimv2" {
			t.Errorf("request %s to %s without __cimnamespace root/cimv2 (%q)", r.action, r.uri, r.ns)
		}
		switch {
		case r.action == actRelease:
			releases++
		case r.action == actGetFull && r.uri == wsman.URIClassDefinitionDSP0201:
			classGets++
			if !r.qualifiers {
				t.Error("the class definition was asked without IncludeQualifiers")
			}
		}
	}
	if pulls != 2 || releases != 0 {
		t.Errorf("%d pulls, %d releases: the client must stop at EndOfSequence", pulls, releases)
	}
	if classGets != 1 {
		t.Errorf("%d Gets of the class definition, want 1 (cached)", classGets)
	}
}

// TestOMIQuery sends a WQL query as OMI takes it: to the FROM class's
// resource, answered in the EnumerateResponse with the end of the sequence
// in wsman's namespace.
func TestOMIQuery(t *testing.T) {
	pulls := 0
	o, svc := newOMI(t, omiRoutes(&pulls))
	e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM Bench_Small WHERE Id < 4", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	objs, err := e.Collect(context.Background())
	if err != nil || len(objs) != 4 {
		t.Fatalf("%d objects, %v", len(objs), err)
	}
	for _, r := range o.requests() {
		if r.action == actEnumerate && (!strings.HasSuffix(r.uri, "/Bench_Small") || r.filter != "SELECT * FROM Bench_Small WHERE Id < 4") {
			t.Errorf("query sent to %s with %q", r.uri, r.filter)
		}
		if r.action == actPull || r.action == actRelease {
			t.Errorf("%s after an EnumerateResponse with EndOfSequence", r.action)
		}
	}
}

// TestOMIClass gets a class definition from OMI (DSP0201 CLASS).
func TestOMIClass(t *testing.T) {
	pulls := 0
	_, svc := newOMI(t, omiRoutes(&pulls))
	res, err := svc.GetObject(context.Background(), omiClass, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := res.ResultObject(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := obj.(*cim.Class)
	if !ok || c.Name != omiClass || len(c.Properties) != 10 {
		t.Fatalf("%#v", obj)
	}
	if p, _ := c.Property("Id"); p == nil || !p.IsKey() || p.Type != cim.TypeUint32 {
		t.Errorf("Id: %+v", p)
	}
	if p, _ := c.Property("Created"); p == nil || p.Type != cim.TypeDatetime || p.Origin != omiClass {
		t.Errorf("Created: %+v", p)
	}
}

// TestOMIFaults reads OMI's faults as the WBEM statuses they stand for:
// from the CIM status of the OMI_Error in the detail, from the subcode, or
// from the HTTP exchange.
func TestOMIFaults(t *testing.T) {
	pulls := 0
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		op   func(svc *wbem.Services) error
		want cim.Status
		text string
	}{
		{"get-not-supported", func(svc *wbem.Services) error {
			_, err := svc.GetObject(ctx, "Bench_Small.Id=5", 0)
			return err
		}, cim.WBEM_E_NOT_SUPPORTED, "NOT_SUPPORTED"},
		{"no-such-class", func(svc *wbem.Services) error {
			e, err := svc.CreateInstanceEnum(ctx, "Bench_NoSuchClass", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
			if err != nil {
				return err
			}
			defer e.Close()
			_, err = e.Collect(context.Background())
			return err
		}, cim.WBEM_E_INVALID_CLASS, "class does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, svc := newOMI(t, omiRoutes(&pulls))
			err := tc.op(svc)
			if cim.StatusOf(err) != tc.want || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %s with %q", err, tc.want.Name(), tc.text)
			}
		})
	}
	t.Run("no-such-namespace", func(t *testing.T) {
		o := &omiServer{t: t, dir: omiCaptures(t), route: omiRoutes(&pulls)}
		ts := httptest.NewServer(o)
		defer ts.Close()
		svc, err := wbem.Connect(ctx, ts.URL+"/wsman", `root\nosuchns`, wbem.Credentials{User: "u", Password: "p"})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		e, err := svc.CreateInstanceEnum(ctx, omiClass, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err == nil {
			_, err = e.Collect(context.Background())
			e.Close()
		}
		if cim.StatusOf(err) != cim.WBEM_E_INVALID_NAMESPACE {
			t.Fatalf("got %v", err)
		}
	})
	// The wrong password (26), a request OMI could not read (23, an empty
	// body) and an action it does not know (24, no Reason text).
	for _, tc := range []struct {
		capture string
		want    cim.Status
	}{
		{"26", cim.WBEM_E_ACCESS_DENIED},
		{"23", cim.WBEM_E_FAILED},
		{"24", cim.WBEM_E_FAILED},
	} {
		t.Run("omiCapture-"+tc.capture, func(t *testing.T) {
			_, svc := newOMI(t, func(omiRequest) string { return tc.capture })
			_, err := svc.GetObject(ctx, "Bench_Small.Id=5", 0)
			if cim.StatusOf(err) != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want.Name())
			}
		})
	}
}

// TestOMIWithoutClassDefinitions reads instances from a server that gives
// no class definitions (OMI's answer to the per-class URI, omiCapture 15):
// each instance is read by itself, typed from its text.
func TestOMIWithoutClassDefinitions(t *testing.T) {
	pulls := 0
	route := omiRoutes(&pulls)
	o, svc := newOMI(t, func(r omiRequest) string {
		if r.uri == wsman.URIClassDefinitionDSP0201 {
			return "15"
		}
		return route(r)
	})
	e, err := svc.CreateInstanceEnum(context.Background(), omiClass, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	objs, err := e.Collect(context.Background())
	if err != nil || len(objs) != 10 {
		t.Fatalf("%d objects, %v", len(objs), err)
	}
	inst := objs[1].(*cim.Instance)
	for name, want := range map[string]string{
		"Id": "sint64 1", "Active": "boolean false", "Created": "datetime 20261126120000.000000+000",
		"Ratio": "real64 0.5", "Delta": "sint64 -1", "Name": "string item-00000001",
		"Description": "string Synthetic benchmark item: ten properties, fixed-size strings....",
	} {
		v := inst.Value(name)
		if g := v.Type().String() + " " + v.Text(); g != want {
			t.Errorf("%s = %s, want %s", name, g, want)
		}
	}
	gets := 0
	for _, r := range o.requests() {
		if r.uri == wsman.URIClassDefinitionDSP0201 {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("the class definition was asked %d times; a refusal is remembered", gets)
	}
}
