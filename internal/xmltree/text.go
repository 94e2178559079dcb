package xmltree

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// IsChar reports whether XML 1.0 allows the character r in a document.
func IsChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// checkChars refuses characters XML does not allow (and invalid UTF-8) in
// s, which is the input at offset at.
func (p *Parser[T, A]) checkChars(s string, at int) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return p.Errorf(at+i, "control character %#02x", c)
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return p.Errorf(at+i, "invalid UTF-8")
			}
			if !IsChar(r) {
				return p.Errorf(at+i, "character %U is not allowed in XML", r)
			}
			i += n - 1
		}
	}
	return nil
}

func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Unescape replaces the entity and character references in raw (character
// data or an attribute value, the input at offset at, for messages) and
// normalizes its line ends. Without references or carriage returns it
// returns raw itself.
func (p *Parser[T, A]) Unescape(raw string, at int) (string, error) {
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
			return "", p.Errorf(at+i, "unterminated reference")
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
				return "", p.Errorf(at+i, "unknown entity &%s;", ref)
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				if len(ref) < 3 {
					return "", p.Errorf(at+i, "bad character reference &%s;", ref)
				}
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			}
			if err != nil || n > 0x10FFFF || !IsChar(rune(n)) || strings.ContainsAny(ref[1:], "+-") {
				return "", p.Errorf(at+i, "bad character reference &%s;", ref)
			}
			b.WriteRune(rune(n))
		}
		i += end + 1
	}
	return b.String(), nil
}

// SkipElement moves Pos past the element that starts at Pos, checking no
// more than where it ends (a reader that reads the text itself checks the
// rest): ErrIncomplete when the input ends first.
func (p *Parser[T, A]) SkipElement() error {
	depth := 0
	for {
		i := strings.IndexByte(p.S[p.Pos:], '<')
		if i < 0 {
			return ErrIncomplete
		}
		p.Pos += i
		rest := p.S[p.Pos:]
		var end int
		switch {
		case strings.HasPrefix(rest, "<!--"):
			if end = strings.Index(rest, "-->"); end < 0 {
				return ErrIncomplete
			}
			p.Pos += end + 3
			continue
		case strings.HasPrefix(rest, "<![CDATA["):
			if end = strings.Index(rest, "]]>"); end < 0 {
				return ErrIncomplete
			}
			p.Pos += end + 3
			continue
		case strings.HasPrefix(rest, "<?"):
			if end = strings.Index(rest, "?>"); end < 0 {
				return ErrIncomplete
			}
			p.Pos += end + 2
			continue
		case len(rest) < 9 && (strings.HasPrefix("<![CDATA[", rest) || strings.HasPrefix("<!--", rest)):
			return ErrIncomplete
		case strings.HasPrefix(rest, "</"):
			if end = strings.IndexByte(rest, '>'); end < 0 {
				return ErrIncomplete
			}
			p.Pos += end + 1
			if depth--; depth <= 0 {
				return nil
			}
			continue
		}
		// A start tag: its end is the first '>' outside quotes.
		j := 1
		for {
			if j >= len(rest) {
				return ErrIncomplete
			}
			c := rest[j]
			if c == '>' {
				break
			}
			if c == '"' || c == '\'' {
				q := strings.IndexByte(rest[j+1:], c)
				if q < 0 {
					return ErrIncomplete
				}
				j += q + 2
				continue
			}
			j++
		}
		p.Pos += j + 1
		if rest[j-1] != '/' {
			depth++
		} else if depth == 0 {
			return nil
		}
	}
}
