package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// MaxDepth is how deeply elements of a request may nest. SOAP envelopes of
// WS-Management are shallow (an embedded instance inside a reference inside a
// selector stays far below); the limit keeps a hostile body from costing
// stack or memory.
const MaxDepth = 64

// MaxElements is how many elements one message may hold in all.
const MaxElements = 1 << 16

// node is one element of a parsed message: its name with the namespace URI
// resolved, its attributes, its character data and its child elements.
type node struct {
	Space, Local string
	Attrs        []xml.Attr
	Text         string // the character data directly inside, concatenated
	Kids         []*node
	Line         int // where the element started, for messages
}

// parseError is what parseXML reports: a description with the position.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// child returns the first child element with the namespace and local name
// (space "" matches any namespace).
func (n *node) child(space, local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Local == local && (space == "" || k.Space == space) {
			return k
		}
	}
	return nil
}

// attr returns the value of the attribute with the local name, in no
// namespace or in space.
func (n *node) attr(space, local string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attrs {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == space) {
			return a.Value, true
		}
	}
	return "", false
}

// text returns the character data without surrounding white space.
func (n *node) text() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.Text)
}

// isNil reports xsi:nil="true".
func (n *node) isNil() bool {
	for _, a := range n.Attrs {
		if a.Name.Local == "nil" && a.Name.Space == nsXSI {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// printXML writes the tree back as XML: every element with a prefix bound
// on it to its namespace, attributes other than namespace declarations as
// they were. Parsing what printXML writes gives the same tree.
func printXML(w *bytes.Buffer, n *node) {
	var prefixes []string
	printNode(w, n, &prefixes)
}

func printNode(w *bytes.Buffer, n *node, prefixes *[]string) {
	w.WriteByte('<')
	name := n.Local
	decl := ""
	if n.Space != "" {
		name = "n:" + n.Local
		decl = n.Space
	}
	w.WriteString(name)
	if n.Space != "" {
		w.WriteString(` xmlns:n="`)
		escapeAttr(w, decl)
		w.WriteByte('"')
	} else {
		w.WriteString(` xmlns=""`)
	}
	// Attributes in a namespace get their own prefixes a0, a1, …
	k := 0
	for _, a := range n.Attrs {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		w.WriteByte(' ')
		if a.Name.Space != "" {
			p := fmt.Sprintf("a%d", k)
			k++
			w.WriteString("xmlns:" + p + `="`)
			escapeAttr(w, a.Name.Space)
			w.WriteString(`" ` + p + ":")
		}
		w.WriteString(a.Name.Local)
		w.WriteString(`="`)
		escapeAttr(w, a.Value)
		w.WriteByte('"')
	}
	w.WriteByte('>')
	// Character data is kept as one run before the children: the tree does
	// not record where it stood between them.
	escapeText(w, n.Text)
	for _, c := range n.Kids {
		printNode(w, c, prefixes)
	}
	w.WriteString("</")
	w.WriteString(name)
	w.WriteByte('>')
}
