package wsman

import (
	"bytes"
	"unicode/utf8"
)

// escapeText writes s as XML character data. It copies runs that need no
// escaping in one go, so plain text costs one append.
func escapeText(w *bytes.Buffer, s string) { escape(w, s, false) }

// escapeAttr writes s as the value of a double-quoted attribute.
func escapeAttr(w *bytes.Buffer, s string) { escape(w, s, true) }

// escape writes s escaped for character data or, with attr, for a
// double-quoted attribute (where quotes and whitespace characters are
// escaped too, so they survive attribute normalisation). Characters XML 1.0
// cannot hold become U+FFFD.
func escape(w *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		if c < utf8.RuneSelf {
			switch {
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '&':
				esc = "&amp;"
			case c == '\r':
				esc = "&#xD;"
			case attr && c == '"':
				esc = "&quot;"
			case attr && c == '\n':
				esc = "&#xA;"
			case attr && c == '\t':
				esc = "&#x9;"
			case c < 0x20 && c != '\t' && c != '\n':
				esc = "\uFFFD" // not representable in XML 1.0
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
