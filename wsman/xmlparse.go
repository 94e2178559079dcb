package wsman

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const nsXML = "http://www.w3.org/XML/1998/namespace"

// parseXML reads one XML document into a tree. It is a small hand-written
// parser for what SOAP messages use — elements, attributes, namespaces,
// character data with the predefined and numeric character references,
// CDATA sections, comments and processing instructions — and refuses
// document type declarations. Names and text are substrings of one copy of
// the input, so a large response costs few allocations. Nesting is held
// under MaxDepth and the element count under MaxElements. It builds the
// same tree as encoding/xml would (a fuzz test holds it to that).
func parseXML(r io.Reader) (*node, error) {
	var sb strings.Builder
	if _, err := io.Copy(&sb, r); err != nil {
		return nil, &parseError{"reading the message: " + err.Error()}
	}
	return parseXMLString(sb.String())
}

type binding struct {
	prefix, uri string
	depth       int
}

type xmlParser struct {
	s      string
	pos    int
	line   int
	lineAt int // the offset the line count has reached

	binds []binding // in-scope namespace bindings, innermost last
	slab  []node
	count int
}

func (p *xmlParser) lineOf(pos int) int {
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
	return &parseError{fmt.Sprintf("malformed XML at line %d: ", p.lineOf(pos)) + fmt.Sprintf(format, args...)}
}

func (p *xmlParser) newNode() *node {
	if len(p.slab) == 0 {
		p.slab = make([]node, 64)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

func parseXMLString(s string) (*node, error) {
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
	if err := p.prolog(); err != nil {
		return nil, err
	}
	if p.pos >= len(p.s) {
		return nil, &parseError{"the message is empty: no XML element"}
	}
	root, err := p.element(0)
	if err != nil {
		return nil, err
	}
	// Only comments, processing instructions and white space may follow.
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return root, nil
		}
		switch {
		case strings.HasPrefix(p.s[p.pos:], "<!--"):
			if err := p.comment(); err != nil {
				return nil, err
			}
		case strings.HasPrefix(p.s[p.pos:], "<?"):
			if err := p.pi(); err != nil {
				return nil, err
			}
		case p.s[p.pos] == '<':
			return nil, p.errf(p.pos, "a second root element after the first")
		default:
			return nil, p.errf(p.pos, "text outside the root element")
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *xmlParser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

// prolog skips the XML declaration, comments, processing instructions and
// white space before the root element.
func (p *xmlParser) prolog() error {
	for {
		p.skipSpace()
		rest := p.s[p.pos:]
		switch {
		case rest == "":
			return nil
		case strings.HasPrefix(rest, "<?xml") && len(rest) > 5 && (isSpace(rest[5]) || rest[5] == '?'):
			end := strings.Index(rest, "?>")
			if end < 0 {
				return p.errf(p.pos, "unterminated XML declaration")
			}
			decl := rest[5:end]
			if enc := declAttr(decl, "encoding"); enc != "" && !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "us-ascii") {
				return p.errf(p.pos, "encoding %q is not supported (use UTF-8)", enc)
			}
			if v := declAttr(decl, "version"); v != "" && v != "1.0" {
				return p.errf(p.pos, "XML version %q is not supported", v)
			}
			p.pos += end + 2
		case strings.HasPrefix(rest, "<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!"):
			return p.errf(p.pos, "XML directives (DOCTYPE, entities) are not accepted")
		case rest[0] == '<':
			return nil
		default:
			return p.errf(p.pos, "text outside the root element")
		}
	}
}

// declAttr finds name="v" or name='v' in an XML declaration.
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
	end := strings.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return ""
	}
	return rest[1 : 1+end]
}

func (p *xmlParser) comment() error {
	end := strings.Index(p.s[p.pos+4:], "-->")
	if end < 0 {
		return p.errf(p.pos, "unterminated comment")
	}
	if strings.Contains(p.s[p.pos+4:p.pos+4+end], "--") {
		return p.errf(p.pos, `"--" inside a comment`)
	}
	p.pos += 4 + end + 3
	return nil
}

func (p *xmlParser) pi() error {
	start := p.pos
	end := strings.Index(p.s[p.pos+2:], "?>")
	if end < 0 {
		return p.errf(p.pos, "unterminated processing instruction")
	}
	target := p.s[p.pos+2 : p.pos+2+end]
	if i := strings.IndexAny(target, " \t\r\n"); i >= 0 {
		target = target[:i]
	}
	if target == "" || !validName(target) {
		return p.errf(start, "bad processing instruction")
	}
	if strings.EqualFold(target, "xml") {
		return p.errf(start, "an XML declaration may only begin the document")
	}
	p.pos += 2 + end + 2
	return nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

// name reads an XML name at pos.
func (p *xmlParser) name() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && isNameByte(p.s[p.pos]) {
		p.pos++
	}
	n := p.s[start:p.pos]
	if n == "" || !validName(n) {
		return "", p.errf(start, "expected a name")
	}
	return n, nil
}

// validName checks a name as encoding/xml does: a letter, '_' or ':' first.
func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		if r < utf8.RuneSelf {
			c := byte(r)
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' {
				continue
			}
			if i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.') {
				continue
			}
			return false
		}
		if !unicode.IsLetter(r) && r != '_' && (i == 0 || !unicode.IsDigit(r) && !unicode.Is(unicode.M, r) && r != 0xB7) {
			return false
		}
	}
	return true
}

// resolve returns the namespace URI bound to prefix ("" for the default).
// An unbound prefix resolves to itself, as encoding/xml does.
func (p *xmlParser) resolve(prefix string) string {
	if prefix == "xml" {
		return nsXML
	}
	if prefix == "xmlns" {
		return "xmlns"
	}
	for i := len(p.binds) - 1; i >= 0; i-- {
		if p.binds[i].prefix == prefix {
			return p.binds[i].uri
		}
	}
	return prefix
}

func splitName(n string) (prefix, local string) {
	if i := strings.IndexByte(n, ':'); i > 0 && i < len(n)-1 {
		return n[:i], n[i+1:]
	}
	return "", n
}

type rawAttr struct{ name, value string }

// element parses an element starting at '<'.
func (p *xmlParser) element(depth int) (*node, error) {
	if depth >= MaxDepth {
		return nil, &parseError{fmt.Sprintf("line %d: elements nest deeper than %d levels", p.lineOf(p.pos), MaxDepth)}
	}
	if p.count++; p.count > MaxElements {
		return nil, &parseError{fmt.Sprintf("line %d: more than %d elements", p.lineOf(p.pos), MaxElements)}
	}
	startPos := p.pos
	p.pos++ // '<'
	qname, err := p.name()
	if err != nil {
		return nil, err
	}
	n := p.newNode()
	n.Line = p.lineOf(startPos)
	var raws []rawAttr
	nbinds := len(p.binds)
	selfClose := false
	for {
		hadSpace := p.pos < len(p.s) && isSpace(p.s[p.pos])
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errf(startPos, "unexpected end inside <%s>", qname)
		}
		c := p.s[p.pos]
		if c == '>' {
			p.pos++
			break
		}
		if c == '/' {
			if p.pos+1 >= len(p.s) || p.s[p.pos+1] != '>' {
				return nil, p.errf(p.pos, "expected /> in <%s>", qname)
			}
			p.pos += 2
			selfClose = true
			break
		}
		if !hadSpace {
			return nil, p.errf(p.pos, "expected white space before an attribute in <%s>", qname)
		}
		an, err := p.name()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '=' {
			return nil, p.errf(p.pos, "attribute %s in <%s> has no value", an, qname)
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' && p.s[p.pos] != '\'' {
			return nil, p.errf(p.pos, "attribute %s in <%s> needs a quoted value", an, qname)
		}
		q := p.s[p.pos]
		end := strings.IndexByte(p.s[p.pos+1:], q)
		if end < 0 {
			return nil, p.errf(p.pos, "unterminated value of attribute %s", an)
		}
		raw := p.s[p.pos+1 : p.pos+1+end]
		if strings.IndexByte(raw, '<') >= 0 {
			return nil, p.errf(p.pos, "'<' in the value of attribute %s", an)
		}
		val, err := p.unescape(raw, p.pos+1, true)
		if err != nil {
			return nil, err
		}
		p.pos += end + 2
		for _, a := range raws {
			if a.name == an {
				return nil, p.errf(p.pos, "attribute %s given twice in <%s>", an, qname)
			}
		}
		raws = append(raws, rawAttr{an, val})
		switch {
		case an == "xmlns":
			p.binds = append(p.binds, binding{"", val, depth})
		case strings.HasPrefix(an, "xmlns:") && len(an) > len("xmlns:"):
			// "xmlns:" alone binds nothing: it is an attribute of that
			// name, as encoding/xml reads it.
			p.binds = append(p.binds, binding{an[6:], val, depth})
		}
	}
	prefix, local := splitName(qname)
	if prefix != "" && !validName(local) {
		return nil, p.errf(startPos, "<%s>: %q is not a name after the prefix", qname, local)
	}
	n.Local = local
	n.Space = p.resolve(prefix)
	if prefix == "" && strings.IndexByte(qname, ':') >= 0 {
		n.Local = qname // a leading or trailing ':' stays in the name
	}
	if len(raws) > 0 {
		n.Attrs = make([]xml.Attr, len(raws))
		for i, a := range raws {
			ap, al := splitName(a.name)
			var space string
			switch {
			case ap != "" && !validName(al):
				// s:0 would name an attribute "0" that no printer can
				// write back when s is bound to no namespace.
				return nil, p.errf(startPos, "attribute %s in <%s>: %q is not a name after the prefix", a.name, qname, al)
			case ap != "":
				space = p.resolve(ap)
			case strings.IndexByte(a.name, ':') >= 0:
				al = a.name
			}
			n.Attrs[i] = xml.Attr{Name: xml.Name{Space: space, Local: al}, Value: a.value}
		}
	}
	if !selfClose {
		if err := p.content(n, qname, depth); err != nil {
			return nil, err
		}
	}
	p.binds = p.binds[:nbinds]
	return n, nil
}

// content reads an element's content up to and including its end tag.
func (p *xmlParser) content(n *node, qname string, depth int) error {
	var text strings.Builder
	textStart, textEnd := -1, -1 // a single run of plain text: no copy needed
	addText := func(s string, start int) {
		if s == "" {
			return
		}
		if textStart < 0 && text.Len() == 0 {
			textStart, textEnd = start, start+len(s)
			return
		}
		if textStart >= 0 {
			text.WriteString(p.s[textStart:textEnd])
			textStart = -2
		}
		text.WriteString(s)
	}
	for {
		lt := strings.IndexByte(p.s[p.pos:], '<')
		if lt < 0 {
			return p.errf(len(p.s), "unexpected end of the message inside <%s>", qname)
		}
		if lt > 0 {
			raw := p.s[p.pos : p.pos+lt]
			t, err := p.unescape(raw, p.pos, false)
			if err != nil {
				return err
			}
			if t == raw {
				addText(t, p.pos)
			} else {
				if textStart >= 0 {
					text.WriteString(p.s[textStart:textEnd])
				}
				textStart = -2
				text.WriteString(t)
			}
			p.pos += lt
		}
		rest := p.s[p.pos:]
		switch {
		case strings.HasPrefix(rest, "</"):
			p.pos += 2
			end, err := p.name()
			if err != nil {
				return err
			}
			if end != qname {
				return p.errf(p.pos, "element <%s> closed by </%s>", qname, end)
			}
			p.skipSpace()
			if p.pos >= len(p.s) || p.s[p.pos] != '>' {
				return p.errf(p.pos, "expected > after </%s", end)
			}
			p.pos++
			switch {
			case textStart >= 0:
				n.Text = p.s[textStart:textEnd]
			case text.Len() > 0:
				n.Text = text.String()
			}
			return nil
		case strings.HasPrefix(rest, "<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<![CDATA["):
			end := strings.Index(rest[9:], "]]>")
			if end < 0 {
				return p.errf(p.pos, "unterminated CDATA section")
			}
			data := rest[9 : 9+end]
			if err := p.checkChars(data, p.pos+9); err != nil {
				return err
			}
			if strings.IndexByte(data, '\r') >= 0 {
				data = normalizeNewlines(data)
				if textStart >= 0 {
					text.WriteString(p.s[textStart:textEnd])
				}
				textStart = -2
				text.WriteString(data)
			} else {
				addText(data, p.pos+9)
			}
			p.pos += 9 + end + 3
		case strings.HasPrefix(rest, "<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!"):
			return p.errf(p.pos, "XML directives (DOCTYPE, entities) are not accepted")
		default:
			kid, err := p.element(depth + 1)
			if err != nil {
				return err
			}
			n.Kids = append(n.Kids, kid)
		}
	}
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// checkChars refuses characters XML 1.0 does not allow.
func (p *xmlParser) checkChars(s string, at int) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return p.errf(at+i, "illegal character code U+%04X", c)
		}
		if c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
			return p.errf(at+i, "illegal character U+FFF%c", "EF"[s[i+2]-0xBE])
		}
	}
	return nil
}

// unescape decodes character references and normalizes line ends (as
// encoding/xml does, also in attribute values).
func (p *xmlParser) unescape(raw string, at int, attr bool) (string, error) {
	if err := p.checkChars(raw, at); err != nil {
		return "", err
	}
	if !attr && strings.IndexByte(raw, '>') >= 0 && strings.Contains(raw, "]]>") {
		return "", p.errf(at+strings.Index(raw, "]]>"), `"]]>" in text`)
	}
	if strings.IndexByte(raw, '&') < 0 && strings.IndexByte(raw, '\r') < 0 {
		return raw, nil
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '&':
			semi := strings.IndexByte(raw[i:], ';')
			if semi < 0 {
				return "", p.errf(at+i, "unterminated character reference")
			}
			ref := raw[i+1 : i+semi]
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
				r := rune(n)
				if err != nil || !isXMLChar(r) || strings.ContainsAny(ref[1:], "+-") {
					return "", p.errf(at+i, "bad character reference &%s;", ref)
				}
				b.WriteRune(r)
			}
			i += semi
		case c == '\r':
			b.WriteByte('\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
