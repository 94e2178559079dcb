package xmltree

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unsafe"
)

// tnode is the tests' element: the name as written and, with namespaces,
// resolved; the attributes likewise.
type tnode struct {
	Name         string
	Space, Local string
	Attrs        []Attr
	Resolved     []xml.Name
	Text         string
	Kids         []*tnode
	Line         int
}

func config(namespaces, doctype bool) *Config[tnode, Attr] {
	return &Config[tnode, Attr]{
		MaxDepth: 16, MaxElements: 100, Namespaces: namespaces, Doctype: doctype,
		Start: func(p *Parser[tnode, Attr], n *tnode, name string, attrs []Attr, line int) error {
			n.Name, n.Attrs, n.Line = name, attrs, line
			if namespaces {
				n.Space, n.Local = p.Resolve(name, false)
				for _, a := range attrs {
					s, l := p.Resolve(a.Name, true)
					n.Resolved = append(n.Resolved, xml.Name{Space: s, Local: l})
				}
			}
			return nil
		},
		End: func(n *tnode, text string, kids []*tnode) { n.Text, n.Kids = text, kids },
	}
}

var (
	plain = config(false, true) // CIM-XML's kind: names as written, a DOCTYPE
	ns    = config(true, false) // SOAP's kind: namespaces, no DOCTYPE
)

// stdTree reads s with encoding/xml into the same shape (with namespaces:
// resolved names; without: names as written).
func stdTree(s string, namespaces bool) (*tnode, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []*tnode
	var root *tnode
	name := func(n xml.Name) string {
		if n.Space != "" {
			return n.Space + ":" + n.Local
		}
		return n.Local
	}
	for {
		var tok xml.Token
		var err error
		if namespaces {
			tok, err = d.Token()
		} else {
			tok, err = d.RawToken()
		}
		if err == io.EOF {
			if root == nil || len(stack) > 0 {
				return nil, errors.New("no complete root")
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &tnode{}
			if namespaces {
				n.Space, n.Local = t.Name.Space, t.Name.Local
			} else {
				n.Name = name(t.Name)
			}
			for _, a := range t.Attr {
				if namespaces {
					n.Resolved = append(n.Resolved, a.Name)
				}
				n.Attrs = append(n.Attrs, Attr{name(a.Name), a.Value})
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else if root != nil {
				return nil, errors.New("second root")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, errors.New("end without start")
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root")
			}
		case xml.Directive:
			if namespaces {
				return nil, errors.New("a directive")
			}
		}
	}
}

// sameTree compares a tree with encoding/xml's: with namespaces the
// resolved names and values (encoding/xml's attribute names as written are
// resolved ones), without the names as written.
func sameTree(a, b *tnode, namespaces bool) string {
	if namespaces && (a.Space != b.Space || a.Local != b.Local) || !namespaces && a.Name != b.Name ||
		a.Text != b.Text || len(a.Attrs) != len(b.Attrs) || len(a.Kids) != len(b.Kids) {
		return fmt.Sprintf("<%s {%s}%s %v %q %d kids> vs <%s {%s}%s %v %q %d kids>", a.Name, a.Space, a.Local, a.Attrs, a.Text, len(a.Kids),
			b.Name, b.Space, b.Local, b.Attrs, b.Text, len(b.Kids))
	}
	for i := range a.Attrs {
		if a.Attrs[i].Value != b.Attrs[i].Value || namespaces && a.Resolved[i] != b.Resolved[i] || !namespaces && a.Attrs[i] != b.Attrs[i] {
			return fmt.Sprintf("<%s> attribute %v %v vs %v %v", a.Name, a.Attrs[i], a.Resolved, b.Attrs[i], b.Resolved)
		}
	}
	for i := range a.Kids {
		if d := sameTree(a.Kids[i], b.Kids[i], namespaces); d != "" {
			return d
		}
	}
	return ""
}

// seeds are the documents of both protocols' parser tests (wsman's
// FuzzParseXML, cimxml's FuzzParseDocument) and this package's cases.
var seeds = []string{
	`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><wsa:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</wsa:Action></s:Header><s:Body/></s:Envelope>`,
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">\r\n<s:Body><!-- c --><x a='1' b=\"&lt;&#x41;&#66;\">t&amp;<![CDATA[<raw>]]>u<?pi x?></x></s:Body></s:Envelope>",
	`<a xml:lang="en" p:x="1" xmlns:p="urn:p"><p:b/><c xmlns="urn:d"><e/></c></a>`,
	`<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="GetClass"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"></NAMESPACE></LOCALNAMESPACEPATH></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`,
	"<a x='1' y=\"&lt;&amp;&#65;&#x42;\">t<![CDATA[<raw>]]>u<!-- c --><?pi x?><b/>\r\nv</a>",
	`<!DOCTYPE CIM SYSTEM "CIM_DTD_V20.dtd"><CIM><VALUE>  spaced  </VALUE></CIM>`,
	"<a>&#13;\r</a>",
	`<VALUE.ARRAY><VALUE>1</VALUE><VALUE.NULL/></VALUE.ARRAY>`,
	`<?A0?><Envelope xmlns:="0"></Envelope>`,
	`<A xmlns:s=""><wsa:To s:0=""></wsa:To></A>`,
	`<s:A xmlns:s="u" s:b="1" c:="2" :d="3"/>`,
	`<a><b></a>`, `<!DOCTYPE a><a/>`, `<a>&bogus;</a>`, "<a>\x01</a>", `<a/><b/>`,
	`<!DOCTYPE0"><CIM></CIM>`, `<!DOCTYPE CIM SYSTEM "a>[<b" 'c"'><CIM/>`,
}

func TestParseMatchesEncodingXML(t *testing.T) {
	for _, s := range seeds {
		for _, namespaces := range []bool{false, true} {
			c := plain
			if namespaces {
				c = ns
			}
			got, err := Parse(c, s)
			want, errStd := stdTree(s, namespaces)
			switch {
			case err == nil && errStd == nil:
				if d := sameTree(got, want, namespaces); d != "" {
					t.Errorf("%q (namespaces %v): %s", s, namespaces, d)
				}
			case err == nil:
				t.Errorf("%q (namespaces %v): accepted what encoding/xml refuses: %v", s, namespaces, errStd)
			}
		}
	}
}

// Names and namespaces are read as encoding/xml reads them.
func TestResolve(t *testing.T) {
	n, err := Parse(ns, `<a xmlns="urn:d" xmlns:p="urn:p" p:x="1" y="2" xml:lang="en" q:z="3" :c="4"><p:b xmlns:p="urn:inner"/><c:/></a>`)
	if err != nil {
		t.Fatal(err)
	}
	if n.Space != "urn:d" || n.Local != "a" {
		t.Errorf("root {%s}%s", n.Space, n.Local)
	}
	want := []xml.Name{{Space: "", Local: "xmlns"}, {Space: "xmlns", Local: "p"}, {Space: "urn:p", Local: "x"}, {Local: "y"},
		{Space: NamespaceXML, Local: "lang"}, {Space: "q", Local: "z"}, {Local: ":c"}}
	if fmt.Sprint(n.Resolved) != fmt.Sprint(want) {
		t.Errorf("attributes %v, want %v", n.Resolved, want)
	}
	if k := n.Kids[0]; k.Space != "urn:inner" || k.Local != "b" {
		t.Errorf("inner binding: {%s}%s", k.Space, k.Local)
	}
	if k := n.Kids[1]; k.Space != "urn:d" || k.Local != "c:" {
		t.Errorf("trailing colon: {%s}%s", k.Space, k.Local)
	}
	// A binding ends with its element.
	n, err = Parse(ns, `<a><b xmlns:p="urn:p"/><p:c/></a>`)
	if err != nil || n.Kids[1].Space != "p" {
		t.Fatalf("binding out of scope: %v %+v", err, n.Kids[1])
	}
}

func TestRefuses(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		c    *Config[tnode, Attr]
		want string // a fragment of the message
	}{
		{"", plain, "empty"},
		{"   ", ns, "empty"},
		{"<a>", plain, "ends inside"},
		{"<a></b>", plain, "</b> closes <a>"},
		{"<a/><b/>", plain, "second root"},
		{"<a/>text", plain, "text outside"},
		{"text", plain, `expected an element, found 't'`},
		{`<a x="1" x="2"/>`, plain, "attribute x twice"},
		{`<a x=1/>`, plain, "not quoted"},
		{`<a x/>`, plain, "has no value"},
		{`<a x="1"y="2"/>`, plain, "white space before an attribute"},
		{"<a>&bogus;</a>", plain, "unknown entity &bogus;"},
		{"<a>&amp</a>", plain, "unterminated reference"},
		{"<a>&#0;</a>", plain, "bad character reference"},
		{"<a>&#x;</a>", plain, "bad character reference"},
		{"<a>&#-1;</a>", plain, "bad character reference"},
		{"<a>&#xFFFE;</a>", plain, "bad character reference"},
		{"<a>\x01</a>", plain, "control character 0x01"},
		{"<a>\uFFFE</a>", plain, "U+FFFE is not allowed"},
		{"<a>\xff</a>", plain, "invalid UTF-8"},
		{"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", plain, "internal subset"},
		// A quote opens a string wherever it stands, and a '>' inside one
		// does not end the declaration (encoding/xml's reading; the fuzzer
		// found the first one).
		{`<!DOCTYPE0"><CIM></CIM>`, plain, "unterminated document type declaration"},
		{`<!DOCTYPE CIM SYSTEM 'a><CIM/>`, plain, "unterminated document type declaration"},
		{"<!DOCTYPE x <!-- ><CIM></CIM>", plain, "markup inside a document type declaration"},
		{"<!DOCTYPE x <y> <CIM></CIM>", plain, "markup inside a document type declaration"},
		{"<!DOCTYPE a><a/>", ns, "DOCTYPE"},
		{"<a><!DOCTYPE a></a>", plain, "not accepted inside elements"},
		{`<?xml version="1.0" encoding="latin1"?><a/>`, plain, `encoding "latin1"`},
		{`<?xml version="1.1"?><a/>`, ns, `version "1.1"`},
		{` <?xml version="1.0"?><a/>`, ns, "XML declaration after the start"},
		{`<a><?XML x?></a>`, plain, "reserved processing instruction"},
		{`<a><?1 x?></a>`, plain, "bad target"},
		{"<a><!-- x -- y --></a>", plain, `"--" inside a comment`},
		{"<a><!-- x ---></a>", plain, `"--" inside a comment`},
		{"<a>]]></a>", plain, `"]]>" in character data`},
		{"<a x='<'/>", plain, "'<' in the value"},
		{"<1a/>", plain, "expected a name, found '1'"},
		{"<a\u00d7/>", plain, `bad name "a×"`},
		{"<a><![CDATA[x</a>", plain, "ends inside"},
		{"<a/ >", plain, "expected />"},
		{"<a></a x>", plain, "expected > after </a"},
		{`<s:0 xmlns:s="u"/>`, ns, `"0" is not a name after the prefix`},
		{`<A xmlns:s="u" s:-x="1"/>`, ns, `"-x" is not a name after the prefix`},
		{strings.Repeat("<a>", 17) + strings.Repeat("</a>", 17), plain, "deeper than 16 levels"},
		{"<a>" + strings.Repeat("<b/>", 100) + "</a>", ns, "more than 100 elements"},
	} {
		n, err := Parse(tt.c, tt.doc)
		var se *SyntaxError
		switch {
		case err == nil:
			t.Errorf("%q parsed to <%s>", tt.doc, n.Name)
		case !errors.As(err, &se):
			t.Errorf("%q: %T %v, want a *SyntaxError", tt.doc, err, err)
		case !strings.Contains(err.Error(), tt.want):
			t.Errorf("%q: %v, want %q in it", tt.doc, err, tt.want)
		}
	}
	// Not refused: names as written keep what a prefix is followed by.
	if _, err := Parse(plain, `<s:0 s:-x="1"/>`); err != nil {
		t.Errorf("without namespaces: %v", err)
	}
}

// The limits hold at their edge and refuse one past it.
func TestLimits(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("<a>", n) + strings.Repeat("</a>", n) }
	if _, err := Parse(plain, deep(16)); err != nil {
		t.Errorf("16 levels: %v", err)
	}
	if _, err := Parse(plain, deep(17)); err == nil {
		t.Error("17 levels accepted")
	}
	many := func(n int) string { return "<a>" + strings.Repeat("<b/>", n-1) + "</a>" }
	if _, err := Parse(ns, many(100)); err != nil {
		t.Errorf("100 elements: %v", err)
	}
	if _, err := Parse(ns, many(101)); err == nil {
		t.Error("101 elements accepted")
	}
}

// Messages name the line where the problem is, and elements their line.
func TestLines(t *testing.T) {
	n, err := Parse(plain, "<a>\n<b\nx='1'/>\n\n<c/></a>")
	if err != nil {
		t.Fatal(err)
	}
	if n.Line != 1 || n.Kids[0].Line != 2 || n.Kids[1].Line != 5 {
		t.Errorf("lines %d %d %d, want 1 2 5", n.Line, n.Kids[0].Line, n.Kids[1].Line)
	}
	if _, err := Parse(plain, "<a>\n\n<b>&x;</b></a>"); err == nil || !strings.HasPrefix(err.Error(), "malformed XML at line 3: ") {
		t.Errorf("error %v, want one at line 3", err)
	}
	// A stream's parser counts no lines.
	if _, err := NewParser(plain, "<a>\n\n<b>&x;</b></a>").Element(); err == nil || !strings.HasPrefix(err.Error(), "malformed XML: ") {
		t.Errorf("error %v, want one without a line", err)
	}
}

// Text is concatenated across references, CDATA, comments and children;
// plain text is the input itself, not a copy.
func TestText(t *testing.T) {
	s := "<a>x&lt;<![CDATA[y\r\nz]]><!-- c -->w<b>in</b>v\r</a>"
	n, err := Parse(plain, s)
	if err != nil || n.Text != "x<y\nzwv\n" || n.Kids[0].Text != "in" {
		t.Fatalf("%v %+v", err, n)
	}
	s = "<a>just text</a>"
	n, _ = Parse(plain, s)
	if n.Text != "just text" || unsafe.StringData(n.Text) != unsafe.StringData(s[3:]) {
		t.Errorf("text %q is a copy", n.Text)
	}
}

// Every prefix of a document, cut inside its element, is incomplete (never
// an error, never another element): a stream's reader reads more and tries
// again, and then reads the element as Parse does.
func TestIncomplete(t *testing.T) {
	for _, s := range seeds {
		checkPrefixes(t, s)
	}
}

func checkPrefixes(t *testing.T, s string) {
	full := NewParser(plain, "")
	full.SetInput(s)
	if err := full.Misc(true); err != nil {
		return
	}
	start := full.Pos
	want, err := full.Element()
	if err != nil {
		return
	}
	end := full.Pos
	skip := NewParser(plain, s)
	skip.Pos = start
	if err := skip.SkipElement(); err != nil || skip.Pos != end {
		t.Fatalf("%q: SkipElement ends at %d (%v), the element at %d", s, skip.Pos, err, end)
	}
	p := NewParser(plain, "")
	for cut := start; cut < end; cut++ {
		p.SetInput(s[start:cut])
		p.Reset()
		if _, err := p.Element(); err != ErrIncomplete {
			t.Fatalf("%q cut at %d: %v, want ErrIncomplete", s, cut, err)
		}
		p.Pos = 0
		p.Reset()
		if err := p.SkipElement(); err != ErrIncomplete {
			t.Fatalf("%q cut at %d: SkipElement %v, want ErrIncomplete", s, cut, err)
		}
	}
	p.SetInput(s[start:end])
	p.Reset()
	got, err := p.Element()
	if err != nil {
		t.Fatalf("%q whole: %v", s, err)
	}
	if d := sameTree(got, want, false); d != "" {
		t.Fatalf("%q read in pieces: %s", s, d)
	}
}

// FuzzParse: the reader never panics, refuses only with a *SyntaxError,
// reads what encoding/xml also reads to the same tree (with namespaces and
// without), and a stream's reader finds every cut of an element
// incomplete.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, namespaces := range []bool{false, true} {
			c := plain
			if namespaces {
				c = ns
			}
			got, err := Parse(c, s)
			if err != nil {
				if _, ok := err.(*SyntaxError); !ok {
					t.Fatalf("%q: error %T %v", s, err, err)
				}
				continue
			}
			if want, err := stdTree(s, namespaces); err == nil {
				if d := sameTree(got, want, namespaces); d != "" {
					t.Fatalf("%q (namespaces %v): %s", s, namespaces, d)
				}
			}
		}
		if len(s) < 4096 {
			checkPrefixes(t, s)
		}
	})
}
