package cimxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// stdTree parses s with encoding/xml into the same tree shape as
// parseDocument (names as written, "prefix:local").
func stdTree(s string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
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
			n := &node{Name: qname(t.Name)}
			for _, a := range t.Attr {
				n.Attrs = append(n.Attrs, attr{qname(a.Name), a.Value})
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
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root")
			}
		}
	}
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func sameTree(a, b *node) string {
	if a.Name != b.Name || a.Text != b.Text || len(a.Attrs) != len(b.Attrs) || len(a.Kids) != len(b.Kids) {
		return fmt.Sprintf("<%s %v %q %d kids> vs <%s %v %q %d kids>", a.Name, a.Attrs, a.Text, len(a.Kids), b.Name, b.Attrs, b.Text, len(b.Kids))
	}
	for i := range a.Attrs {
		if a.Attrs[i] != b.Attrs[i] {
			return fmt.Sprintf("<%s> attribute %v vs %v", a.Name, a.Attrs[i], b.Attrs[i])
		}
	}
	for i := range a.Kids {
		if d := sameTree(a.Kids[i], b.Kids[i]); d != "" {
			return d
		}
	}
	return ""
}

var xmlSeeds = []string{
	`<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="GetClass"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"></NAMESPACE></LOCALNAMESPACEPATH><IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="Test_Foo"/></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`,
	"<a x='1' y=\"&lt;&amp;&#65;&#x42;\">t<![CDATA[<raw>]]>u<!-- c --><?pi x?><b/>\r\nv</a>",
	`<!DOCTYPE CIM SYSTEM "CIM_DTD_V20.dtd"><CIM><VALUE>  spaced  </VALUE></CIM>`,
	"<a>&#13;\r</a>",
	`<VALUE.ARRAY><VALUE>1</VALUE><VALUE.NULL/></VALUE.ARRAY>`,
}

func TestParseDocumentMatchesEncodingXML(t *testing.T) {
	for _, s := range xmlSeeds {
		got, err := parseDocument(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want, err := stdTree(s)
		if err != nil {
			t.Fatalf("encoding/xml: %q: %v", s, err)
		}
		if d := sameTree(got, want); d != "" {
			t.Fatalf("%q: %s", s, d)
		}
	}
}

func TestParseDocumentRefuses(t *testing.T) {
	for _, s := range []string{
		"", "   ", "<a>", "<a></b>", "<a/><b/>", "<a/>text", `<a x="1" x="2"/>`, `<a x=1/>`, "<a>&bogus;</a>",
		"<a>&#0;</a>", "<a>\x01</a>", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", `<?xml version="1.0" encoding="latin1"?><a/>`,
		"<a>\xff</a>", "<a><!-- x -- y --></a>", "<a>]]></a>", "<a x='<'/>", "<1a/>", "<a><![CDATA[x</a>",
		strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1),
	} {
		if n, err := parseDocument(s); err == nil {
			t.Errorf("%q parsed to <%s>", s, n.Name)
		} else if _, ok := err.(*syntaxError); !ok {
			t.Errorf("%q: %T %v, want a syntax error", s, err, err)
		}
	}
}

func TestParseDocumentElementLimit(t *testing.T) {
	s := "<a>" + strings.Repeat("<b/>", MaxElements) + "</a>"
	if _, err := parseDocument(s); err == nil || !strings.Contains(err.Error(), "elements") {
		t.Fatalf("%d elements: %v", MaxElements+1, err)
	}
	s = "<a>" + strings.Repeat("<b/>", MaxElements-1) + "</a>"
	if _, err := parseDocument(s); err != nil {
		t.Fatalf("%d elements: %v", MaxElements, err)
	}
}

// What parseDocument accepts, encoding/xml reads to the same tree (it may
// accept more: names of exotic scripts, internal subsets).
func FuzzParseDocument(f *testing.F) {
	for _, s := range xmlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseDocument(s)
		if err != nil {
			if _, ok := err.(*syntaxError); !ok {
				t.Fatalf("%q: error %T %v is not a syntax error", s, err, err)
			}
			return
		}
		if strings.Contains(s, "xmlns") {
			return // encoding/xml resolves namespaces; CIM-XML has none
		}
		want, err := stdTree(s)
		if err != nil {
			t.Fatalf("parseDocument accepted what encoding/xml refuses (%v): %q", err, s)
		}
		if d := sameTree(got, want); d != "" {
			t.Fatalf("%q: %s", s, d)
		}
	})
}
