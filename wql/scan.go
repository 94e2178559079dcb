package wql

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tString
	tNumber
	tOp // = <> != < > <= >=
	tLParen
	tRParen
	tComma
	tDot
	tStar
	tLBrace
	tPath // raw text between braces
)

type token struct {
	kind tokKind
	pos  int    // byte offset in the query
	text string // the token as written (a word, a number, an operator)
	str  string // the value of a string literal
}

// scanner splits a query into tokens on demand, so the parser can ask for a
// raw string (a LIKE pattern) or a raw path (between braces).
type scanner struct {
	src string
	off int

	// the last position computed, so that counting characters stays linear
	posOff, posRunes int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(r rune) bool {
	return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r >= 0x80 && unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || '0' <= r && r <= '9' || r >= 0x80 && unicode.IsDigit(r)
}

// errAt returns WBEM_E_INVALID_QUERY for the token at byte offset off.
func (s *scanner) errAt(off int, token, format string, args ...any) *cim.Error {
	e := cim.Errorf(cim.WBEM_E_INVALID_QUERY, format, args...)
	e.Description = "position " + itoa(s.position(off)) + ": " + e.Description
	e.Parameter = token
	return e
}

// position converts a byte offset into a 1-based character position.
func (s *scanner) position(off int) int {
	if off > len(s.src) {
		off = len(s.src)
	}
	if off < s.posOff {
		s.posOff, s.posRunes = 0, 0
	}
	s.posRunes += utf8.RuneCountInString(s.src[s.posOff:off])
	s.posOff = off
	return s.posRunes + 1
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func (s *scanner) skipSpace() {
	for s.off < len(s.src) && isSpace(s.src[s.off]) {
		s.off++
	}
}

// next scans one token. With raw, a string literal is taken as written,
// without backslash escapes (LIKE patterns).
func (s *scanner) next(raw bool) (token, error) {
	s.skipSpace()
	start := s.off
	if start >= len(s.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := s.src[start]
	switch c {
	case '(':
		s.off++
		return token{kind: tLParen, pos: start, text: "("}, nil
	case ')':
		s.off++
		return token{kind: tRParen, pos: start, text: ")"}, nil
	case ',':
		s.off++
		return token{kind: tComma, pos: start, text: ","}, nil
	case '*':
		s.off++
		return token{kind: tStar, pos: start, text: "*"}, nil
	case '{':
		s.off++
		return token{kind: tLBrace, pos: start, text: "{"}, nil
	case '=':
		s.off++
		return token{kind: tOp, pos: start, text: "="}, nil
	case '<':
		s.off++
		if s.off < len(s.src) && (s.src[s.off] == '>' || s.src[s.off] == '=') {
			s.off++
		}
		return token{kind: tOp, pos: start, text: s.src[start:s.off]}, nil
	case '>':
		s.off++
		if s.off < len(s.src) && s.src[s.off] == '=' {
			s.off++
		}
		return token{kind: tOp, pos: start, text: s.src[start:s.off]}, nil
	case '!':
		if start+1 < len(s.src) && s.src[start+1] == '=' {
			s.off += 2
			return token{kind: tOp, pos: start, text: "!="}, nil
		}
	case '"', '\'':
		return s.scanString(c, raw)
	case '.':
		if start+1 < len(s.src) && isDigit(s.src[start+1]) {
			return s.scanNumber()
		}
		s.off++
		return token{kind: tDot, pos: start, text: "."}, nil
	case '+', '-':
		if start+1 < len(s.src) && (isDigit(s.src[start+1]) ||
			s.src[start+1] == '.' && start+2 < len(s.src) && isDigit(s.src[start+2])) {
			return s.scanNumber()
		}
	default:
		if isDigit(c) {
			return s.scanNumber()
		}
		r, n := utf8.DecodeRuneInString(s.src[start:])
		if isIdentStart(r) {
			s.off += n
			for s.off < len(s.src) {
				r, n := utf8.DecodeRuneInString(s.src[s.off:])
				if !isIdentPart(r) {
					break
				}
				s.off += n
			}
			return token{kind: tWord, pos: start, text: s.src[start:s.off]}, nil
		}
		if r == utf8.RuneError && n <= 1 {
			return token{}, s.errAt(start, s.src[start:start+1], "invalid UTF-8 byte 0x%02X", c)
		}
		return token{}, s.errAt(start, string(r), "unexpected character %q", r)
	}
	return token{}, s.errAt(start, string(c), "unexpected character %q", c)
}

func (s *scanner) scanString(q byte, raw bool) (token, error) {
	start := s.off
	i := start + 1
	if raw {
		end := strings.IndexByte(s.src[i:], q)
		if end < 0 {
			return token{}, s.errAt(start, s.src[start:], "unterminated string")
		}
		s.off = i + end + 1
		return token{kind: tString, pos: start, text: s.src[start:s.off], str: s.src[i : i+end]}, nil
	}
	var b []byte // only when an escape appears
	from := i
	for i < len(s.src) {
		switch s.src[i] {
		case q:
			var str string
			if b == nil {
				str = s.src[from:i]
			} else {
				str = string(append(b, s.src[from:i]...))
			}
			s.off = i + 1
			return token{kind: tString, pos: start, text: s.src[start:s.off], str: str}, nil
		case '\\':
			if i+1 >= len(s.src) {
				i = len(s.src)
				continue
			}
			b = append(b, s.src[from:i]...)
			b = append(b, s.src[i+1])
			i += 2
			from = i
			continue
		}
		i++
	}
	return token{}, s.errAt(start, s.src[start:], "unterminated string")
}

func (s *scanner) scanNumber() (token, error) {
	start := s.off
	i := start
	if s.src[i] == '+' || s.src[i] == '-' {
		i++
	}
	if i+1 < len(s.src) && s.src[i] == '0' && (s.src[i+1] == 'x' || s.src[i+1] == 'X') {
		i += 2
		for i < len(s.src) && isHex(s.src[i]) {
			i++
		}
	} else {
		for i < len(s.src) && isDigit(s.src[i]) {
			i++
		}
		if i < len(s.src) && s.src[i] == '.' {
			i++
			for i < len(s.src) && isDigit(s.src[i]) {
				i++
			}
		}
		if i < len(s.src) && (s.src[i] == 'e' || s.src[i] == 'E') {
			j := i + 1
			if j < len(s.src) && (s.src[j] == '+' || s.src[j] == '-') {
				j++
			}
			if j < len(s.src) && isDigit(s.src[j]) {
				for j < len(s.src) && isDigit(s.src[j]) {
					j++
				}
				i = j
			}
		}
	}
	// A number runs straight into a name: "5abc", "0x1G".
	if i < len(s.src) {
		if r, _ := utf8.DecodeRuneInString(s.src[i:]); isIdentPart(r) || r == '.' {
			end := i
			for end < len(s.src) {
				r, n := utf8.DecodeRuneInString(s.src[end:])
				if !isIdentPart(r) && r != '.' {
					break
				}
				end += n
			}
			return token{}, s.errAt(start, s.src[start:end], "malformed number %q", s.src[start:end])
		}
	}
	s.off = i
	return token{kind: tNumber, pos: start, text: s.src[start:i]}, nil
}

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanPath scans the object path after "{" up to the closing "}" outside
// quotes; quoted parts of the path keep their backslash escapes.
func (s *scanner) scanPath() (token, error) {
	start := s.off
	i := start
	var q byte
	for i < len(s.src) {
		c := s.src[i]
		switch {
		case q != 0 && c == '\\':
			i += 2
			continue
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == '}':
			s.off = i + 1
			return token{kind: tPath, pos: start, text: s.src[start:i]}, nil
		}
		i++
	}
	return token{}, s.errAt(start-1, s.src[start-1:], "object path not closed with '}'")
}
