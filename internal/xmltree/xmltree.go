// Package xmltree is the XML reader of both protocols, WS-Management (wsman)
// and CIM-XML (cimxml): it reads a document, or one element of a stream,
// into a tree of the caller's element type.
//
// It reads what those protocols use — elements, attributes, character data
// with the predefined entities and character references, CDATA sections,
// comments, processing instructions, an XML declaration (UTF-8 only) and,
// where the caller allows it, a document type declaration without an
// internal subset; entity declarations are refused, so no expansion can be
// asked for. Names, attribute values and text are substrings of the input
// unless they hold references, and elements, attribute lists and child lists
// are cut from shared slabs, so a large document costs few allocations.
// Nesting and the element count are held under the caller's limits.
//
// A caller says what its elements are with a Config: Start fills an element
// from its start tag, End gives it its text and children. With Namespaces
// the reader keeps the xmlns bindings in scope and Resolve names an element
// or attribute by namespace URI and local name (as encoding/xml does);
// without, names are kept as written.
//
// Malformed input is a *SyntaxError naming the problem and, where lines are
// counted, the line. A Parser reading a stream (Element, StartTag,
// SkipElement, Misc) reports ErrIncomplete when the input ends inside what
// it reads: the caller appends more input (SetInput) and tries again from
// the same position.
package xmltree

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NamespaceXML is the namespace the prefix "xml" is bound to.
const NamespaceXML = "http://www.w3.org/XML/1998/namespace"

// Attr is an attribute as written: its qualified name and its value with
// references replaced and line ends normalized.
type Attr struct{ Name, Value string }

// AttrType is a caller's type of attribute: Attr or a type of its own
// defined as one.
type AttrType interface{ ~struct{ Name, Value string } }

// SyntaxError is malformed XML (or XML past a limit): a description with
// the line where lines are counted.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

// ErrIncomplete is what a Parser reports when its input ends inside what it
// reads; more input may complete it.
var ErrIncomplete = errors.New("xmltree: incomplete XML")

// Config describes a caller's documents: its limits, what it accepts and
// how its elements (of type T, with attributes of type A) are made.
type Config[T any, A AttrType] struct {
	// MaxDepth is how deeply elements may nest; MaxElements how many one
	// document (or one Element call) may hold.
	MaxDepth, MaxElements int
	// Doctype accepts a document type declaration (without an internal
	// subset) in the prolog; without it any declaration is refused.
	Doctype bool
	// Namespaces keeps the namespace bindings in scope for Resolve and
	// refuses a prefix followed by something other than a name.
	Namespaces bool
	// Start fills n from its start tag: the name as written, the
	// attributes (n may keep the slice: it is its own) and the line (0 when
	// lines are not counted). An error stops the parse.
	Start func(p *Parser[T, A], n *T, name string, attrs []A, line int) error
	// End gives n, read whole, its character data (concatenated) and its
	// child elements (n may keep the slice).
	End func(n *T, text string, kids []*T)
}

type binding struct{ prefix, uri string }

// Parser reads XML from S starting at Pos. S and Pos are the caller's to
// move when it reads a stream (see SetInput).
type Parser[T any, A AttrType] struct {
	S   string
	Pos int

	c      *Config[T, A]
	line   int // 0: lines are not counted
	lineAt int // the offset the line count has reached
	count  int // elements read
	tag    int // where the start tag being read begins, for messages

	binds []binding // in-scope namespace bindings, innermost last

	// Children and attributes gather on these stacks while an element is
	// read, then move to exact-size slices cut from shared slabs: a
	// document costs a few large allocations, not a few per element.
	slab     []T
	kids     []*T
	attrs    []A
	kidSlab  []*T
	attrSlab []A
}

// Parse reads a whole document: a prolog (XML declaration, comments,
// processing instructions and, with Config.Doctype, a document type
// declaration), one root element and trailing comments and processing
// instructions. Lines are counted for messages.
func Parse[T any, A AttrType](c *Config[T, A], s string) (*T, error) {
	p := &Parser[T, A]{S: s, c: c, line: 1}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, p.Errorf(i, "invalid UTF-8")
	}
	root, err := p.document()
	if err == ErrIncomplete {
		return nil, p.Errorf(len(p.S), "the document ends inside a tag, comment or element")
	}
	return root, err
}

// NewParser returns a parser of s that does not count lines (messages name
// no line): a stream's or an object's reader.
func NewParser[T any, A AttrType](c *Config[T, A], s string) *Parser[T, A] {
	return &Parser[T, A]{S: s, c: c}
}

// SetInput replaces the input, reading on from its start: a stream's
// reader gives the unread rest of its input with what came after it.
func (p *Parser[T, A]) SetInput(s string) {
	p.S, p.Pos, p.lineAt = s, 0, 0
}

// Reset empties the stacks, which an error leaves as they were, and the
// element count, before a stream's reader tries an element again.
func (p *Parser[T, A]) Reset() {
	clear(p.kids)
	p.kids = p.kids[:0]
	p.attrs = p.attrs[:0]
	p.binds = p.binds[:0]
	p.count = 0
}

func (p *Parser[T, A]) keepKids(from int) []*T {
	n := len(p.kids) - from
	if n == 0 {
		return nil
	}
	if len(p.kidSlab) < n {
		p.kidSlab = make([]*T, max(256, n))
	}
	out := p.kidSlab[:n:n]
	p.kidSlab = p.kidSlab[n:]
	copy(out, p.kids[from:])
	clear(p.kids[from:])
	p.kids = p.kids[:from]
	return out
}

func (p *Parser[T, A]) keepAttrs(from int) []A {
	n := len(p.attrs) - from
	if n == 0 {
		return nil
	}
	if len(p.attrSlab) < n {
		p.attrSlab = make([]A, max(128, n))
	}
	out := p.attrSlab[:n:n]
	p.attrSlab = p.attrSlab[n:]
	copy(out, p.attrs[from:])
	p.attrs = p.attrs[:from]
	return out
}

// newNode cuts an element from the slab, which grows from 32 to 256
// elements: a small document stays small, a large one costs few
// allocations.
func (p *Parser[T, A]) newNode() *T {
	if len(p.slab) == 0 {
		p.slab = make([]T, min(256, max(32, 2*cap(p.slab))))
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

func (p *Parser[T, A]) lineOf(pos int) int {
	if p.line == 0 {
		return 0
	}
	if pos > len(p.S) {
		pos = len(p.S)
	}
	if pos > p.lineAt {
		p.line += strings.Count(p.S[p.lineAt:pos], "\n")
		p.lineAt = pos
	}
	return p.line
}

// Errorf returns a *SyntaxError about the input at pos, naming its line
// where lines are counted.
func (p *Parser[T, A]) Errorf(pos int, format string, args ...any) error {
	where := ""
	if l := p.lineOf(pos); l > 0 {
		where = fmt.Sprintf(" at line %d", l)
	}
	return &SyntaxError{"malformed XML" + where + ": " + fmt.Sprintf(format, args...)}
}

func (p *Parser[T, A]) document() (*T, error) {
	if err := p.Misc(true); err != nil {
		return nil, err
	}
	if p.Pos >= len(p.S) {
		return nil, &SyntaxError{"the document is empty: no XML element"}
	}
	root, err := p.Element()
	if err != nil {
		return nil, err
	}
	if err := p.Misc(false); err != nil {
		return nil, err
	}
	if p.Pos < len(p.S) {
		if p.S[p.Pos] == '<' {
			return nil, p.Errorf(p.Pos, "a second root element after the first")
		}
		return nil, p.Errorf(p.Pos, "text outside the root element")
	}
	return root, nil
}

// IsSpace reports XML white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace moves Pos past white space.
func (p *Parser[T, A]) SkipSpace() {
	for p.Pos < len(p.S) && IsSpace(p.S[p.Pos]) {
		p.Pos++
	}
}

// Misc moves Pos past white space, comments and processing instructions
// (and, in a prolog, the XML declaration and with Config.Doctype a
// document type declaration) up to the next element or text.
func (p *Parser[T, A]) Misc(prolog bool) error {
	for {
		p.SkipSpace()
		rest := p.S[p.Pos:]
		switch {
		case strings.HasPrefix(rest, "<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case prolog && p.c.Doctype && strings.HasPrefix(rest, "<!DOCTYPE"):
			end, err := p.doctypeEnd(rest)
			if err != nil {
				return err
			}
			p.Pos += end + 1
		case prolog && !p.c.Doctype && strings.HasPrefix(rest, "<!"):
			return p.Errorf(p.Pos, "XML directives (DOCTYPE, entities) are not accepted")
		default:
			return nil
		}
	}
}

// doctypeEnd returns the index in rest (which begins "<!DOCTYPE") of the
// '>' that ends the declaration: the first one outside a quoted string, as
// XML reads it (a quote opens a string wherever it stands). An internal
// subset ('[') and markup inside the declaration ('<': nested
// declarations, comments) are refused: CIM-XML's DOCTYPE names its DTD
// only.
func (p *Parser[T, A]) doctypeEnd(rest string) (int, error) {
	var quote byte
	for i := len("<!DOCTYPE"); i < len(rest); i++ {
		switch c := rest[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i, nil
		case c == '[':
			return 0, p.Errorf(p.Pos, "a document type declaration with an internal subset is not accepted")
		case c == '<':
			return 0, p.Errorf(p.Pos+i, "markup inside a document type declaration is not accepted")
		}
	}
	return 0, p.Errorf(p.Pos, "unterminated document type declaration")
}

func (p *Parser[T, A]) comment() error {
	end := strings.Index(p.S[p.Pos+4:], "-->")
	if end < 0 {
		return ErrIncomplete
	}
	body := p.S[p.Pos+4 : p.Pos+4+end]
	if strings.Contains(body, "--") || strings.HasSuffix(body, "-") {
		return p.Errorf(p.Pos, `"--" inside a comment`)
	}
	if err := p.checkChars(body, p.Pos+4); err != nil {
		return err
	}
	p.Pos += 4 + end + 3
	return nil
}

// pi reads a processing instruction, or the XML declaration if it begins
// the input.
func (p *Parser[T, A]) pi() error {
	start := p.Pos
	end := strings.Index(p.S[p.Pos+2:], "?>")
	if end < 0 {
		return ErrIncomplete
	}
	body := p.S[p.Pos+2 : p.Pos+2+end]
	target := body
	if i := strings.IndexAny(body, " \t\r\n"); i >= 0 {
		target = body[:i]
	}
	if !ValidName(target) {
		return p.Errorf(start, "processing instruction with the bad target %q", target)
	}
	if strings.EqualFold(target, "xml") {
		switch {
		case target != "xml":
			return p.Errorf(start, "reserved processing instruction target %q", target)
		case start != 0:
			return p.Errorf(start, "an XML declaration after the start of the document")
		}
		if enc := declAttr(body, "encoding"); enc != "" && !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "utf8") && !strings.EqualFold(enc, "us-ascii") {
			return p.Errorf(start, "encoding %q: only UTF-8 is accepted", enc)
		}
		if v := declAttr(body, "version"); v != "" && v != "1.0" {
			return p.Errorf(start, "XML version %q is not supported", v)
		}
	}
	if err := p.checkChars(body, p.Pos+2); err != nil {
		return err
	}
	p.Pos += 2 + end + 2
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

// IsNameByte reports whether c may be part of a name (first: its first
// byte); bytes of characters beyond ASCII pass, and ValidName checks the
// name whole.
func IsNameByte(c byte, first bool) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80 ||
		!first && (c == '.' || c == '-' || '0' <= c && c <= '9')
}

// name reads a name at Pos.
func (p *Parser[T, A]) name() (string, error) {
	start := p.Pos
	for p.Pos < len(p.S) && IsNameByte(p.S[p.Pos], p.Pos == start) {
		p.Pos++
	}
	if p.Pos >= len(p.S) {
		return "", ErrIncomplete // a name ends before the end of the input
	}
	if p.Pos == start {
		return "", p.Errorf(p.Pos, "expected a name, found %s", p.found(p.Pos))
	}
	n := p.S[start:p.Pos]
	if !ValidName(n) {
		return "", p.Errorf(start, "bad name %q", n)
	}
	return n, nil
}

// ValidName reports whether n is an XML name (XML 1.0, fifth edition:
// NameStartChar NameChar*).
func ValidName(n string) bool {
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

func (p *Parser[T, A]) found(pos int) string {
	if pos >= len(p.S) {
		return "the end"
	}
	r, _ := utf8.DecodeRuneInString(p.S[pos:])
	return strconv.QuoteRune(r)
}

// Element reads the element that starts at Pos ('<' of its start tag)
// with all its content, as the root of a tree: ErrIncomplete when the
// input ends inside it.
func (p *Parser[T, A]) Element() (*T, error) { return p.element(0) }

func (p *Parser[T, A]) element(depth int) (*T, error) {
	if depth >= p.c.MaxDepth {
		return nil, p.Errorf(p.Pos, "elements nest deeper than %d levels", p.c.MaxDepth)
	}
	if p.count++; p.count > p.c.MaxElements {
		return nil, p.Errorf(p.Pos, "more than %d elements", p.c.MaxElements)
	}
	nbinds := len(p.binds)
	n, name, empty, err := p.startTag()
	if err != nil {
		return nil, err
	}
	if !empty {
		if err := p.content(n, name, depth); err != nil {
			return nil, err
		}
	} else {
		p.c.End(n, "", nil)
	}
	p.binds = p.binds[:nbinds]
	return n, nil
}

// StartTag reads a start tag at Pos: the element without its content (End
// not yet called), and whether it was an empty-element tag. With
// Config.Namespaces its bindings stay in scope: Element is the reader of
// such documents.
func (p *Parser[T, A]) StartTag() (*T, bool, error) {
	n, _, empty, err := p.startTag()
	return n, empty, err
}

func (p *Parser[T, A]) startTag() (n *T, name string, empty bool, err error) {
	start := p.Pos
	p.tag = start
	if p.Pos >= len(p.S) {
		return nil, "", false, ErrIncomplete
	}
	if p.S[p.Pos] != '<' {
		return nil, "", false, p.Errorf(p.Pos, "expected an element, found %s", p.found(p.Pos))
	}
	line := p.lineOf(start)
	p.Pos++
	name, err = p.name()
	if err != nil {
		return nil, "", false, err
	}
	from := len(p.attrs) // on an error the stack is left as it is: see Reset
	for {
		sp := p.Pos
		p.SkipSpace()
		if p.Pos >= len(p.S) {
			return nil, "", false, ErrIncomplete
		}
		c := p.S[p.Pos]
		if c == '>' {
			p.Pos++
			break
		}
		if c == '/' {
			if p.Pos+1 >= len(p.S) {
				return nil, "", false, ErrIncomplete
			}
			if p.S[p.Pos+1] != '>' {
				return nil, "", false, p.Errorf(p.Pos, "expected /> in the tag of <%s>", name)
			}
			p.Pos += 2
			empty = true
			break
		}
		if sp == p.Pos {
			return nil, "", false, p.Errorf(p.Pos, "expected white space before an attribute of <%s>, found %s", name, p.found(p.Pos))
		}
		if err := p.attribute(name, start, from); err != nil {
			return nil, "", false, err
		}
	}
	if p.c.Namespaces {
		if err := p.checkPrefixes(name, from); err != nil {
			return nil, "", false, err
		}
	}
	n = p.newNode()
	if err := p.c.Start(p, n, name, p.keepAttrs(from), line); err != nil {
		return nil, "", false, err
	}
	return n, name, empty, nil
}

// attribute reads one attribute of the start tag of name (at start) onto
// the stack, whose attributes of this tag begin at from.
func (p *Parser[T, A]) attribute(name string, start, from int) error {
	aname, err := p.name()
	if err != nil {
		return err
	}
	p.SkipSpace()
	if p.Pos >= len(p.S) {
		return ErrIncomplete
	}
	if p.S[p.Pos] != '=' {
		return p.Errorf(p.Pos, "attribute %s of <%s> has no value", aname, name)
	}
	p.Pos++
	p.SkipSpace()
	if p.Pos >= len(p.S) {
		return ErrIncomplete
	}
	q := p.S[p.Pos]
	if q != '"' && q != '\'' {
		return p.Errorf(p.Pos, "the value of attribute %s of <%s> is not quoted", aname, name)
	}
	end := strings.IndexByte(p.S[p.Pos+1:], q)
	if end < 0 {
		return ErrIncomplete
	}
	raw := p.S[p.Pos+1 : p.Pos+1+end]
	if strings.IndexByte(raw, '<') >= 0 {
		return p.Errorf(p.Pos, "'<' in the value of attribute %s of <%s>", aname, name)
	}
	v, err := p.Unescape(raw, p.Pos+1)
	if err != nil {
		return err
	}
	for _, a := range p.attrs[from:] {
		if Attr(a).Name == aname {
			return p.Errorf(start, "attribute %s twice in <%s>", aname, name)
		}
	}
	p.attrs = append(p.attrs, A{aname, v})
	p.Pos += 1 + end + 1
	if p.c.Namespaces {
		switch {
		case aname == "xmlns":
			p.binds = append(p.binds, binding{"", v})
		case strings.HasPrefix(aname, "xmlns:") && len(aname) > len("xmlns:"):
			// "xmlns:" alone binds nothing: it is an attribute of that
			// name, as encoding/xml reads it.
			p.binds = append(p.binds, binding{aname[6:], v})
		}
	}
	return nil
}

// checkPrefixes refuses a prefix followed by something other than a name,
// in the element's name or an attribute's: s:0 would name something no
// printer could write back.
func (p *Parser[T, A]) checkPrefixes(name string, from int) error {
	if prefix, local := splitName(name); prefix != "" && !ValidName(local) {
		return p.Errorf(p.tag, "<%s>: %q is not a name after the prefix", name, local)
	}
	for _, a := range p.attrs[from:] {
		if prefix, local := splitName(Attr(a).Name); prefix != "" && !ValidName(local) {
			return p.Errorf(p.tag, "attribute %s in <%s>: %q is not a name after the prefix", Attr(a).Name, name, local)
		}
	}
	return nil
}

func splitName(n string) (prefix, local string) {
	if i := strings.IndexByte(n, ':'); i > 0 && i < len(n)-1 {
		return n[:i], n[i+1:]
	}
	return "", n
}

// Resolve names an element (attr false) or an attribute of the start tag
// being read (in Config.Start) by namespace URI and local name, as
// encoding/xml does: an element without a prefix is in the default
// namespace, an attribute without one in none; an unbound prefix stands
// for itself; a leading or trailing ':' stays in the local name.
func (p *Parser[T, A]) Resolve(qname string, attr bool) (space, local string) {
	prefix, local := splitName(qname)
	switch {
	case prefix != "":
		return p.lookup(prefix), local
	case attr:
		return "", qname
	default:
		return p.lookup(""), qname
	}
}

func (p *Parser[T, A]) lookup(prefix string) string {
	switch prefix {
	case "xml":
		return NamespaceXML
	case "xmlns":
		return "xmlns"
	}
	for i := len(p.binds) - 1; i >= 0; i-- {
		if p.binds[i].prefix == prefix {
			return p.binds[i].uri
		}
	}
	return prefix
}

// content reads what follows a start tag up to and including its end tag.
func (p *Parser[T, A]) content(n *T, name string, depth int) error {
	var first string
	var more []string
	from := len(p.kids)
	for {
		lt := strings.IndexByte(p.S[p.Pos:], '<')
		if lt < 0 {
			return ErrIncomplete
		}
		if lt > 0 {
			raw := p.S[p.Pos : p.Pos+lt]
			if strings.IndexByte(raw, '>') >= 0 && strings.Contains(raw, "]]>") {
				return p.Errorf(p.Pos+strings.Index(raw, "]]>"), `"]]>" in character data`)
			}
			t, err := p.Unescape(raw, p.Pos)
			if err != nil {
				return err
			}
			if first == "" {
				first = t
			} else {
				more = append(more, t)
			}
			p.Pos += lt
		}
		rest := p.S[p.Pos:]
		switch {
		case strings.HasPrefix(rest, "</"):
			p.Pos += 2
			end, err := p.name()
			if err != nil {
				return err
			}
			if end != name {
				return p.Errorf(p.Pos, "</%s> closes <%s>", end, name)
			}
			p.SkipSpace()
			if p.Pos >= len(p.S) {
				return ErrIncomplete
			}
			if p.S[p.Pos] != '>' {
				return p.Errorf(p.Pos, "expected > after </%s", end)
			}
			p.Pos++
			text := first
			if len(more) > 0 {
				text = first + strings.Join(more, "")
			}
			p.c.End(n, text, p.keepKids(from))
			return nil
		case strings.HasPrefix(rest, "<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<![CDATA["):
			end := strings.Index(rest[9:], "]]>")
			if end < 0 {
				return ErrIncomplete
			}
			cd := rest[9 : 9+end]
			if err := p.checkChars(cd, p.Pos+9); err != nil {
				return err
			}
			if t := normalizeNewlines(cd); first == "" {
				first = t
			} else {
				more = append(more, t)
			}
			p.Pos += 9 + end + 3
		case strings.HasPrefix(rest, "<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case len(rest) < 9 && (strings.HasPrefix("<![CDATA[", rest) || strings.HasPrefix("<!--", rest)):
			return ErrIncomplete
		case strings.HasPrefix(rest, "<!"):
			return p.Errorf(p.Pos, "XML directives (DOCTYPE, entities) are not accepted inside elements")
		default:
			k, err := p.element(depth + 1)
			if err != nil {
				return err
			}
			p.kids = append(p.kids, k)
		}
	}
}
