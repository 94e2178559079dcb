package wsman

import (
	"bytes"

	"github.com/gowbem/gowbem/cim"
)

// InstanceWriterForTest exposes the instance writer to benchmarks.
type InstanceWriterForTest struct {
	iw  *instWriter
	buf bytes.Buffer
}

func NewInstanceWriterForTest(uri string) *InstanceWriterForTest {
	return &InstanceWriterForTest{iw: newInstWriter(uriMapper{}, uri)}
}

func (w *InstanceWriterForTest) Write(inst *cim.Instance) int {
	w.buf.Reset()
	w.iw.writeInstance(&w.buf, inst)
	return w.buf.Len()
}
