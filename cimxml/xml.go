package cimxml

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

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

type attr struct{ Name, Value string }

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

// errIncomplete is what the parser says when the input ends inside the
// element it reads; a stream reads more and tries again.
var errIncomplete = errors.New("cimxml: incomplete XML")

// xmlParser reads XML from s. Names, attribute values and text are
// substrings of s unless they hold character references, so a document
// costs few allocations.
type xmlParser struct {
	s      string
	pos    int
	line   int // 0: lines are not counted
	lineAt int
	count  int // elements read
	slab   []node

	// Children and attributes gather on these stacks while an element is
	// read, then move to exact-size slices cut from shared slabs: a
	// document costs a few large allocations, not a few per element.
	kids     []*node
	attrs    []attr
	kidSlab  []*node
	attrSlab []attr
}

// reset empties the stacks, which an error leaves as they were, before a
// stream tries an element again.
func (p *xmlParser) reset() {
	clear(p.kids)
	p.kids = p.kids[:0]
	p.attrs = p.attrs[:0]
	p.count = 0
}

func (p *xmlParser) keepKids(from int) []*node {
	n := len(p.kids) - from
	if n == 0 {
		return nil
	}
	if len(p.kidSlab) < n {
		p.kidSlab = make([]*node, max(256, n))
	}
	out := p.kidSlab[:n:n]
	p.kidSlab = p.kidSlab[n:]
	copy(out, p.kids[from:])
	clear(p.kids[from:])
	p.kids = p.kids[:from]
	return out
}

func (p *xmlParser) keepAttrs(from int) []attr {
	n := len(p.attrs) - from
	if n == 0 {
		return nil
	}
	if len(p.attrSlab) < n {
		p.attrSlab = make([]attr, max(128, n))
	}
	out := p.attrSlab[:n:n]
	p.attrSlab = p.attrSlab[n:]
	copy(out, p.attrs[from:])
	p.attrs = p.attrs[:from]
	return out
}

func (p *xmlParser) lineOf(pos int) int {
	if p.line == 0 {
		return 0
	}
	if pos > len(p.s) {
		pos = len(p.s)
	}
	if pos > p.lineAt {
		p.line += strings.Count(p.s[p.lineAt:pos], "\n")
		p.lineAt = pos
	}
	return p.line
}

func (p *xmlParser) errf(pos int, format string, args ...any) error {
	where := ""
	if l := p.lineOf(pos); l > 0 {
		where = fmt.Sprintf(" at line %d", l)
	}
	return &syntaxError{"malformed XML" + where + ": " + fmt.Sprintf(format, args...)}
}

func (p *xmlParser) newNode() *node {
	if len(p.slab) == 0 {
		p.slab = make([]node, 32)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

// parseDocument reads a whole document: a prolog (XML declaration,
// comments, processing instructions, a document type declaration without
// an internal subset), one root element and trailing comments.
func parseDocument(s string) (*node, error) {
	p := &xmlParser{s: s, line: 1}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, p.errf(i, "invalid UTF-8")
	}
	root, err := p.document()
	if err == errIncomplete {
		return nil, p.errf(len(p.s), "the document ends inside a tag, comment or element")
	}
	return root, err
}

func (p *xmlParser) document() (*node, error) {
	if err := p.misc(true); err != nil {
		return nil, err
	}
	if p.pos >= len(p.s) {
		return nil, &syntaxError{"the document is empty: no XML element"}
	}
	root, err := p.element(0)
	if err != nil {
		return nil, err
	}
	if err := p.misc(false); err != nil {
		return nil, err
	}
	if p.pos < len(p.s) {
		if p.s[p.pos] == '<' {
			return nil, p.errf(p.pos, "a second root element after the first")
		}
		return nil, p.errf(p.pos, "text outside the root element")
	}
	return root, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *xmlParser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

// misc skips white space, comments and processing instructions (and, in a
// prolog, the XML declaration and a document type declaration).
func (p *xmlParser) misc(prolog bool) error {
	for {
		p.skipSpace()
		rest := p.s[p.pos:]
		switch {
		case strings.HasPrefix(rest, "<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case prolog && strings.HasPrefix(rest, "<!DOCTYPE"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return p.errf(p.pos, "unterminated document type declaration")
			}
			if strings.ContainsAny(rest[:end], "[") {
				return p.errf(p.pos, "a document type declaration with an internal subset is not accepted")
			}
			p.pos += end + 1
		default:
			return nil
		}
	}
}

func (p *xmlParser) comment() error {
	end := strings.Index(p.s[p.pos+4:], "-->")
	if end < 0 {
		return errIncomplete
	}
	body := p.s[p.pos+4 : p.pos+4+end]
	if strings.Contains(body, "--") || strings.HasSuffix(body, "-") {
		return p.errf(p.pos, `"--" inside a comment`)
	}
	if err := p.checkChars(body, p.pos+4); err != nil {
		return err
	}
	p.pos += 4 + end + 3
	return nil
}

func (p *xmlParser) pi() error {
	start := p.pos
	end := strings.Index(p.s[p.pos+2:], "?>")
	if end < 0 {
		return errIncomplete
	}
	body := p.s[p.pos+2 : p.pos+2+end]
	target := body
	if i := strings.IndexAny(body, " \t\r\n"); i >= 0 {
		target = body[:i]
	}
	if !validName(target) {
		return p.errf(start, "processing instruction with the bad target %q", target)
	}
	if strings.EqualFold(target, "xml") && start != 0 && target != "xml" {
		return p.errf(start, "reserved processing instruction target %q", target)
	}
	if target == "xml" {
		if start != 0 {
			return p.errf(start, "an XML declaration after the start of the document")
		}
		if enc := declAttr(body, "encoding"); enc != "" && !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "utf8") {
			return p.errf(start, "encoding %q: only UTF-8 is accepted", enc)
		}
	}
	if err := p.checkChars(body, p.pos+2); err != nil {
		return err
	}
	p.pos += 2 + end + 2
	return nil
}

// declAttr reads a pseudo-attribute of the XML declaration.
func declAttr(decl, name string) string {
	i := strings.Index(decl, name)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len(name):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || rest[0] != '"' && rest[0] != '\'' {
		return ""
	}
	q := rest[0]
	if j := strings.IndexByte(rest[1:], q); j >= 0 {
		return rest[1 : 1+j]
	}
	return ""
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80 ||
		!first && (c == '.' || c == '-' || '0' <= c && c <= '9')
}

func (p *xmlParser) name() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && isNameByte(p.s[p.pos], p.pos == start) {
		p.pos++
	}
	if p.pos >= len(p.s) {
		return "", errIncomplete // a name ends before the end of the input
	}
	if p.pos == start {
		return "", p.errf(p.pos, "expected a name, found %s", p.found(p.pos))
	}
	n := p.s[start:p.pos]
	if !validName(n) {
		return "", p.errf(start, "bad name %q", n)
	}
	return n, nil
}

// validName checks a name's characters beyond ASCII (the parser lets bytes
// >= 0x80 through) and its first character.
func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		switch {
		case r == '_' || r == ':' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
		case i > 0 && (r == '.' || r == '-' || '0' <= r && r <= '9'):
		case r >= 0xC0 && r <= 0x2FF && r != 0xD7 && r != 0xF7, r >= 0x370 && r <= 0x1FFF && r != 0x37E,
			r >= 0x200C && r <= 0x200D, r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF,
			r >= 0x3001 && r <= 0xD7FF, r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		case i > 0 && (r == 0xB7 || r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040):
		default:
			return false
		}
	}
	return true
}

func (p *xmlParser) found(pos int) string {
	if pos >= len(p.s) {
		return "the end"
	}
	r, _ := utf8.DecodeRuneInString(p.s[pos:])
	return strconv.QuoteRune(r)
}

// element reads one element at p.pos ('<' of its start tag) with all its
// content. It returns errIncomplete when the input ends inside it.
func (p *xmlParser) element(depth int) (*node, error) {
	if depth >= MaxDepth {
		return nil, p.errf(p.pos, "elements nest deeper than %d", MaxDepth)
	}
	if p.count++; p.count > MaxElements {
		return nil, p.errf(p.pos, "more than %d elements", MaxElements)
	}
	start := p.pos
	n, empty, err := p.startTag()
	if err != nil {
		return nil, err
	}
	n.Line = p.lineOf(start)
	if empty {
		return n, nil
	}
	if err := p.content(n, depth); err != nil {
		return nil, err
	}
	return n, nil
}

// startTag reads a start tag: the element without its content, and
// whether it was an empty-element tag.
func (p *xmlParser) startTag() (*node, bool, error) {
	start := p.pos
	if p.pos >= len(p.s) {
		return nil, false, errIncomplete
	}
	if p.s[p.pos] != '<' {
		return nil, false, p.errf(p.pos, "expected an element, found %s", p.found(p.pos))
	}
	p.pos++
	name, err := p.name()
	if err != nil {
		return nil, false, err
	}
	n := p.newNode()
	n.Name = name
	from := len(p.attrs) // on an error the stack is left as it is: see reset
	for {
		sp := p.pos
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, false, errIncomplete
		}
		switch p.s[p.pos] {
		case '>':
			p.pos++
			n.Attrs = p.keepAttrs(from)
			return n, false, nil
		case '/':
			if p.pos+1 >= len(p.s) {
				return nil, false, errIncomplete
			}
			if p.s[p.pos+1] != '>' {
				return nil, false, p.errf(p.pos, "expected /> in the tag of <%s>", name)
			}
			p.pos += 2
			n.Attrs = p.keepAttrs(from)
			return n, true, nil
		}
		if sp == p.pos {
			return nil, false, p.errf(p.pos, "expected white space before an attribute of <%s>, found %s", name, p.found(p.pos))
		}
		aname, err := p.name()
		if err != nil {
			return nil, false, err
		}
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, false, errIncomplete
		}
		if p.s[p.pos] != '=' {
			return nil, false, p.errf(p.pos, "attribute %s of <%s> has no value", aname, name)
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, false, errIncomplete
		}
		q := p.s[p.pos]
		if q != '"' && q != '\'' {
			return nil, false, p.errf(p.pos, "the value of attribute %s of <%s> is not quoted", aname, name)
		}
		end := strings.IndexByte(p.s[p.pos+1:], q)
		if end < 0 {
			return nil, false, errIncomplete
		}
		raw := p.s[p.pos+1 : p.pos+1+end]
		if strings.IndexByte(raw, '<') >= 0 {
			return nil, false, p.errf(p.pos, "'<' in the value of attribute %s of <%s>", aname, name)
		}
		v, err := p.unescape(raw, p.pos+1)
		if err != nil {
			return nil, false, err
		}
		for _, a := range p.attrs[from:] {
			if a.Name == aname {
				return nil, false, p.errf(start, "attribute %s twice in <%s>", aname, name)
			}
		}
		p.attrs = append(p.attrs, attr{aname, v})
		p.pos += 1 + end + 1
	}
}

// content reads what follows a start tag up to and including its end tag.
func (p *xmlParser) content(n *node, depth int) error {
	var first string
	var more []string
	from := len(p.kids)
	for {
		lt := strings.IndexByte(p.s[p.pos:], '<')
		if lt < 0 {
			return errIncomplete
		}
		if lt > 0 {
			raw := p.s[p.pos : p.pos+lt]
			if strings.Contains(raw, "]]>") {
				return p.errf(p.pos, `"]]>" in character data`)
			}
			t, err := p.unescape(raw, p.pos)
			if err != nil {
				return err
			}
			if first == "" {
				first = t
			} else {
				more = append(more, t)
			}
			p.pos += lt
		}
		rest := p.s[p.pos:]
		switch {
		case strings.HasPrefix(rest, "</"):
			p.pos += 2
			name, err := p.name()
			if err != nil {
				return err
			}
			if name != n.Name {
				return p.errf(p.pos, "</%s> closes <%s>", name, n.Name)
			}
			p.skipSpace()
			if p.pos >= len(p.s) {
				return errIncomplete
			}
			if p.s[p.pos] != '>' {
				return p.errf(p.pos, "expected > after </%s", name)
			}
			p.pos++
			n.Text = first
			if len(more) > 0 {
				n.Text = first + strings.Join(more, "")
			}
			n.Kids = p.keepKids(from)
			return nil
		case strings.HasPrefix(rest, "<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<![CDATA["):
			end := strings.Index(rest[9:], "]]>")
			if end < 0 {
				return errIncomplete
			}
			cd := rest[9 : 9+end]
			if err := p.checkChars(cd, p.pos+9); err != nil {
				return err
			}
			if t := normalizeNewlines(cd); first == "" {
				first = t
			} else {
				more = append(more, t)
			}
			p.pos += 9 + end + 3
		case strings.HasPrefix(rest, "<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case len(rest) < 9 && (strings.HasPrefix("<![CDATA[", rest) || strings.HasPrefix("<!--", rest)):
			return errIncomplete
		case strings.HasPrefix(rest, "<!"):
			return p.errf(p.pos, "declarations are not accepted inside elements")
		default:
			k, err := p.element(depth + 1)
			if err != nil {
				return err
			}
			p.kids = append(p.kids, k)
		}
	}
}

func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// checkChars refuses characters XML does not allow.
func (p *xmlParser) checkChars(s string, at int) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return p.errf(at+i, "control character %#02x", c)
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return p.errf(at+i, "invalid UTF-8")
			}
			if !isXMLChar(r) {
				return p.errf(at+i, "character %U is not allowed in XML", r)
			}
			i += n - 1
		}
	}
	return nil
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// unescape replaces character and entity references in raw (character
// data or an attribute value at offset at) and normalizes line ends.
func (p *xmlParser) unescape(raw string, at int) (string, error) {
	if err := p.checkChars(raw, at); err != nil {
		return "", err
	}
	if strings.IndexByte(raw, '&') < 0 {
		return normalizeNewlines(raw), nil
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\r' {
			b.WriteByte('\n')
			if i++; i < len(raw) && raw[i] == '\n' {
				i++
			}
			continue
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(raw[i:], ';')
		if end < 0 {
			return "", p.errf(at+i, "unterminated reference")
		}
		ref := raw[i+1 : i+end]
		switch ref {
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "amp":
			b.WriteByte('&')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			if !strings.HasPrefix(ref, "#") || len(ref) < 2 {
				return "", p.errf(at+i, "unknown entity &%s;", ref)
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				if len(ref) < 3 {
					return "", p.errf(at+i, "bad character reference &%s;", ref)
				}
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			}
			if err != nil || n > 0x10FFFF || !isXMLChar(rune(n)) || strings.ContainsAny(ref[1:], "+-") {
				return "", p.errf(at+i, "bad character reference &%s;", ref)
			}
			b.WriteRune(rune(n))
		}
		i += end + 1
	}
	return b.String(), nil
}
