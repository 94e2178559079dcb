package wql

import (
	"unicode"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

// LIKE patterns: % matches any run of characters (the empty one too), _ any
// one character, [abc] and [a-f] one character of the set, [^…] one character
// outside it; [%], [_] and [[] match the character itself. Everything else
// matches itself, case-insensitively. A ']' right after '[' or '[^' is a
// member of the set; '-' first or last in a set is itself.

type likeKind uint8

const (
	likeChar likeKind = iota
	likeAny
	likeSet
	likeStar
)

type likeElem struct {
	kind   likeKind
	r      rune   // likeChar: the lower-case character
	ranges []rune // likeSet: pairs lo, hi
	neg    bool   // likeSet: [^…]
}

// likePattern is a compiled LIKE pattern.
type likePattern struct {
	elems []likeElem
	text  string
	// prefix is set for the common "abc%" form with an ASCII prefix: the
	// lower-case prefix, checked without the general loop.
	prefix string
}

// compileLike compiles a LIKE pattern. A '[' without its ']' gives
// WBEM_E_INVALID_QUERY.
func compileLike(pattern string) (*likePattern, error) {
	p := &likePattern{text: pattern}
	s := pattern
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '%':
			if len(p.elems) == 0 || p.elems[len(p.elems)-1].kind != likeStar {
				p.elems = append(p.elems, likeElem{kind: likeStar})
			}
			i += n
		case '_':
			p.elems = append(p.elems, likeElem{kind: likeAny})
			i += n
		case '[':
			e, next, ok := parseSet(s, i+1)
			if !ok {
				return nil, cim.Errorf(cim.WBEM_E_INVALID_QUERY, "LIKE pattern %q has an unclosed '[' at character %d", pattern, utf8.RuneCountInString(s[:i])+1)
			}
			p.elems = append(p.elems, e)
			i = next
		default:
			p.elems = append(p.elems, likeElem{kind: likeChar, r: lower(r)})
			i += n
		}
	}
	if n := len(p.elems); n > 1 && p.elems[n-1].kind == likeStar {
		var b []byte
		for _, e := range p.elems[:n-1] {
			if e.kind != likeChar || e.r >= utf8.RuneSelf {
				b = nil
				break
			}
			b = append(b, byte(e.r))
		}
		p.prefix = string(b)
	}
	return p, nil
}

// parseSet parses a set after its '['; it returns the element and the offset
// after the ']'.
func parseSet(s string, i int) (likeElem, int, bool) {
	e := likeElem{kind: likeSet}
	if i < len(s) && s[i] == '^' {
		e.neg = true
		i++
	}
	first := true
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == ']' && !first {
			if len(e.ranges) == 2 && e.ranges[0] == e.ranges[1] && !e.neg {
				// [%], [_], [x]: a single character.
				return likeElem{kind: likeChar, r: lower(e.ranges[0])}, i + n, true
			}
			return e, i + n, true
		}
		first = false
		i += n
		lo, hi := r, r
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			h, m := utf8.DecodeRuneInString(s[i+1:])
			hi = h
			i += 1 + m
		}
		e.ranges = append(e.ranges, lo, hi)
	}
	return e, i, false
}

func lower(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

func (e *likeElem) inSet(r rune) bool {
	for i := 0; i+1 < len(e.ranges); i += 2 {
		if e.ranges[i] <= r && r <= e.ranges[i+1] {
			return true
		}
	}
	return false
}

func (e *likeElem) matches(r rune) bool {
	switch e.kind {
	case likeChar:
		return lower(r) == e.r
	case likeAny:
		return true
	case likeSet:
		in := e.inSet(r)
		if !in {
			if l := lower(r); l != r {
				in = e.inSet(l)
			} else if u := unicode.ToUpper(r); u != r {
				in = e.inSet(u)
			}
		}
		return in != e.neg
	}
	return false
}

// String returns the pattern as written.
func (p *likePattern) String() string { return p.text }

// Match reports whether s matches the whole pattern, case-insensitively. It
// runs in O(len(s)·len(pattern)) time at worst and does not allocate.
func (p *likePattern) Match(s string) bool {
	if p.prefix != "" {
		if m, ok := p.matchPrefix(s); ok {
			return m
		}
	}
	elems := p.elems
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(elems) && elems[pi].kind == likeStar {
			starP, starS = pi, si
			pi++
			continue
		}
		r, n := rune(s[si]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[si:])
		}
		if pi < len(elems) && elems[pi].matches(r) {
			pi++
			si += n
			continue
		}
		if starP < 0 {
			return false
		}
		// Let the last % take one more character and retry after it.
		_, m := utf8.DecodeRuneInString(s[starS:])
		starS += m
		pi, si = starP+1, starS
	}
	for pi < len(elems) && elems[pi].kind == likeStar {
		pi++
	}
	return pi == len(elems)
}

// matchPrefix matches "prefix%" on ASCII text; ok is false when s has a
// non-ASCII character in the prefix's span (it may fold to ASCII).
func (p *likePattern) matchPrefix(s string) (match, ok bool) {
	if len(s) < len(p.prefix) {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false, false
			}
		}
		return false, true
	}
	for i := 0; i < len(p.prefix); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p.prefix[i] {
			return false, true
		}
	}
	return true, true
}
