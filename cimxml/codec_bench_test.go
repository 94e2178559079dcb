package cimxml

import (
	"bytes"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
)

// pullResponse builds a pull response of n workload instances as the
// server writes it.
func pullResponse(n int) []byte {
	var w bytes.Buffer
	enc := &encoder{host: "testhost", ns: `root\cimv2`}
	w.WriteString(xmlDecl + `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="PullInstancesWithPath"><IRETURNVALUE>`)
	c := workload.Class()
	for i := range n {
		inst := workload.Build(c, i)
		w.WriteString("<VALUE.INSTANCEWITHPATH>")
		enc.instancePath(&w, inst.ObjectPath())
		enc.instance(&w, inst, instOpts{})
		w.WriteString("</VALUE.INSTANCEWITHPATH>")
	}
	w.WriteString(`</IRETURNVALUE><PARAMVALUE NAME="EnumerationContext"><VALUE>x</VALUE></PARAMVALUE><PARAMVALUE NAME="EndOfSequence"><VALUE>FALSE</VALUE></PARAMVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`)
	return w.Bytes()
}

// The client's cost per instance: read a response of 1000 and decode each.
func BenchmarkDecodeResponse(b *testing.B) {
	body := pullResponse(1000)
	c := workload.Class()
	or := &objReader{c: &Client{}, ns: `root\cimv2`, last: c}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for range b.N {
		_, err := readResponse(bytes.NewReader(body), &rpc{intrinsic: true}, func(it *item) error {
			_, err := or.read(it)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/inst")
}

// The server's cost per instance: write 1000.
func BenchmarkEncode(b *testing.B) {
	c := workload.Class()
	insts := make([]*cim.Instance, 1000)
	for i := range insts {
		insts[i] = workload.Build(c, i)
	}
	enc := &encoder{host: "testhost", ns: `root\cimv2`}
	var w bytes.Buffer
	b.ReportAllocs()
	for range b.N {
		w.Reset()
		for _, inst := range insts {
			w.WriteString("<VALUE.INSTANCEWITHPATH>")
			enc.instancePath(&w, inst.ObjectPath())
			enc.instance(&w, inst, instOpts{})
			w.WriteString("</VALUE.INSTANCEWITHPATH>")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/inst")
}
