package wsman

import (
	"bytes"
	"strings"
	"testing"
)

// Names and namespace bindings the fuzzer found read wrongly: each case is
// also a seed under testdata/fuzz/FuzzParseXML.
func TestParseXMLNames(t *testing.T) {
	for _, tt := range []struct {
		doc        string
		space, err string // the root's namespace, or a fragment of the error
	}{
		// "xmlns:" with no prefix binds nothing (encoding/xml reads an
		// attribute called "xmlns:"); it used to bind the default namespace.
		{`<?A0?><Envelope xmlns:="0"></Envelope>`, "", ""},
		{`<Envelope xmlns="u" xmlns:="0"/>`, "u", ""},
		// A prefix must be followed by a name; "0" could not be printed back.
		{`<A xmlns:s=""><wsa:To s:0=""></wsa:To></A>`, "", `"0" is not a name after the prefix`},
		{`<s:0 xmlns:s="u"/>`, "", `"0" is not a name after the prefix`},
		{`<A xmlns:s="u" s:-x="1"/>`, "", `"-x" is not a name after the prefix`},
		// Still fine: a bound prefix, a colon at either end of a name.
		{`<s:A xmlns:s="u" s:b="1" c:="2" :d="3"/>`, "u", ""},
	} {
		n, err := parseXMLString(tt.doc)
		switch {
		case tt.err != "":
			if _, ok := err.(*parseError); !ok || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one with %q", tt.doc, err, tt.err)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", tt.doc, err)
			continue
		case n.Space != tt.space:
			t.Errorf("%s: namespace %q, want %q", tt.doc, n.Space, tt.space)
		}
		std, err := parseXMLStd(strings.NewReader(tt.doc))
		if err != nil || !sameTree(n, std) {
			t.Errorf("%s: encoding/xml reads it otherwise (%v)", tt.doc, err)
		}
		var b bytes.Buffer
		printXML(&b, n)
		if again, err := parseXMLString(b.String()); err != nil || !sameTree(n, again) {
			t.Errorf("%s: printed as %s, which reads back otherwise (%v)", tt.doc, b.String(), err)
		}
	}
}
