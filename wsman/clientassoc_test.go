package wsman_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/internal/wsmantest"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

const (
	nsWSMBTest  = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
	nsWSMANTest = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsWSATest   = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSENTest  = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
)

// recorder is a WS-Management endpoint on 127.0.0.1 in front of a test
// environment's server that keeps the Enumerate requests it sees, posing
// as the server its kind says.
type recorder struct {
	mu         sync.Mutex
	enumerates [][]byte
	url        string
}

// Kinds of server a recorder poses as.
const (
	asGowbem    = iota // the test environment's server as it is
	asForeign          // a server that is not gowbem (no gw:ServerName in Identify): the client treats it as WinRM or OMI
	asNoClasses        // asForeign, that refuses every class definition (a fault for URIClassDefinitionDSP0201), as a server that serves none
)

const foreignIdentify = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:IdentifyResponse>` +
	`<wsmid:ProtocolVersion>` + nsWSMANTest + `</wsmid:ProtocolVersion><wsmid:ProductVendor>Other</wsmid:ProductVendor><wsmid:ProductVersion>1</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>`

const noClassFault = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="` + nsWSATest + `"><s:Header>` +
	`<wsa:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</wsa:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>` +
	`<s:Subcode><s:Value>wsa:DestinationUnreachable</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">no class definitions here</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`

func newRecorder(t *testing.T, e *testEnv, kind int) *recorder {
	r := &recorder{}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch {
		case kind != asGowbem && bytes.Contains(body, []byte("wsmid:Identify")):
			w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
			io.WriteString(w, foreignIdentify)
			return
		case kind == asNoClasses && bytes.Contains(body, []byte(wsman.URIClassDefinitionDSP0201)):
			w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, noClassFault)
			return
		case bytes.Contains(body, []byte("/enumeration/Enumerate<")):
			r.mu.Lock()
			r.enumerates = append(r.enumerates, body)
			r.mu.Unlock()
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		e.srv.ServeHTTP(w, req)
	})
	hs := wsmantest.NewServer(h, nil)
	t.Cleanup(hs.Close)
	r.url = hs.URL + "/wsman"
	return r
}

// query runs q through svc, a client of r, checks that its objects are
// want's, and returns them with the one Enumerate request it sent.
func (r *recorder) query(ctx context.Context, t *testing.T, svc *wbem.Services, q string, want []cim.Object) ([]cim.Object, []byte) {
	t.Helper()
	r.take()
	got, err := runQuery(ctx, svc, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if g, w := canonical(t, got), canonical(t, want); !slices.Equal(g, w) {
		t.Errorf("%s:\n got %q\nwant %q", q, g, w)
	}
	sent := r.take()
	if len(sent) != 1 {
		t.Fatalf("%s: %d Enumerate requests", q, len(sent))
	}
	return got, sent[0]
}

// take returns the Enumerate requests seen since the last call.
func (r *recorder) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.enumerates
	r.enumerates = nil
	return out
}

// setupAssociations adds a second association (Test_Link: Owner Test_Foo,
// Item Test_Bar) beside the environment's Test_Dep (a → b), so that each
// WHERE clause of ASSOCIATORS OF and REFERENCES OF picks a part of the
// results.
func setupAssociations(t *testing.T, svc *wbem.Services) {
	mustPutClass(t, svc, &cim.Class{Name: "Test_Bar", Properties: []cim.Property{
		{Name: "Id", Type: cim.TypeString, Qualifiers: keyQ},
		{Name: "Label", Type: cim.TypeString},
	}})
	mustPutClass(t, svc, &cim.Class{Name: "Test_Link", Qualifiers: cim.Qualifiers{{Name: "Association", Value: cim.Bool(true)}},
		Properties: []cim.Property{
			{Name: "Owner", Type: cim.TypeReference, RefClass: "Test_Foo", Qualifiers: keyQ},
			{Name: "Item", Type: cim.TypeReference, RefClass: "Test_Bar", Qualifiers: keyQ},
			{Name: "Weight", Type: cim.TypeUint32},
		}})
	mustPut(t, svc, "Test_Bar", map[string]cim.Value{"Id": cim.String("x"), "Label": cim.String("the x")})
	mustPut(t, svc, "Test_Link", map[string]cim.Value{"Owner": cim.RefString(`Test_Foo.Id="a"`), "Item": cim.RefString(`Test_Bar.Id="x"`), "Weight": cim.Uint32(7)})
}

// canonical describes objects by their relative paths and their non-NULL
// values (references by their relative paths), sorted: what must be equal
// in-process and over WS-Management.
func canonical(t *testing.T, objs []cim.Object) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		inst, ok := o.(*cim.Instance)
		if !ok {
			out = append(out, "class "+o.(*cim.Class).Name)
			continue
		}
		var vals []string
		for i, p := range inst.Class().Properties {
			v := inst.At(i)
			if v.IsNull() {
				continue
			}
			s := v.Text()
			if v.Type() == cim.TypeReference {
				rp, err := cim.ParsePath(v.Str())
				if err != nil {
					t.Fatalf("reference %s: %v", v.Str(), err)
				}
				s = rp.RelPath()
			}
			vals = append(vals, p.Name+"="+s)
		}
		sort.Strings(vals)
		out = append(out, inst.ObjectPath().RelPath()+" {"+strings.Join(vals, "; ")+"}")
	}
	sort.Strings(out)
	return out
}

func runQuery(ctx context.Context, svc *wbem.Services, q string) ([]cim.Object, error) {
	en, err := svc.ExecQuery(ctx, "WQL", q, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		return nil, err
	}
	return en.Collect(ctx)
}

// ASSOCIATORS OF and REFERENCES OF go as DSP0227's association filter, to
// gowbem and to other servers alike, each WHERE clause in its element; the
// results are those of the same query in-process.
func TestClientAssociationFilter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	setupAssociations(t, local)
	cases := []struct {
		q    string
		want int // objects in-process
	}{
		{`ASSOCIATORS OF {Test_Foo.Id="a"}`, 2},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE AssocClass = Test_Link`, 1},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE ResultClass = Test_Foo`, 1},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE Role = Owner`, 1},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE ResultRole = Dependent`, 1},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE AssocClass = Test_Dep ResultClass = Test_Foo Role = Antecedent ResultRole = Dependent`, 1},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE ResultRole = Antecedent`, 0},
		{`ASSOCIATORS OF {Test_Foo.Id="b"} WHERE Role = Dependent`, 1},
		{`ASSOCIATORS OF {Test_Bar="x"}`, 1}, // a bare key, named with the class
		{`REFERENCES OF {Test_Foo.Id="a"}`, 2},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE ResultClass = Test_Link`, 1},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE Role = Antecedent`, 1},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE ResultClass = Test_Dep Role = Antecedent`, 1},
		{`REFERENCES OF {Test_Bar.Id="x"} WHERE Role = Owner`, 0},
	}
	for _, foreign := range []bool{false, true} {
		kind := asGowbem
		if foreign {
			kind = asForeign
		}
		rec := newRecorder(t, e, kind)
		svc, err := wbem.Connect(ctx, rec.url, workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		for _, tc := range cases {
			want, err := runQuery(ctx, local, tc.q)
			if err != nil || len(want) != tc.want {
				t.Fatalf("in-process %s: %d objects, %v; want %d", tc.q, len(want), err, tc.want)
			}
			rec.take()
			got, err := runQuery(ctx, svc, tc.q)
			if err != nil {
				t.Fatalf("foreign=%v %s: %v", foreign, tc.q, err)
			}
			if g, w := canonical(t, got), canonical(t, want); !slices.Equal(g, w) {
				t.Errorf("foreign=%v %s:\n got %q\nwant %q", foreign, tc.q, g, w)
			}
			sent := rec.take()
			if len(sent) != 1 {
				t.Fatalf("foreign=%v %s: %d Enumerate requests", foreign, tc.q, len(sent))
			}
			checkAssocEnvelope(t, sent[0], tc.q)
		}
	}
}

// xnode is an element of a request, read with encoding/xml.
type xnode struct {
	name  xml.Name
	attrs []xml.Attr
	text  string
	kids  []*xnode
}

func parseXNode(t *testing.T, b []byte) *xnode {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the request is not XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: tok.Name, attrs: tok.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	return root
}

// path follows elements by namespace and local name; nil when one is missing.
func (n *xnode) path(steps ...string) *xnode {
	for i := 0; n != nil && i < len(steps); i += 2 {
		var next *xnode
		for _, k := range n.kids {
			if k.name.Space == steps[i] && k.name.Local == steps[i+1] {
				next = k
				break
			}
		}
		n = next
	}
	return n
}

func (n *xnode) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// checkAssocEnvelope checks that an Enumerate carries q as DSP0227's
// association filter: the dialect, the all-classes resource, the kind of
// query, its object as an EPR of the source instance, and one element per
// WHERE keyword with the keyword's value.
func checkAssocEnvelope(t *testing.T, b []byte, q string) {
	t.Helper()
	const soap = "http://www.w3.org/2003/05/soap-envelope"
	env := parseXNode(t, b)
	if uri := env.path(soap, "Header", nsWSMANTest, "ResourceURI"); uri == nil || uri.text != wsman.URIAllClasses {
		t.Errorf("%s: the resource is not the all-classes URI:\n%s", q, b)
	}
	filter := env.path(soap, "Body", nsWSENTest, "Enumerate", nsWSMANTest, "Filter")
	if filter == nil || filter.attr("Dialect") != wsman.DialectAssociation || len(filter.kids) != 1 {
		t.Fatalf("%s: no association filter:\n%s", q, b)
	}
	kind := filter.kids[0]
	refs := strings.HasPrefix(q, "REFERENCES")
	if wantKind := map[bool]string{false: "AssociatedInstances", true: "AssociationInstances"}[refs]; kind.name.Space != nsWSMBTest || kind.name.Local != wantKind {
		t.Fatalf("%s: filter holds {%s}%s, want {%s}%s", q, kind.name.Space, kind.name.Local, nsWSMBTest, wantKind)
	}
	// The object: the path between the braces.
	src, err := cim.ParsePath(q[strings.Index(q, "{")+1 : strings.Index(q, "}")])
	if err != nil {
		t.Fatal(err)
	}
	obj := kind.path(nsWSMBTest, "Object")
	if obj.path(nsWSATest, "Address") == nil {
		t.Errorf("%s: the object has no wsa:Address", q)
	}
	if u := obj.path(nsWSATest, "ReferenceParameters", nsWSMANTest, "ResourceURI"); u == nil || !strings.HasSuffix(u.text, "/"+src.Class) {
		t.Errorf("%s: the object's resource URI does not name %s", q, src.Class)
	}
	sels := map[string]string{}
	if set := obj.path(nsWSATest, "ReferenceParameters", nsWSMANTest, "SelectorSet"); set != nil {
		for _, s := range set.kids {
			sels[s.attr("Name")] = s.text
		}
	}
	keyName := "Id" // of Test_Foo and Test_Bar, also where the query leaves it out
	if len(src.Keys) != 1 || sels[keyName] != src.Keys[0].Value.Str() || sels["__cimnamespace"] != "root/cimv2" {
		t.Errorf("%s: selectors %v", q, sels)
	}
	// The WHERE keywords, each in its element; nothing else.
	elems := map[string]string{}
	for _, k := range kind.kids[1:] {
		if k.name.Space != nsWSMBTest {
			t.Errorf("%s: element {%s}%s in the filter", q, k.name.Space, k.name.Local)
		}
		elems[k.name.Local] = k.text
	}
	want := map[string]string{}
	if i := strings.Index(q, " WHERE "); i >= 0 {
		f := strings.Fields(q[i+len(" WHERE "):])
		for j := 0; j+2 < len(f); j += 3 {
			name := map[string]string{"AssocClass": "AssociationClassName", "ResultClass": "ResultClassName", "Role": "Role", "ResultRole": "ResultRole"}[f[j]]
			want[name] = f[j+2]
		}
	}
	if len(elems) != len(want) {
		t.Errorf("%s: filter elements %v, want %v", q, elems, want)
	}
	for k, v := range want {
		if elems[k] != v {
			t.Errorf("%s: filter elements %v, want %v", q, elems, want)
		}
	}
}

// What the association filter cannot carry: a server that is not gowbem
// gets nothing and the caller WBEM_E_NOT_SUPPORTED naming the clause; a
// gowbem server gets the WQL text, which it takes whole.
func TestClientAssociationFilterCannot(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	setupAssociations(t, local)
	cases := []struct{ q, clause string }{
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE ClassDefsOnly`, "ClassDefsOnly"},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE SchemaOnly`, "SchemaOnly"},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE RequiredQualifier = Key`, "RequiredQualifier"},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE RequiredAssocQualifier = Association`, "RequiredAssocQualifier"},
		{`ASSOCIATORS OF {Test_Foo.Id="a"} WHERE AssocClass = Test_Dep ClassDefsOnly`, "ClassDefsOnly"},
		{`REFERENCES OF {Test_Foo} WHERE KeysOnly`, "class"},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE ClassDefsOnly`, "ClassDefsOnly"},
		{`REFERENCES OF {Test_Foo.Id="a"} WHERE RequiredQualifier = Key`, "RequiredQualifier"},
		{`ASSOCIATORS OF {Test_Foo}`, "class"},
		{`REFERENCES OF {Test_Foo}`, "class"},
		{`ASSOCIATORS OF {\\.\root\interop:Test_Foo.Id="a"}`, "another namespace"},
	}
	foreign := newRecorder(t, e, asForeign)
	gw := newRecorder(t, e, asGowbem)
	creds := wbem.Credentials{User: testUser, Password: testPass}
	fsvc, err := wbem.Connect(ctx, foreign.url, workload.Namespace, creds)
	if err != nil {
		t.Fatal(err)
	}
	gsvc, err := wbem.Connect(ctx, gw.url, workload.Namespace, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsvc.Close(); gsvc.Close() })
	for _, tc := range cases {
		_, err := runQuery(ctx, fsvc, tc.q)
		ce := cim.AsError(err)
		if err == nil || ce.Status != cim.WBEM_E_NOT_SUPPORTED || !strings.Contains(ce.Description, tc.clause) {
			t.Errorf("%s to another server: %v, want WBEM_E_NOT_SUPPORTED naming %s", tc.q, err, tc.clause)
		}
		if sent := foreign.take(); len(sent) != 0 {
			t.Errorf("%s: sent to another server:\n%s", tc.q, sent[0])
		}
		want, werr := runQuery(ctx, local, tc.q)
		got, gerr := runQuery(ctx, gsvc, tc.q)
		if (werr == nil) != (gerr == nil) || (werr != nil && cim.StatusOf(werr) != cim.StatusOf(gerr)) {
			t.Errorf("%s to gowbem: %v, in-process %v", tc.q, gerr, werr)
		} else if g, w := canonical(t, got), canonical(t, want); !slices.Equal(g, w) {
			t.Errorf("%s to gowbem:\n got %q\nwant %q", tc.q, g, w)
		}
		sent := gw.take()
		if len(sent) != 1 {
			t.Fatalf("%s: %d Enumerate requests to gowbem", tc.q, len(sent))
		}
		f := parseXNode(t, sent[0]).path("http://www.w3.org/2003/05/soap-envelope", "Body", nsWSENTest, "Enumerate", nsWSMANTest, "Filter")
		if f == nil || f.attr("Dialect") != wsman.DialectWQL || f.text != tc.q {
			t.Errorf("%s: gowbem did not get the WQL text:\n%s", tc.q, sent[0])
		}
	}
}

// The server takes an association filter's names without surrounding
// spaces, and faults on one that is not a name rather than leaving it out
// (which would widen the results).
func TestServerAssociationFilterNames(t *testing.T) {
	e := newEnv(t, nil, wsman.Options{})
	setupAssociations(t, e.om.Services(workload.Namespace)) // without AssocClass: b and x
	filter := func(assocClass string) string {
		return enumerate(wsman.URIAllClasses, `<wsman:OptimizeEnumeration/><wsman:MaxElements>10</wsman:MaxElements>`+
			`<wsman:Filter Dialect="`+wsman.DialectAssociation+`"><wsmb:AssociatedInstances xmlns:wsmb="`+nsWSMBTest+`"><wsmb:Object>`+
			`<wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address><wsa:ReferenceParameters>`+
			`<wsman:ResourceURI>`+wsman.URIPrefixWMI+`root/cimv2/Test_Foo</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="Id">a</wsman:Selector>`+
			`<wsman:Selector Name="__cimnamespace">root/cimv2</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsmb:Object>`+
			`<wsmb:AssociationClassName>`+assocClass+`</wsmb:AssociationClassName></wsmb:AssociatedInstances></wsman:Filter>`)
	}
	ns := `<wsman:SelectorSet><wsman:Selector Name="__cimnamespace">root/cimv2</wsman:Selector></wsman:SelectorSet>`
	withNS := func(s string) string { return strings.Replace(s, "</s:Header>", ns+"</s:Header>", 1) }
	w := call(e.srv, testUser, testPass, withNS(filter(" Test_Dep\n")))
	if w.Code != 200 || !strings.Contains(w.Body.String(), ":Id>b</") || strings.Contains(w.Body.String(), ":Id>a</") || strings.Contains(w.Body.String(), ":Id>x</") {
		t.Fatalf("AssociationClassName with spaces: HTTP %d\n%s", w.Code, w.Body.String())
	}
	for _, bad := range []string{"Test_Dep OR 1=1", "1Test", "Test-Dep"} {
		wantFaultSaying(t, call(e.srv, testUser, testPass, withNS(filter(bad))), 400, "wsen:CannotProcessFilter", "AssociationClassName", bad)
	}
}
