package cimxml

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// The client reads most of what it receives — instances, one after the
// other, by the thousand — without building a tree: SkipElement (internal/xmltree) finds where
// an object of a response ends, and fastInstance reads an INSTANCE element
// of the common shape (properties with values, arrays of values, NULLs)
// straight from the text. Anything else (references, embedded objects,
// qualifiers, comments, CDATA) makes fastInstance give up, and the object
// is read through the tree as before; so the two agree by construction
// (a test holds them to it).

// cursor reads the common shapes of CIM-XML from a string holding whole
// elements; any method that meets something else reports false.
type cursor struct {
	s   string
	pos int
	p   *xmlParser // for unescaping
}

func (c *cursor) space() {
	for c.pos < len(c.s) && isSpace(c.s[c.pos]) {
		c.pos++
	}
}

// lit consumes the literal t.
func (c *cursor) lit(t string) bool {
	if strings.HasPrefix(c.s[c.pos:], t) {
		c.pos += len(t)
		return true
	}
	return false
}

// open consumes "<name" followed by white space, '>' or "/>".
func (c *cursor) open(name string) bool {
	rest := c.s[c.pos:]
	if len(rest) < len(name)+2 || rest[0] != '<' || rest[1:1+len(name)] != name {
		return false
	}
	switch rest[1+len(name)] {
	case ' ', '\t', '\r', '\n', '>', '/':
		c.pos += 1 + len(name)
		return true
	}
	return false
}

// attrs reads the attributes of a start tag up to '>' (empty false) or
// "/>" (empty true), calling f with each; f reports whether to go on.
func (c *cursor) attrs(f func(name, value string) bool) (empty, ok bool) {
	var names [8]string // those read: a second one of a name is an error
	for n := 0; ; n++ {
		first := n == 0
		sp := c.pos
		c.space()
		if c.pos >= len(c.s) {
			return false, false
		}
		switch c.s[c.pos] {
		case '>':
			c.pos++
			return false, true
		case '/':
			if c.lit("/>") {
				return true, true
			}
			return false, false
		}
		if c.pos == sp && !first {
			return false, false // attributes are separated by white space
		}
		start := c.pos
		for c.pos < len(c.s) && isNameByte(c.s[c.pos], c.pos == start) && c.s[c.pos] < 0x80 {
			c.pos++
		}
		name := c.s[start:c.pos]
		if name == "" || n >= len(names) || !c.lit(`="`) {
			return false, false
		}
		for _, m := range names[:n] {
			if m == name {
				return false, false
			}
		}
		names[n] = name
		end := strings.IndexByte(c.s[c.pos:], '"')
		if end < 0 {
			return false, false
		}
		raw := c.s[c.pos : c.pos+end]
		c.pos += end + 1
		for i := 0; i < len(raw); i++ {
			if b := raw[i]; b == '&' || b == '<' || b < 0x20 || b >= 0x80 {
				return false, false // rare: the tree reads it
			}
		}
		if !f(name, raw) {
			return false, false
		}
	}
}

// text reads character data up to '<'.
func (c *cursor) text() (string, bool) {
	end := strings.IndexByte(c.s[c.pos:], '<')
	if end < 0 {
		return "", false
	}
	raw := c.s[c.pos : c.pos+end]
	c.pos += end
	if strings.IndexByte(raw, '&') < 0 && strings.IndexByte(raw, '\r') < 0 {
		for i := 0; i < len(raw); i++ {
			if b := raw[i]; b < 0x20 && b != '\t' && b != '\n' || b >= 0x80 {
				goto slow
			}
		}
		return raw, true
	}
slow:
	v, err := c.p.Unescape(raw, 0)
	return v, err == nil
}

// fastInstance reads the INSTANCE element at the start of s (an instance
// of the class lookup returns), and reports where it ends. ok false: s
// holds something the fast path does not read (the caller reads it through
// the tree).
func fastInstance(s string, lookup func(string) (*cim.Class, error)) (c *cim.Class, inst *cim.Instance, seen []bool, end int, ok bool) {
	cur := &cursor{s: s, p: newParser("")}
	if !cur.open("INSTANCE") {
		return nil, nil, nil, 0, false
	}
	className := ""
	empty, ok := cur.attrs(func(name, v string) bool {
		if name == "CLASSNAME" {
			className = v
		}
		return true
	})
	if !ok || className == "" {
		return nil, nil, nil, 0, false
	}
	c, err := lookup(className)
	if err != nil {
		return nil, nil, nil, 0, false
	}
	inst = c.NewInstance()
	seen = make([]bool, len(c.Properties))
	if empty {
		return c, inst, seen, cur.pos, true
	}
	next := 0
	for {
		cur.space()
		if cur.lit("</INSTANCE>") {
			return c, inst, seen, cur.pos, true
		}
		array := false
		switch {
		case cur.open("PROPERTY"):
		case cur.open("PROPERTY.ARRAY"):
			array = true
		default:
			return nil, nil, nil, 0, false
		}
		var pname string
		pempty, ok := cur.attrs(func(name, v string) bool {
			switch name {
			case "NAME":
				pname = v
			case "TYPE", "CLASSORIGIN", "PROPAGATED":
			default:
				return false // EmbeddedObject and the like: the tree reads them
			}
			return true
		})
		if !ok || pname == "" {
			return nil, nil, nil, 0, false
		}
		i := next
		if i >= len(c.Properties) || c.Properties[i].Name != pname {
			if i = c.PropertyIndex(pname); i < 0 {
				return nil, nil, nil, 0, false // the tree names the culprit
			}
		}
		next = i + 1
		p := &c.Properties[i]
		if p.Type.IsArray() != array || p.Type.Elem() == cim.TypeObject || p.Type.Elem() == cim.TypeReference {
			return nil, nil, nil, 0, false
		}
		seen[i] = true
		if pempty {
			continue // NULL
		}
		cur.space()
		closeTag := "</PROPERTY>"
		if array {
			closeTag = "</PROPERTY.ARRAY>"
		}
		if cur.lit(closeTag) {
			continue // NULL
		}
		if !array {
			if !cur.lit("<VALUE>") {
				return nil, nil, nil, 0, false
			}
			text, ok := cur.text()
			if !ok || !cur.lit("</VALUE>") {
				return nil, nil, nil, 0, false
			}
			v, err := scalar(nil, text, p.Type)
			if err != nil {
				return nil, nil, nil, 0, false
			}
			inst.SetAt(i, v)
		} else {
			if !cur.lit("<VALUE.ARRAY>") {
				return nil, nil, nil, 0, false
			}
			var vals []cim.Value
			for {
				cur.space()
				if cur.lit("</VALUE.ARRAY>") {
					break
				}
				if cur.lit("<VALUE.NULL/>") {
					vals = append(vals, cim.Null)
					continue
				}
				if !cur.lit("<VALUE>") {
					return nil, nil, nil, 0, false
				}
				text, ok := cur.text()
				if !ok || !cur.lit("</VALUE>") {
					return nil, nil, nil, 0, false
				}
				v, err := scalar(nil, text, p.Type.Elem())
				if err != nil {
					return nil, nil, nil, 0, false
				}
				vals = append(vals, v)
			}
			a, err := cim.ArrayOf(p.Type.Elem(), vals)
			if err != nil {
				return nil, nil, nil, 0, false
			}
			inst.SetAt(i, a)
		}
		cur.space()
		if !cur.lit(closeTag) {
			return nil, nil, nil, 0, false
		}
	}
}

// item is one object of a response as it came: its text, read into a tree
// only when the fast path does not read it.
type item struct {
	raw string
	n   *node
}

// node returns the item's tree.
func (it *item) node() (*node, error) {
	if it.n == nil {
		p := newParser(it.raw)
		n, err := p.Element()
		if err == errIncomplete || err == nil && p.Pos != len(it.raw) {
			err = &syntaxError{"an object of the response is cut short"}
		}
		if err != nil {
			return nil, syntaxErr(err)
		}
		it.n = n
	}
	return it.n, nil
}
