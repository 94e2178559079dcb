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

// plainText and plainAttr tell the bytes that character data and a
// double-quoted attribute hold as they are: printable ASCII but for the
// markup characters (and, in text, tab and newline).
var plainText, plainAttr = func() (t, a [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '<' && c != '>' && c != '&'
		a[c] = t[c] && c != '"'
	}
	t['\t'], t['\n'] = true, true
	return t, a
}()

// escape writes s escaped for character data or, with attr, for a
// double-quoted attribute (where quotes and whitespace characters are
// escaped too, so they survive attribute normalisation). Characters XML 1.0
// cannot hold become U+FFFD. A string that needs nothing (most) is found so
// by one table look-up a byte and written in one copy.
func escape(w *bytes.Buffer, s string, attr bool) {
	plain := &plainText
	if attr {
		plain = &plainAttr
	}
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		w.WriteString(s)
		return
	}
	last := 0
	for i < len(s) {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
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
			default: // a control character other than tab and newline
				esc = "\uFFFD" // not representable in XML 1.0
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
