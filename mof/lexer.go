package mof

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // identifier or keyword
	tString         // "…" (decoded into val)
	tChar           // '…' (decoded into val)
	tInt            // integer literal; magnitude in num, sign in neg
	tReal           // real literal; text in text
	tPunct          // one of { } [ ] ( ) ; , : =
	tAlias          // $name; the name in val
	tPragma         // #pragma
)

// token is one lexical token. text is the source text; val is the decoded
// value of strings, chars and aliases.
type token struct {
	kind tokKind
	text string
	val  string
	num  uint64
	neg  bool
	src  *source
	off  int // byte offset in src.text
	line int
	lsol int // byte offset of the start of the line
}

func (t token) is(p byte) bool { return t.kind == tPunct && t.text[0] == p }

// isWord reports whether t is the identifier or keyword w (case-insensitive).
func (t token) isWord(w string) bool { return t.kind == tIdent && strings.EqualFold(t.text, w) }

func (t token) pos() Position {
	col := utf8.RuneCountInString(t.src.text[t.lsol:t.off]) + 1
	return Position{File: t.src.name, Line: t.line, Column: col}
}

// source is one file's text.
type source struct {
	name string
	text string
}

// decodeSource turns file bytes into UTF-8 text: a UTF-8 byte order mark is
// dropped and UTF-16 (with a byte order mark, as mofcomp accepts) is decoded.
func decodeSource(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return string(b[3:])
	case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
		le := b[0] == 0xFF
		b = b[2:]
		u := make([]uint16, len(b)/2)
		for i := range u {
			if le {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			} else {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			}
		}
		return string(utf16.Decode(u))
	}
	return string(b)
}

// lexer splits one source into tokens.
type lexer struct {
	src  *source
	s    string
	off  int
	line int
	lsol int
	buf  []byte
}

func newLexer(src *source) *lexer {
	return &lexer{src: src, s: src.text, line: 1}
}

func (l *lexer) errAt(off int, tokText string, s cim.Status, format string, args ...any) *Error {
	t := token{src: l.src, off: off, line: l.line, lsol: l.lsol}
	return newError(t.pos(), tokText, s, format, args...)
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skip skips white space and comments.
func (l *lexer) skip() *Error {
	for l.off < len(l.s) {
		c := l.s[l.off]
		switch {
		case c == '\n':
			l.off++
			l.line++
			l.lsol = l.off
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.off++
		case c == '/' && l.off+1 < len(l.s) && l.s[l.off+1] == '/':
			for l.off < len(l.s) && l.s[l.off] != '\n' {
				l.off++
			}
		case c == '/' && l.off+1 < len(l.s) && l.s[l.off+1] == '*':
			start := l.off
			sl, ssol := l.line, l.lsol
			l.off += 2
			for {
				if l.off+1 >= len(l.s) {
					l.line, l.lsol = sl, ssol
					return l.errAt(start, "/*", cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, "comment is not closed")
				}
				if l.s[l.off] == '*' && l.s[l.off+1] == '/' {
					l.off += 2
					break
				}
				if l.s[l.off] == '\n' {
					l.line++
					l.lsol = l.off + 1
				}
				l.off++
			}
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token.
func (l *lexer) next() (token, *Error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	t := token{src: l.src, off: l.off, line: l.line, lsol: l.lsol}
	if l.off >= len(l.s) {
		t.kind = tEOF
		return t, nil
	}
	c := l.s[l.off]
	switch {
	case isIdentStart(c):
		e := l.off + 1
		for e < len(l.s) && isIdentChar(l.s[e]) {
			e++
		}
		t.kind, t.text = tIdent, l.s[l.off:e]
		l.off = e
		return t, nil
	case isDigit(c) || (c == '.' || c == '+' || c == '-') && l.numberFollows():
		return l.number(t)
	case c == '"':
		return l.str(t)
	case c == '\'':
		return l.char(t)
	case c == '$':
		e := l.off + 1
		for e < len(l.s) && isIdentChar(l.s[e]) {
			e++
		}
		if e == l.off+1 || isDigit(l.s[l.off+1]) {
			return t, l.errAt(l.off, l.s[l.off:min(e+1, len(l.s))], cim.WBEMMOF_E_EXPECTED_ALIAS_NAME, "expected an alias name after $")
		}
		t.kind, t.text, t.val = tAlias, l.s[l.off:e], l.s[l.off+1:e]
		l.off = e
		return t, nil
	case c == '#':
		e := l.off + 1
		for e < len(l.s) && isIdentChar(l.s[e]) {
			e++
		}
		if !strings.EqualFold(l.s[l.off+1:e], "pragma") {
			return t, l.errAt(l.off, l.s[l.off:e], cim.WBEMMOF_E_INVALID_PRAGMA, "expected #pragma")
		}
		t.kind, t.text = tPragma, l.s[l.off:e]
		l.off = e
		return t, nil
	case strings.IndexByte("{}[]();,:=", c) >= 0:
		t.kind, t.text = tPunct, l.s[l.off:l.off+1]
		l.off++
		return t, nil
	}
	_, n := utf8.DecodeRuneInString(l.s[l.off:])
	return t, l.errAt(l.off, l.s[l.off:l.off+n], cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, "unexpected character")
}

// numberFollows reports whether a '.', '+' or '-' at l.off starts a number.
func (l *lexer) numberFollows() bool {
	i := l.off
	if l.s[i] == '+' || l.s[i] == '-' {
		i++
	}
	if i < len(l.s) && l.s[i] == '.' {
		i++
	}
	return i < len(l.s) && isDigit(l.s[i])
}

// number scans an integer (decimal, 0x hex, 0 octal, binary with a b suffix)
// or a real.
func (l *lexer) number(t token) (token, *Error) {
	start := l.off
	i := l.off
	if l.s[i] == '+' || l.s[i] == '-' {
		t.neg = l.s[i] == '-'
		i++
	}
	body := i
	hex := i+1 < len(l.s) && l.s[i] == '0' && (l.s[i+1] == 'x' || l.s[i+1] == 'X')
	for i < len(l.s) {
		c := l.s[i]
		if isIdentChar(c) || c == '.' {
			i++
			continue
		}
		if (c == '+' || c == '-') && !hex && (l.s[i-1] == 'e' || l.s[i-1] == 'E') {
			i++
			continue
		}
		break
	}
	l.off = i
	t.text = l.s[start:i]
	b := l.s[body:i]
	bad := func() (token, *Error) {
		return t, l.errAt(start, t.text, cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "malformed number")
	}
	var base uint64
	var digits string
	switch {
	case hex:
		base, digits = 16, b[2:]
	case len(b) > 1 && (b[len(b)-1] == 'b' || b[len(b)-1] == 'B') && strings.Trim(b[:len(b)-1], "01") == "":
		base, digits = 2, b[:len(b)-1]
	case strings.ContainsAny(b, ".eE"):
		if !validReal(b) {
			return bad()
		}
		t.kind = tReal
		return t, nil
	case len(b) > 1 && b[0] == '0':
		base, digits = 8, b[1:]
	default:
		base, digits = 10, b
	}
	if digits == "" {
		return bad()
	}
	var n uint64
	for j := 0; j < len(digits); j++ {
		d := uint64(digitVal(digits[j]))
		if d >= base {
			return bad()
		}
		if n > (^uint64(0)-d)/base {
			return t, l.errAt(start, t.text, cim.WBEMMOF_E_OUT_OF_RANGE, "integer does not fit in 64 bits")
		}
		n = n*base + d
	}
	t.kind, t.num = tInt, n
	return t, nil
}

func digitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// validReal checks *digit "." 1*digit [("e"/"E") ["+"/"-"] 1*digit], and also
// accepts 1*digit ("e"/"E") … without a point.
func validReal(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	} else if intDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// escape decodes the escape sequence at s[i] (just after the backslash) and
// returns the rune and the index after it.
func (l *lexer) escape(i int) (rune, int, bool) {
	if i >= len(l.s) {
		return 0, i, false
	}
	switch l.s[i] {
	case 'b':
		return '\b', i + 1, true
	case 't':
		return '\t', i + 1, true
	case 'n':
		return '\n', i + 1, true
	case 'f':
		return '\f', i + 1, true
	case 'r':
		return '\r', i + 1, true
	case '"', '\'', '\\':
		return rune(l.s[i]), i + 1, true
	case 'x', 'X':
		j := i + 1
		var r rune
		for j < len(l.s) && j < i+5 && digitVal(l.s[j]) < 16 {
			r = r<<4 | rune(digitVal(l.s[j]))
			j++
		}
		if j == i+1 {
			return 0, j, false
		}
		return r, j, true
	}
	return 0, i, false
}

func (l *lexer) str(t token) (token, *Error) {
	start := l.off
	i := l.off + 1
	plain := true
	for ; i < len(l.s); i++ {
		c := l.s[i]
		if c == '"' {
			break
		}
		if c == '\n' {
			return t, l.errAt(start, l.s[start:i], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "string is not closed before the end of the line")
		}
		if c == '\\' {
			plain = false
			i++
		}
	}
	if i >= len(l.s) {
		return t, l.errAt(start, l.s[start:], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "string is not closed")
	}
	end := i + 1
	t.kind, t.text = tString, l.s[start:end]
	if plain {
		t.val = l.s[start+1 : i]
		l.off = end
		return t, nil
	}
	b := l.buf[:0]
	for j := start + 1; j < i; {
		c := l.s[j]
		if c != '\\' {
			b = append(b, c)
			j++
			continue
		}
		r, k, ok := l.escape(j + 1)
		if !ok {
			return t, l.errAt(j, l.s[j:min(k+1, end)], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "invalid escape sequence in string")
		}
		b = utf8.AppendRune(b, r)
		j = k
	}
	t.val = string(b)
	l.buf = b
	l.off = end
	return t, nil
}

func (l *lexer) char(t token) (token, *Error) {
	start := l.off
	i := l.off + 1
	var r rune
	if i < len(l.s) && l.s[i] == '\\' {
		var ok bool
		r, i, ok = l.escape(i + 1)
		if !ok {
			return t, l.errAt(start, l.s[start:min(i+1, len(l.s))], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "invalid escape sequence in char16")
		}
	} else if i < len(l.s) && l.s[i] != '\'' && l.s[i] != '\n' {
		var n int
		r, n = utf8.DecodeRuneInString(l.s[i:])
		i += n
	} else {
		return t, l.errAt(start, l.s[start:min(i+1, len(l.s))], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "empty char16 literal")
	}
	if i >= len(l.s) || l.s[i] != '\'' {
		return t, l.errAt(start, l.s[start:min(i+1, len(l.s))], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "char16 literal holds more than one character or is not closed")
	}
	if r > 0xFFFF {
		return t, l.errAt(start, l.s[start:i+1], cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "character does not fit in char16")
	}
	t.kind, t.text, t.val = tChar, l.s[start:i+1], string(r)
	l.off = i + 1
	return t, nil
}
