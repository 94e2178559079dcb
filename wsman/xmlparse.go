package wsman

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/gowbem/gowbem/internal/xmltree"
)

// parseXML reads one XML document into a tree with the XML reader shared
// with cimxml (internal/xmltree): namespaces resolved, document type
// declarations refused (SOAP 1.2 allows none), nesting held under MaxDepth
// and the element count under MaxElements. Names and text are substrings
// of one copy of the input, so a large response costs few allocations. It
// builds the same tree as encoding/xml would (a fuzz test holds it to
// that).
func parseXML(r io.Reader) (*node, error) {
	var sb strings.Builder
	if _, err := io.Copy(&sb, r); err != nil {
		return nil, &parseError{"reading the message: " + err.Error()}
	}
	return parseXMLString(sb.String())
}

func parseXMLString(s string) (*node, error) {
	root, err := xmltree.Parse(soapXML, s)
	if e, ok := err.(*xmltree.SyntaxError); ok {
		return nil, &parseError{e.Msg}
	}
	return root, err
}

type xmlParser = xmltree.Parser[node, xmltree.Attr]

var soapXML = &xmltree.Config[node, xmltree.Attr]{
	MaxDepth:    MaxDepth,
	MaxElements: MaxElements,
	Namespaces:  true,
	Start: func(p *xmlParser, n *node, name string, attrs []xmltree.Attr, line int) error {
		n.Space, n.Local = p.Resolve(name, false)
		n.Line = line
		if len(attrs) > 0 {
			n.Attrs = make([]xml.Attr, len(attrs))
			for i, a := range attrs {
				space, local := p.Resolve(a.Name, true)
				n.Attrs[i] = xml.Attr{Name: xml.Name{Space: space, Local: local}, Value: a.Value}
			}
		}
		return nil
	},
	End: func(n *node, text string, kids []*node) { n.Text, n.Kids = text, kids },
}
