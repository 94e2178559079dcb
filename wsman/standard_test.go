package wsman_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

var reServerName = regexp.MustCompile(`<gw:ServerName>[^<]*</gw:ServerName>`)

// notGowbem serves h as a server that does not tell it is gowbem: it drops
// gw:ServerName from Identify, so the client uses only standard resources,
// and counts the Gets of the standard class resource and of gowbem's.
type notGowbem struct {
	h                http.Handler
	standard, gowbem atomic.Int32
}

func (n *notGowbem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := string(body)
	switch {
	case strings.Contains(s, wsman.URIClassDefinitionDSP0201):
		n.standard.Add(1)
	case strings.Contains(s, wsman.URIClassDefinition+"<"):
		n.gowbem.Add(1)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !strings.Contains(s, "Identify") {
		n.h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	n.h.ServeHTTP(rec, r)
	out := reServerName.ReplaceAll(rec.Body.Bytes(), nil)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(out)
}

// The client reads gowbem's server as it reads any other: class definitions
// from the standard resource (DSP0201 CLASS), which gowbem's server serves,
// and the objects typed by them exactly as with gowbem's own extension.
func TestStandardClassDefinitions(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 3}, wsman.Options{})
	ng := &notGowbem{h: e.srv}
	hs := httptest.NewServer(ng)
	defer hs.Close()
	ctx := context.Background()
	std, err := wbem.Connect(ctx, hs.URL+"/wsman", workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer std.Close()
	own := e.connect(t, testUser, testPass, "")
	for _, class := range []string{"GW_Item", "Test_Foo", "Test_Dep"} {
		a, b := getClass(t, own, class), getClass(t, std, class)
		if mof.FormatClass(a) != mof.FormatClass(b) {
			t.Errorf("%s differs:\n%s\nvs the standard resource's\n%s", class, mof.FormatClass(a), mof.FormatClass(b))
		}
		ea, err := own.CreateInstanceEnum(ctx, class, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		oa, err := ea.Collect(ctx)
		ea.Close()
		if err != nil {
			t.Fatal(err)
		}
		eb, err := std.CreateInstanceEnum(ctx, class, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		ob, err := eb.Collect(ctx)
		eb.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(oa) == 0 || len(oa) != len(ob) {
			t.Fatalf("%s: %d vs %d instances", class, len(oa), len(ob))
		}
		for i := range oa {
			x, y := mof.FormatInstance(oa[i].(*cim.Instance)), mof.FormatInstance(ob[i].(*cim.Instance))
			if x != y || oa[i].(*cim.Instance).ObjectPath().RelPath() != ob[i].(*cim.Instance).ObjectPath().RelPath() {
				t.Errorf("%s: %s %s\nvs %s %s", class, oa[i].(*cim.Instance).ObjectPath(), x, ob[i].(*cim.Instance).ObjectPath(), y)
			}
		}
	}
	// A method's out-parameters are typed by the standard definition too.
	res, err := std.ExecMethod(ctx, `Test_Foo.Id="a"`, "DoIt", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := res.ResultObject(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if v := out.(*cim.Instance).Value("ReturnValue"); v.Type() != cim.TypeUint32 {
		t.Errorf("ReturnValue %s", v.Type())
	}
	if ng.standard.Load() == 0 || ng.gowbem.Load() != 0 {
		t.Errorf("the client asked the standard resource %d times and gowbem's %d times", ng.standard.Load(), ng.gowbem.Load())
	}
}

// The standard resource answers Get only, with qualifiers when asked.
func TestStandardClassResource(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 1}, wsman.Options{})
	get := func(opts string) string {
		hdr := `<wsman:SelectorSet><wsman:Selector Name="__cimnamespace">root/cimv2</wsman:Selector><wsman:Selector Name="ClassName">Test_Foo</wsman:Selector></wsman:SelectorSet>` + opts
		w := call(e.srv, testUser, testPass, envelope(actGet, wsman.URIClassDefinitionDSP0201, hdr, ""))
		if w.Code != 200 {
			t.Fatalf("HTTP %d\n%s", w.Code, w.Body.String())
		}
		return w.Body.String()
	}
	plain := get("")
	if !strings.Contains(plain, `<CLASS NAME="Test_Foo">`) || !strings.Contains(plain, `<PROPERTY NAME="Count" TYPE="uint32" CLASSORIGIN="Test_Foo">`) ||
		strings.Contains(plain, `<QUALIFIER NAME="Key"`) || !strings.Contains(plain, `<METHOD NAME="DoIt" TYPE="uint32"`) {
		t.Errorf("without qualifiers:\n%s", plain)
	}
	if q := get(`<wsman:OptionSet><wsman:Option Name="IncludeQualifiers">true</wsman:Option></wsman:OptionSet>`); !strings.Contains(q, `<QUALIFIER NAME="Key" TYPE="boolean"`) {
		t.Errorf("with qualifiers:\n%s", q)
	}
	w := call(e.srv, testUser, testPass, envelope(actEnumerate, wsman.URIClassDefinitionDSP0201, "", "<wsen:Enumerate/>"))
	wantFault(t, w, 400, "wsa:ActionNotSupported")
}
