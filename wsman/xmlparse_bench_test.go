package wsman

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/internal/workload"
)

// pullResponse is a PullResponse of n workload instances as the server
// writes it, the client's input.
func pullResponse(n int) string {
	const uri = URIPrefixWMI + "root/cimv2/" + workload.ClassName
	var b bytes.Buffer
	startEnvelope(&b, &request{MessageID: "uuid:0"}, actPull+"Response", uri)
	b.WriteString("<wsen:PullResponse><wsen:EnumerationContext>ctx</wsen:EnumerationContext><wsen:Items>")
	iw := newInstWriter(uriMapper{}, uri)
	c := workload.Class()
	for i := range n {
		iw.writeInstance(&b, workload.Build(c, i))
	}
	b.WriteString("</wsen:Items></wsen:PullResponse>" + envelopeEnd)
	return b.String()
}

// BenchmarkParseXML reads a PullResponse of 1000 instances (about 0.5 MB)
// with the client's own XML reader and, for comparison in the same process,
// with encoding/xml building the same tree (parseXMLStd).
func BenchmarkParseXML(b *testing.B) {
	doc := pullResponse(1000)
	for _, p := range []struct {
		name  string
		parse func(string) (*node, error)
	}{
		{"parser=gowbem", parseXMLString},
		{"parser=encoding_xml", func(s string) (*node, error) { return parseXMLStd(strings.NewReader(s)) }},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for range b.N {
				if _, err := p.parse(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The two readers agree on the benchmark's document.
func TestParseXMLBenchDocument(t *testing.T) {
	doc := pullResponse(20)
	fast, err := parseXMLString(doc)
	if err != nil {
		t.Fatal(err)
	}
	std, err := parseXMLStd(strings.NewReader(doc))
	if err != nil || !sameTree(fast, std) {
		t.Fatalf("the readers disagree on a PullResponse (%v)", err)
	}
	if items := fast.child(nsSOAP, "Body").child(nsWSEN, "PullResponse").child(nsWSEN, "Items"); items == nil || len(items.Kids) != 20 {
		t.Fatalf("no 20 items in\n%.500s", doc)
	}
}
