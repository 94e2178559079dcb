package wsman_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gowbem/gowbem/wsman"
)

// xmlSafe is s as XML 1.0 can hold it: what escape gives back once parsed.
func xmlSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r == 0xFFFE, r == 0xFFFF, r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Escaped text and attribute values parse back (encoding/xml) to what was
// escaped, characters XML cannot hold replaced by U+FFFD; the plain ones
// (the fast path) come out as they went in.
func TestEscape(t *testing.T) {
	for _, s := range []string{
		"", "plain", "synthetic workload item", "a<b>&c", `"quoted" 'single'`, "tab\there\nnewline\r\nCRLF",
		"ctl\x01\x1f\x7f", "é ünïcödé 日本", "bad\xffbyte", "\xef\xbf\xbe", "<<<", "end&",
	} {
		checkEscape(t, s)
	}
	for _, s := range []string{"plain", "synthetic workload item", "ASCII ~!@#$%^*()_+{}|:?/.,;[]\\=-`"} {
		if got := wsman.EscapeForTest(s, false); got != s {
			t.Errorf("text %q escaped as %q", s, got)
		}
	}
	if got := wsman.EscapeForTest("a\"b\tc\nd", true); got != "a&quot;b&#x9;c&#xA;d" {
		t.Errorf("attribute escaped as %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "a<b>&c\"", "\t\n\r\x00", "é\xff\xef\xbf\xbf"} {
		f.Add(s)
	}
	f.Fuzz(checkEscape)
}

func checkEscape(t *testing.T, s string) {
	doc := "<e a=\"" + wsman.EscapeForTest(s, true) + "\">" + wsman.EscapeForTest(s, false) + "</e>"
	var v struct {
		A    string `xml:"a,attr"`
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("%q escaped does not parse: %v\n%s", s, err, doc)
	}
	want := xmlSafe(s)
	if v.Text != want || v.A != want {
		t.Fatalf("%q came back as text %q, attribute %q; want %q", s, v.Text, v.A, want)
	}
}
