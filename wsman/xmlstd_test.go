package wsman

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// parseXMLStd reads one XML document into a tree with a streaming decoder,
// holding the nesting depth under MaxDepth and the element count under
// MaxElements.
func parseXMLStd(r io.Reader) (*node, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	var stack []*node
	var root *node
	var text bytes.Buffer
	count := 0
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil {
				return nil, &parseError{"the message is empty: no XML element"}
			}
			return root, nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &parseError{fmt.Sprintf("malformed XML at line %d: %s", se.Line, se.Msg)}
			}
			return nil, &parseError{"malformed XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, &parseError{fmt.Sprintf("malformed XML at line %d: a second root element <%s> after the first", line, t.Name.Local)}
			}
			if len(stack) >= MaxDepth {
				return nil, &parseError{fmt.Sprintf("line %d: elements nest deeper than %d levels at <%s>", line, MaxDepth, t.Name.Local)}
			}
			if count++; count > MaxElements {
				return nil, &parseError{fmt.Sprintf("line %d: more than %d elements", line, MaxElements)}
			}
			if len(stack) > 0 {
				stack[len(stack)-1].Text += text.String()
			}
			text.Reset()
			n := &node{Space: t.Name.Space, Local: t.Name.Local, Line: line}
			if len(t.Attr) > 0 {
				n.Attrs = append([]xml.Attr(nil), t.Attr...)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Text += text.String()
			text.Reset()
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, &parseError{fmt.Sprintf("malformed XML at line %d: text outside the root element", line)}
			}
		case xml.Directive:
			return nil, &parseError{fmt.Sprintf("line %d: XML directives (DOCTYPE, entities) are not accepted", line)}
		}
	}
}
