package wsman

import (
	"bytes"
	"unicode/utf8"
)

// escapeText writes s as XML character data. It copies runs that need no
// escaping in one go, so plain text costs one append.
func escapeText(w *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		if c < utf8.RuneSelf {
			switch c {
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '&':
				esc = "&amp;"
			case '\r':
				esc = "&#xD;"
			case '\t', '\n':
			default:
				if c < 0x20 {
					esc = "\uFFFD" // not representable in XML 1.0
				}
			}
			if esc == "" {
				i++
				continue
			}
			w.WriteString(s[last:i])
			w.WriteString(esc)
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			w.WriteString(s[last:i])
			w.WriteString("\uFFFD")
			i += n
			last = i
			continue
		}
		i += n
	}
	w.WriteString(s[last:])
}

// escapeAttr writes s as the value of a double-quoted attribute.
func escapeAttr(w *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		if c < utf8.RuneSelf {
			switch c {
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '&':
				esc = "&amp;"
			case '"':
				esc = "&quot;"
			case '\r':
				esc = "&#xD;"
			case '\n':
				esc = "&#xA;"
			case '\t':
				esc = "&#x9;"
			default:
				if c < 0x20 {
					esc = "\uFFFD"
				}
			}
			if esc == "" {
				i++
				continue
			}
			w.WriteString(s[last:i])
			w.WriteString(esc)
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			w.WriteString(s[last:i])
			w.WriteString("\uFFFD")
			i += n
			last = i
			continue
		}
		i += n
	}
	w.WriteString(s[last:])
}

// elem writes <name>text</name> with the text escaped.
func elem(w *bytes.Buffer, name, text string) {
	w.WriteByte('<')
	w.WriteString(name)
	w.WriteByte('>')
	escapeText(w, text)
	w.WriteString("</")
	w.WriteString(name)
	w.WriteByte('>')
}
