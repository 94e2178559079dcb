package wsman

import (
	"bytes"
	"context"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/enumctx"
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

// FaultForTest returns the SOAP code, subcode and HTTP status of the fault
// an operation failing with st is answered with.
func FaultForTest(st cim.Status) (code, subcode string, httpStatus int) {
	f := faultFromError(&cim.Error{Status: st, Description: "test"})
	httpStatus = f.httpStatus
	if httpStatus == 0 {
		httpStatus = 400
		if f.code != "s:Sender" {
			httpStatus = 500
		}
	}
	return f.code, f.subcode, httpStatus
}

// ResponseBudgetHeld is what responses in flight hold of
// Options.ResponseBudget.
func (s *Server) ResponseBudgetHeld() int64 {
	if s.respBudget == nil {
		return 0
	}
	return int64(s.respBudget.inUse())
}

// EscapeForTest is s escaped as character data, or with attr as a
// double-quoted attribute's value.
func EscapeForTest(s string, attr bool) string {
	var b bytes.Buffer
	escape(&b, s, attr)
	return b.String()
}

// InfoForTest returns what the client knows of its server after asking
// (Identify): the name it gives paths, and whether it is gowbem.
func (c *Client) InfoForTest(ctx context.Context) (name string, gowbem bool) {
	si, _ := c.info(ctx)
	return si.name, si.gowbem
}

// SubscriptionSuspendedForTest tells whether the subscription id waits,
// suspended, for a subscriber to resume it.
func (s *Server) SubscriptionSuspendedForTest(id string) bool {
	tab := s.eventSubs()
	tab.mu.Lock()
	sub := tab.byID[id]
	tab.mu.Unlock()
	if sub == nil {
		return false
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.state == subSuspended
}

// EnumerationBusyForTest tells whether a request holds user's enumeration
// context id.
func (s *Server) EnumerationBusyForTest(user, id string) bool {
	e, err := s.ctxs.Acquire(s, id, user)
	if err == nil {
		s.ctxs.Release(e, false)
	}
	return err == enumctx.ErrBusy
}
