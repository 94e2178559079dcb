package cim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathLength is the longest object path ParsePath accepts, in characters
// (WMI's WBEM_MAX_PATH).
const MaxPathLength = 0x2000

// ObjectPath locates a class or an instance: an optional server and namespace, a
// class name, and either nothing (a class path), the singleton marker (Class=@)
// or key bindings.
type ObjectPath struct {
	Server    string       // "" when local (or when written as ".")
	Namespace string       // with backslashes, e.g. `root\cimv2`; "" when relative
	Class     string       //
	Keys      []KeyBinding // nil for a class path
	Singleton bool         // Class=@
}

// KeyBinding is one key of an instance path. Name is "" in the bare shorthand
// Class=value, until the class resolves it.
type KeyBinding struct {
	Name  string
	Value Value // a string, integer, boolean or reference value
}

// pathParser reads one object path; pos is a byte offset into s.
type pathParser struct {
	s   string
	pos int
}

func (p *pathParser) errorf(at int, format string, args ...any) *Error {
	shown := p.s
	if utf8.RuneCountInString(shown) > 80 {
		r := []rune(shown)
		shown = string(r[:80]) + "…"
	}
	return &Error{Status: WBEM_E_INVALID_OBJECT_PATH,
		Description: fmt.Sprintf("object path %q: %s at position %d", shown, fmt.Sprintf(format, args...), utf8.RuneCountInString(p.s[:at])+1)}
}

// found describes what is at byte offset at: a character or the end.
func (p *pathParser) found(at int) string {
	if at >= len(p.s) {
		return "end of path"
	}
	r, n := utf8.DecodeRuneInString(p.s[at:])
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf("byte 0x%02X", p.s[at])
	}
	return fmt.Sprintf("%q", r)
}

func (p *pathParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func isSep(c byte) bool { return c == '\\' || c == '/' }

// nameRune reports whether r may appear in a CIM name (first says whether it
// is the first character). Non-ASCII letters and digits are allowed, as WMI
// allows them.
func nameRune(r rune, first bool) bool {
	switch {
	case r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
		return true
	case '0' <= r && r <= '9':
		return !first
	case r < 0x80 || r == utf8.RuneError:
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// name reads a CIM name; digitFirst allows a leading digit (namespace names).
// It returns "" when no name starts at pos.
func (p *pathParser) name(digitFirst bool) string {
	start := p.pos
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if r == utf8.RuneError && n <= 1 || !nameRune(r, p.pos == start && !digitFirst) {
			break
		}
		p.pos += n
	}
	return p.s[start:p.pos]
}

// ParsePath parses an object path in WMI's form (\\server\root\cimv2:Class.K="v",
// Class=@, Class=value, single or double quotes) or DMTF's (//server/root/cimv2:Class.K="v").
// A malformed path gives WBEM_E_INVALID_OBJECT_PATH naming the position.
//
// The grammar is:
//
//	objpath     = [ server-part ] [ namespace ":" ] relpath
//	server-part = ( "\\" / "//" ) server ( "\" / "/" )   ; "." is the local server
//	namespace   = name *( ( "\" / "/" ) name )
//	relpath     = class [ "=@" / "=" value / "." key "=" value *( "," key "=" value ) ]
//	value       = dq-string / sq-string / integer / "TRUE" / "FALSE"
//
// Inside strings a backslash escapes a double quote, a single quote or a
// backslash; any other backslash is an error (write `C:\\` for C:\). Integers
// are decimal: negative ones become sint64, others sint64 or, above
// math.MaxInt64, uint64. TRUE and FALSE are case-insensitive booleans. A
// string holding a path stays a string: the class tells whether the key is a
// reference (see Resolve). Whitespace is not allowed outside strings, key names
// must be unique (case-insensitively), and paths longer than MaxPathLength
// characters are rejected. URL escapes such as %20 are not decoded.
func ParsePath(s string) (ObjectPath, error) {
	p := &pathParser{s: s}
	if len(s) > MaxPathLength && utf8.RuneCountInString(s) > MaxPathLength {
		return ObjectPath{}, &Error{Status: WBEM_E_INVALID_OBJECT_PATH,
			Description: fmt.Sprintf("object path of %d characters is longer than the limit of %d", utf8.RuneCountInString(s), MaxPathLength)}
	}
	if s == "" {
		return ObjectPath{}, &Error{Status: WBEM_E_INVALID_OBJECT_PATH, Description: "object path is empty"}
	}
	var op ObjectPath

	// Server part.
	if isSep(p.peek()) {
		if len(s) < 2 || s[1] != s[0] {
			return ObjectPath{}, p.errorf(0, "a path starting with %q needs two of them before the server name", s[0])
		}
		p.pos = 2
		start := p.pos
		for p.pos < len(s) && !isSep(s[p.pos]) {
			r, n := utf8.DecodeRuneInString(s[p.pos:])
			if unicode.IsSpace(r) || r == '"' || r == '\'' || r == utf8.RuneError && n <= 1 {
				return ObjectPath{}, p.errorf(p.pos, "unexpected %s in the server name", p.found(p.pos))
			}
			p.pos += n
		}
		if p.pos == start {
			return ObjectPath{}, p.errorf(p.pos, "expected a server name but found %s", p.found(p.pos))
		}
		if p.pos == len(s) {
			return ObjectPath{}, p.errorf(p.pos, "expected '\\' after the server name but found end of path")
		}
		op.Server = s[start:p.pos]
		if op.Server == "." {
			op.Server = ""
		}
		p.pos++
	}

	// Namespace and class: names separated by \ or /, then ':' if they were a
	// namespace.
	nsStart, nsCount := p.pos, 0
	for {
		at := p.pos
		if p.name(true) == "" {
			return ObjectPath{}, p.errorf(at, "expected a name but found %s", p.found(at))
		}
		nsCount++
		if !isSep(p.peek()) {
			break
		}
		p.pos++
	}
	if p.peek() == ':' {
		op.Namespace = s[nsStart:p.pos]
		op.Namespace = NormalNamespace(op.Namespace)
		p.pos++
		at := p.pos
		op.Class = p.name(false)
		if op.Class == "" {
			return ObjectPath{}, p.errorf(at, "expected a class name but found %s", p.found(at))
		}
	} else {
		if nsCount > 1 {
			return ObjectPath{}, p.errorf(p.pos, "expected ':' after the namespace but found %s", p.found(p.pos))
		}
		op.Class = s[nsStart:p.pos]
		if c, _ := utf8.DecodeRuneInString(op.Class); !nameRune(c, true) {
			return ObjectPath{}, p.errorf(p.pos-len(op.Class), "a class name cannot start with %q", c)
		}
	}

	// Keys.
	switch p.peek() {
	case 0:
		if p.pos < len(s) {
			return ObjectPath{}, p.errorf(p.pos, "unexpected %s after the class name", p.found(p.pos))
		}
		return op, nil
	case '=':
		p.pos++
		if p.peek() == '@' {
			p.pos++
			op.Singleton = true
			break
		}
		v, err := p.value()
		if err != nil {
			return ObjectPath{}, err
		}
		op.Keys = []KeyBinding{{Value: v}}
	case '.':
		p.pos++
		for {
			at := p.pos
			k := p.name(false)
			if k == "" {
				return ObjectPath{}, p.errorf(at, "expected a key name but found %s", p.found(at))
			}
			for _, kb := range op.Keys {
				if EqualFold(kb.Name, k) {
					return ObjectPath{}, p.errorf(at, "key %s is given twice", k)
				}
			}
			if p.peek() != '=' {
				return ObjectPath{}, p.errorf(p.pos, "expected '=' after key %s but found %s", k, p.found(p.pos))
			}
			p.pos++
			v, err := p.value()
			if err != nil {
				return ObjectPath{}, err
			}
			op.Keys = append(op.Keys, KeyBinding{Name: k, Value: v})
			if p.peek() != ',' {
				break
			}
			p.pos++
		}
	default:
		return ObjectPath{}, p.errorf(p.pos, "unexpected %s after the class name", p.found(p.pos))
	}
	if p.pos < len(s) {
		return ObjectPath{}, p.errorf(p.pos, "unexpected %s after the end of the path", p.found(p.pos))
	}
	return op, nil
}

// value reads a key value at pos.
func (p *pathParser) value() (Value, error) {
	start := p.pos
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		return p.quoted(c)
	case c == '-' || '0' <= c && c <= '9':
		if c == '-' {
			p.pos++
		}
		ds := p.pos
		for p.pos < len(p.s) && '0' <= p.s[p.pos] && p.s[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == ds {
			return Null, p.errorf(p.pos, "expected a digit after '-' but found %s", p.found(p.pos))
		}
		if x := p.peek(); x == 'x' || x == 'X' {
			return Null, p.errorf(p.pos, "only decimal integers are allowed in keys, found %s", p.found(p.pos))
		}
		txt := p.s[start:p.pos]
		if c == '-' {
			n, err := strconv.ParseInt(txt, 10, 64)
			if err != nil {
				return Null, p.errorf(start, "integer %s is out of range", txt)
			}
			return Sint64(n), nil
		}
		n, err := strconv.ParseUint(txt, 10, 64)
		if err != nil {
			return Null, p.errorf(start, "integer %s is out of range", txt)
		}
		if n > math.MaxInt64 {
			return Uint64(n), nil
		}
		return Sint64(int64(n)), nil
	default:
		w := p.name(false)
		switch {
		case strings.EqualFold(w, "TRUE"):
			return Bool(true), nil
		case strings.EqualFold(w, "FALSE"):
			return Bool(false), nil
		}
		return Null, p.errorf(start, "expected a quoted string, an integer, TRUE or FALSE but found %s", p.found(start))
	}
}

// quoted reads a string delimited by q with backslash escapes.
func (p *pathParser) quoted(q byte) (Value, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	escaped := false
	plain := p.pos // start of the current unescaped run
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; c {
		case q:
			v := p.s[plain:p.pos]
			if escaped {
				b.WriteString(v)
				v = b.String()
			}
			p.pos++
			return String(v), nil
		case '\\':
			if p.pos+1 >= len(p.s) {
				return Null, p.errorf(start, "unterminated string")
			}
			e := p.s[p.pos+1]
			if e != '"' && e != '\'' && e != '\\' {
				return Null, p.errorf(p.pos, "invalid escape '\\' before %s (write \\\\ for a backslash)", p.found(p.pos+1))
			}
			b.WriteString(p.s[plain:p.pos])
			b.WriteByte(e)
			escaped = true
			p.pos += 2
			plain = p.pos
		default:
			p.pos++
		}
	}
	return Null, p.errorf(start, "unterminated string")
}

// String formats p in WMI's form.
func (p ObjectPath) String() string {
	var b strings.Builder
	if p.Server != "" {
		b.WriteString(`\\`)
		b.WriteString(p.Server)
		b.WriteByte('\\')
	}
	if p.Namespace != "" {
		b.WriteString(NormalNamespace(p.Namespace))
		b.WriteByte(':')
	}
	p.writeRel(&b)
	return b.String()
}

// RelPath formats p without server and namespace (what __RELPATH holds).
func (p ObjectPath) RelPath() string {
	var b strings.Builder
	p.writeRel(&b)
	return b.String()
}

// DMTF formats p in DMTF's form with forward slashes.
func (p ObjectPath) DMTF() string {
	var b strings.Builder
	if p.Server != "" {
		b.WriteString("//")
		b.WriteString(p.Server)
		b.WriteByte('/')
	}
	if p.Namespace != "" {
		b.WriteString(strings.ReplaceAll(p.Namespace, `\`, "/"))
		b.WriteByte(':')
	}
	p.writeRel(&b)
	return b.String()
}

func (p ObjectPath) writeRel(b *strings.Builder) {
	b.WriteString(p.Class)
	switch {
	case p.Singleton:
		b.WriteString("=@")
		return
	case len(p.Keys) == 1 && p.Keys[0].Name == "":
		b.WriteByte('=')
		writeKeyValue(b, p.Keys[0].Value, false)
		return
	}
	for i, k := range p.Keys {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(k.Name)
		b.WriteByte('=')
		writeKeyValue(b, k.Value, false)
	}
}

// writeKeyValue writes a key value as a path holds it. Canonical form (for
// KeyString) folds strings to lower case and reduces references to their own
// canonical relative path.
func writeKeyValue(b *strings.Builder, v Value, canonical bool) {
	t := v.Type()
	switch {
	case t == TypeEmpty:
		b.WriteString("NULL")
	case t.IsSigned():
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case t.IsUnsigned():
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case t == TypeChar16:
		b.WriteString(strconv.Itoa(int(v.Char())))
	case t == TypeBoolean:
		if v.Bool() {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case t == TypeReference && canonical:
		if rp, err := ParsePath(v.Str()); err == nil {
			writeQuoted(b, rp.KeyString(), false)
		} else {
			writeQuoted(b, v.Str(), true)
		}
	case t == TypeString || t == TypeDatetime || t == TypeReference:
		writeQuoted(b, v.Str(), canonical)
	default:
		writeQuoted(b, v.Text(), canonical)
	}
}

// writeQuoted writes s in double quotes, escaping '"' and '\', folded to lower
// case when fold is set. Bytes that are not UTF-8 are kept as they are.
func writeQuoted(b *strings.Builder, s string, fold bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		if c < utf8.RuneSelf || !fold {
			if fold && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		i += writeFoldedRune(b, s[i:])
	}
	b.WriteByte('"')
}

// writeFoldedRune writes the first rune of s folded to lower case (an invalid
// byte as it is) and returns its length.
func writeFoldedRune(b *strings.Builder, s string) int {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n <= 1 {
		b.WriteByte(s[0])
		return 1
	}
	b.WriteRune(foldRune(r))
	return n
}

// IsClass reports whether p names a class rather than an instance.
func (p ObjectPath) IsClass() bool { return len(p.Keys) == 0 && !p.Singleton }

// KeyString returns a canonical string for the instance's identity within its
// namespace: equal for paths that WMI considers equal (key order, quote style
// and case do not matter).
//
// It is the class name and keys in lower case, the keys sorted by name, strings
// double-quoted and folded to lower case, integers in decimal (whatever their
// CIM type), booleans as TRUE and FALSE, e.g. `myclass.a=1,b="x"`. A reference
// value is replaced by its own KeyString, so a reference compares by class and
// keys whatever its server and namespace (a bare key inside it stays bare).
// A bare key (Class=value) gives `class=value`. A parsed path holds strings
// where the class has references or numbers, so compare a parsed path with an
// instance's path after Resolve, which names bare keys and types the values.
func (p ObjectPath) KeyString() string {
	var b strings.Builder
	size := len(p.Class) + 2
	for _, k := range p.Keys {
		size += len(k.Name) + len(k.Value.Str()) + 24
	}
	b.Grow(size)
	writeFolded(&b, p.Class)
	switch {
	case p.Singleton:
		b.WriteString("=@")
		return b.String()
	case len(p.Keys) == 1 && p.Keys[0].Name == "":
		b.WriteByte('=')
		writeKeyValue(&b, p.Keys[0].Value, true)
		return b.String()
	case len(p.Keys) == 0:
		return b.String()
	}
	// Sort key positions, not the keys: the caller's slice stays as it is and
	// the usual handful of keys needs no allocation.
	var buf [8]int
	order := buf[:0]
	if len(p.Keys) > len(buf) {
		order = make([]int, 0, len(p.Keys))
	}
	for i := range p.Keys {
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(x, y int) int { return CompareFold(p.Keys[x].Name, p.Keys[y].Name) })
	for i, n := range order {
		k := p.Keys[n]
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		writeFolded(&b, k.Name)
		b.WriteByte('=')
		writeKeyValue(&b, k.Value, true)
	}
	return b.String()
}

func writeFolded(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		i += writeFoldedRune(b, s[i:])
	}
}

// sameNamespace compares namespaces case-insensitively with '/' and '\' alike;
// an empty namespace (a relative path) matches any.
func sameNamespace(a, b string) bool {
	if a == "" || b == "" {
		return true
	}
	if len(a) != len(b) && utf8.RuneCountInString(a) != utf8.RuneCountInString(b) {
		return false
	}
	return EqualFold(NormalNamespace(a), NormalNamespace(b))
}

// Equal reports whether p and q locate the same object: the same namespace
// (case-insensitive, '/' and '\' alike, an empty namespace matching any), the
// same class (case-insensitive) and the same KeyString. Servers are not
// compared: "." and a machine's name cannot be told apart here.
func (p ObjectPath) Equal(q ObjectPath) bool {
	return sameNamespace(p.Namespace, q.Namespace) && EqualFold(p.Class, q.Class) &&
		p.Singleton == q.Singleton && len(p.Keys) == len(q.Keys) && p.KeyString() == q.KeyString()
}

// Resolve checks p's keys against the complete class c and returns p with the
// keys as c declares them: in c's order, named as c spells them (a bare key
// Class=value names c's only key), and converted to the key properties' types
// (so a string holding a path becomes a reference). The caller chooses c (the
// class p names, or the class of the instance found); p.Class is kept. A class
// path is returned as it is. A key that c lacks, a missing key, a value that does not
// convert, or a singleton mismatch gives WBEM_E_INVALID_OBJECT_PATH.
func (p ObjectPath) Resolve(c *Class) (ObjectPath, error) {
	if p.IsClass() {
		return p, nil
	}
	bad := func(format string, args ...any) (ObjectPath, error) {
		return ObjectPath{}, &Error{Status: WBEM_E_INVALID_OBJECT_PATH, Parameter: p.String(),
			Description: fmt.Sprintf("object path %s: ", p.String()) + fmt.Sprintf(format, args...)}
	}
	if c.IsSingleton() != p.Singleton {
		if p.Singleton {
			return bad("class %s is not a singleton", c.Name)
		}
		return bad("class %s is a singleton: its path is %s=@", c.Name, c.Name)
	}
	out := p
	out.Keys = nil
	if p.Singleton {
		return out, nil
	}
	keys := c.Keys()
	if len(keys) == 0 {
		return bad("class %s has no keys", c.Name)
	}
	if len(p.Keys) == 1 && p.Keys[0].Name == "" && len(keys) > 1 {
		return bad("class %s has %d keys; name each of them", c.Name, len(keys))
	}
	used := 0
	out.Keys = make([]KeyBinding, 0, len(keys))
	for _, k := range keys {
		prop := &c.Properties[k]
		var kb *KeyBinding
		for i := range p.Keys {
			if p.Keys[i].Name == "" && len(keys) == 1 || EqualFold(p.Keys[i].Name, prop.Name) {
				kb = &p.Keys[i]
				break
			}
		}
		if kb == nil {
			return bad("key %s of class %s is missing", prop.Name, c.Name)
		}
		used++
		v, err := kb.Value.Convert(prop.Type)
		if err != nil || v.IsNull() {
			return bad("key %s = %s does not fit its type %s", prop.Name, kb.Value, prop.Type)
		}
		out.Keys = append(out.Keys, KeyBinding{Name: prop.Name, Value: v})
	}
	if used != len(p.Keys) {
		for _, kb := range p.Keys {
			if c.PropertyIndex(kb.Name) < 0 {
				return bad("class %s has no property %s", c.Name, kb.Name)
			}
		}
		for _, kb := range p.Keys {
			if pr, _ := c.Property(kb.Name); !pr.IsKey() {
				return bad("property %s of class %s is not a key", pr.Name, c.Name)
			}
		}
	}
	return out, nil
}
