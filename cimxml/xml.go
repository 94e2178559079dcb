package cimxml

import "github.com/gowbem/gowbem/internal/xmltree"

// Limits of the XML a server reads (requests) and a client reads (each
// object of a response). CIM-XML documents are shallow: an instance with a
// reference property inside a parameter of a request nests about fifteen
// elements deep.
const (
	// MaxDepth is how deeply elements may nest.
	MaxDepth = 64
	// MaxElements is how many elements a request (or one object of a
	// response) may hold.
	MaxElements = 1 << 18
	// MaxEmbedding is how deeply embedded objects (an instance in a string
	// property, with another inside it, …) may nest.
	MaxEmbedding = 8
)

// node is one element: its name, attributes, character data and child
// elements. CIM-XML uses no XML namespaces, so names are kept as written.
type node struct {
	Name  string
	Attrs []attr
	Text  string // the character data directly inside, concatenated
	Kids  []*node
	Line  int // where the element starts, for messages (0 when not counted)
}

// attr is an attribute as written.
type attr xmltree.Attr

// attr returns the value of the attribute called name.
func (n *node) attr(name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element called name.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// syntaxError is malformed XML: a description with the line.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

// syntaxErr maps the reader's errors to syntaxError.
func syntaxErr(err error) error {
	if e, ok := err.(*xmltree.SyntaxError); ok {
		return &syntaxError{e.Msg}
	}
	return err
}

// errIncomplete is what the parser says when the input ends inside the
// element it reads; a stream reads more and tries again.
var errIncomplete = xmltree.ErrIncomplete

// xmlParser is the XML reader shared with wsman (internal/xmltree), here
// building CIM-XML's tree: names as written, a DOCTYPE accepted,
// CIM-XML's limits.
type xmlParser = xmltree.Parser[node, attr]

var cimXML = &xmltree.Config[node, attr]{
	MaxDepth:    MaxDepth,
	MaxElements: MaxElements,
	Doctype:     true,
	Start: func(_ *xmlParser, n *node, name string, attrs []attr, line int) error {
		n.Name, n.Attrs, n.Line = name, attrs, line
		return nil
	},
	End: func(n *node, text string, kids []*node) { n.Text, n.Kids = text, kids },
}

// newParser returns a reader of s that counts no lines (a stream's, an
// object's).
func newParser(s string) *xmlParser { return xmltree.NewParser(cimXML, s) }

// parseDocument reads a whole document: a prolog (XML declaration,
// comments, processing instructions, a document type declaration without
// an internal subset), one root element and trailing comments.
func parseDocument(s string) (*node, error) {
	n, err := xmltree.Parse(cimXML, s)
	return n, syntaxErr(err)
}

func isSpace(c byte) bool { return xmltree.IsSpace(c) }

func isNameByte(c byte, first bool) bool { return xmltree.IsNameByte(c, first) }

func isXMLChar(r rune) bool { return xmltree.IsChar(r) }
