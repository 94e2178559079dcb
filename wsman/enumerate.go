package wsman

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

type itemMode int

const (
	modeObject itemMode = iota
	modeEPR
	modeObjectAndEPR
)

// enumCtx is one enumeration context: a semisynchronous, forward-only
// enumerator of the object manager, and what a Pull needs to go on.
type enumCtx struct {
	id, user string
	e        *wbem.Enumerator
	cancel   context.CancelFunc
	mode     itemMode
	iw       *instWriter
	primary  string // the URI bound to the prefix p in responses
	eprNS    string // the namespace selector of EPRs ("" when the URI has it)
	filter   func(cim.Object) bool
	// exclude: ExcludeSubClassProperties, the resource URI's class;
	// projections, its shape of each subclass met.
	exclude     *cim.Class
	projections map[string]*cim.Class
	event       bool

	pending []cim.Object // read but not yet sent: they did not fit
	ended   bool         // the enumerator reached its end
	err     error        // a failure to report once the objects before it are out

	// The queue ahead of the client: its part of the table's budget, and
	// what the items written so far took, to size it in objects.
	buf                    *enumctx.Buffer
	wroteBytes, wroteItems int64
	sent                   int64 // items in the responses so far

	entry *enumctx.Entry // its place in the server's table once open
	once  sync.Once

	sub    *eventSub        // the WS-Eventing subscription whose context it is, if any
	onItem func(cim.Object) // told each object written to a response
}

func (ec *enumCtx) close() {
	ec.once.Do(func() {
		if ec.e != nil {
			ec.e.Close()
		}
		ec.cancel()
		if ec.buf != nil { // a subscription's context has none
			ec.buf.Free()
		}
	})
}

// itemEstimate is the size of an item guessed before any was written.
const itemEstimate = 512

// expect returns the bytes of items expected in a response of up to maxEl
// items within limit bytes.
func (ec *enumCtx) expect(maxEl, limit int) int {
	item := int64(itemEstimate)
	if ec.wroteItems > 0 {
		item = max(ec.wroteBytes/ec.wroteItems, 1)
	}
	return int(min(int64(maxEl)*item, int64(max(limit, 0))))
}

// queueSize returns how many objects the context should queue ahead of the
// client, which asks for up to maxEl items within limit bytes per request:
// what the next request can take, within the context's part of the
// server's budget. The objects' size is estimated from the items written
// so far.
func (ec *enumCtx) queueSize(maxEl, limit int) int {
	item := int64(itemEstimate)
	if ec.wroteItems > 0 {
		item = max(ec.wroteBytes/ec.wroteItems, 1)
	}
	want := min(int64(maxEl)*item, int64(max(limit, 0)))
	return int(max(ec.buf.Grant(want)/item, 1))
}

// writeItem writes one object unless that makes the response longer than
// limit.
func (ec *enumCtx) writeItem(r *respWriter, obj cim.Object, limit int) bool {
	w := r.buf
	l := w.Len()
	switch o := obj.(type) {
	case *cim.Instance:
		if ec.exclude != nil && ec.mode != modeEPR {
			o = ec.excluded(o)
		}
		switch ec.mode {
		case modeObject:
			ec.iw.writeInstance(w, o)
		case modeEPR:
			ec.writeEPR(w, o)
		case modeObjectAndEPR:
			w.WriteString("<wsman:Item>")
			ec.iw.writeInstance(w, o)
			ec.writeEPR(w, o)
			w.WriteString("</wsman:Item>")
		}
	case *cim.Class:
		writeClassDef(w, o)
	}
	if r.len() > limit {
		w.Truncate(l)
		return false
	}
	ec.wroteBytes += int64(w.Len() - l)
	ec.wroteItems++
	if ec.onItem != nil {
		ec.onItem(obj)
	}
	r.item()
	return true
}

func (ec *enumCtx) writeEPR(w *bytes.Buffer, inst *cim.Instance) {
	p := inst.ObjectPath()
	p.Server, p.Namespace = "", ""
	ec.iw.writeEPR(w, p, ec.eprNS)
}

// excluded is an instance of a subclass of ec.exclude with that class's
// properties only (ExcludeSubClassProperties); its own class's name and
// keys stay.
func (ec *enumCtx) excluded(inst *cim.Instance) *cim.Instance {
	c := inst.Class()
	if cim.EqualFold(c.Name, ec.exclude.Name) || c.IsProjection() || !c.IsA(ec.exclude.Name) {
		return inst
	}
	if ec.projections == nil {
		ec.projections = map[string]*cim.Class{}
	}
	pc := ec.projections[c.Name]
	if pc == nil {
		names := make([]string, len(ec.exclude.Properties))
		for i := range ec.exclude.Properties {
			names[i] = ec.exclude.Properties[i].Name
		}
		pc = c.Project(names, true)
		ec.projections[c.Name] = pc
	}
	return inst.Project(pc)
}

// take reports whether obj passes the filter.
func (ec *enumCtx) take(obj cim.Object) bool { return ec.filter == nil || ec.filter(obj) }

// total is the count of the whole enumeration when it is known without
// reading on: it has ended, or its operation has completed and the rest
// waits in the queue (unless a filter here is still to sort that rest).
// Events never end.
func (ec *enumCtx) total(eos bool) (int64, bool) {
	switch {
	case ec.event || ec.err != nil:
		return 0, false
	case eos || ec.ended:
		return ec.sent + int64(len(ec.pending)), true
	case ec.filter == nil && ec.e != nil:
		if n, complete := ec.e.Buffered(); complete {
			return ec.sent + int64(len(ec.pending)) + int64(n), true
		}
	}
	return 0, false
}

// fill writes up to max objects into the response w, keeping it within
// limit bytes, waiting up to wait for the first ones. It reports how many it
// wrote and whether the enumeration is over. Objects that do not fit stay
// pending for the next Pull; a first object that cannot fit at all gives
// wsman:EncodingLimit. Once w went out in part (w.streamed), only the
// client's going away gives a fault. When ctx (the HTTP
// request's) ends first, the client has gone and cannot receive what was
// read: fill then reports the end, so the caller closes the context and the
// provider is cancelled.
func (ec *enumCtx) fill(ctx context.Context, w *respWriter, max int, wait time.Duration, limit int) (n int, eos bool, f *fault) {
	tooBig := func() *fault {
		if limit <= 0 {
			return faultEncodingLimit("MaxEnvelopeSize", fmt.Sprintf("the response's envelope alone fills MaxEnvelopeSize or MaxCharacters (%d bytes over), leaving no room for an object; raise them", -limit))
		}
		return faultEncodingLimit("MaxEnvelopeSize", fmt.Sprintf("the next object does not fit in the response (%d bytes left for items); raise MaxEnvelopeSize or MaxCharacters", limit))
	}
	for n < max && len(ec.pending) > 0 {
		if !ec.writeItem(w, ec.pending[0], limit) {
			if n == 0 {
				return 0, false, tooBig()
			}
			return n, false, nil
		}
		ec.pending[0] = nil
		ec.pending = ec.pending[1:]
		n++
	}
	if len(ec.pending) > 0 {
		return n, false, nil
	}
	ec.pending = nil
	if ec.err != nil {
		if n > 0 {
			return n, false, nil
		}
		return 0, true, faultFromError(ec.err)
	}
	if ec.ended {
		return n, true, nil
	}
	// Wait up to wait for a full batch (of up to maxWaitBatch; on an event
	// context for the first event only), reading and
	// writing it a chunk at a time; then take what more has come.
	wait = min(wait, MaxPullWait) // the fault below says the time waited
	deadline := time.Now().Add(wait)
	waitFor := min(max, maxWaitBatch)
	if ec.event {
		waitFor = 1
	}
	var scratch *[]cim.Object
	for n < max {
		timeout := time.Until(deadline)
		if n >= waitFor || timeout < 0 {
			timeout = wbem.NoWait
		}
		need := min(max-n, maxScratch)
		if scratch == nil {
			scratch = getScratch()
			defer putScratch(scratch)
		}
		if ec.event && n == 0 {
			// Events are answered as they come: wait for the first one
			// only (the rest of the batch is what is already there),
			// not for MaxElements of them or MaxTime.
			need = 1
		}
		if cap(*scratch) < need {
			*scratch = make([]cim.Object, need)
		}
		buf := (*scratch)[:need]
		k, err := ec.e.NextContext(ctx, timeout, buf)
		if ctx.Err() != nil {
			if ec.sub != nil {
				// A subscription's events outlive its subscriber's
				// connection: they wait, after those written (which
				// pullEvents puts back), for whoever resumes it.
				for _, obj := range buf[:k] {
					if ec.take(obj) {
						ec.pending = append(ec.pending, obj)
					}
				}
			}
			clear(buf[:k])
			return 0, true, faultDropped()
		}
		for i := 0; i < k; i++ {
			obj := buf[i]
			buf[i] = nil
			if !ec.take(obj) {
				continue
			}
			if !ec.writeItem(w, obj, limit) {
				ec.pending = append(ec.pending, obj)
				for j := i + 1; j < k; j++ {
					if ec.take(buf[j]) {
						ec.pending = append(ec.pending, buf[j])
					}
					buf[j] = nil
				}
				if err == io.EOF {
					ec.ended = true
				} else if err != nil && err != wbem.ErrTimedOut {
					ec.err = err
				}
				if n == 0 {
					return 0, false, tooBig()
				}
				return n, false, nil
			}
			n++
		}
		switch {
		case err == nil:
			continue
		case err == io.EOF:
			ec.ended = true
			return n, true, nil
		case err == wbem.ErrTimedOut:
			if n == 0 {
				return 0, false, faultTimedOut(fmt.Sprintf("no object came within %v; the enumeration context stays valid", wait))
			}
			return n, false, nil
		default:
			ec.err = err
			if n > 0 {
				return n, false, nil
			}
			ec.err = nil
			return 0, true, faultFromError(err)
		}
	}
	// The batch is full: tell the end along with it when it has come.
	for !ec.event {
		var one [1]cim.Object
		k, err := ec.e.Next(wbem.NoWait, one[:])
		if k == 1 && ec.take(one[0]) {
			ec.pending = append(ec.pending, one[0])
		}
		switch {
		case err == io.EOF:
			ec.ended = true
			return n, len(ec.pending) == 0, nil
		case err == nil && k == 1 && len(ec.pending) == 0:
			continue // filtered out: look again
		case err != nil && err != wbem.ErrTimedOut:
			ec.err = err
		}
		break
	}
	return n, false, nil
}

// fill reads maxScratch objects at a time, so that what it holds between
// the queue and the response stays small; it waits (up to the request's
// time) for batches of up to maxWaitBatch objects.
const (
	maxScratch   = 256
	maxWaitBatch = 4096
)

// scratchPool holds the slices fill reads objects into, between requests
// (a context does not keep one while its client is away).
var scratchPool = sync.Pool{New: func() any { return new([]cim.Object) }}

func getScratch() *[]cim.Object { return scratchPool.Get().(*[]cim.Object) }

func putScratch(s *[]cim.Object) {
	clear(*s)
	scratchPool.Put(s)
}

func parseCount(n *node, what string, def int) (int, *fault) {
	if n == nil {
		return def, nil
	}
	v, err := strconv.Atoi(n.text())
	if err != nil || v <= 0 {
		return 0, faultSchema(fmt.Sprintf("line %d: %s %q is not a positive integer", n.Line, what, n.text()))
	}
	if v > MaxMaxElements && what != "MaxCharacters" {
		v = MaxMaxElements
	}
	return v, nil
}

// enumerate serves Enumerate: it opens an enumeration of the object
// manager under a context of its own, answers with the first items when the
// client asked for an optimized enumeration, and keeps the rest for Pull.
func (s *Server) enumerate(reqCtx context.Context, w http.ResponseWriter, req *request, user string) *fault {
	t, f := s.target(req)
	if f != nil {
		return f
	}
	if t.res.DSP0201 {
		return faultDSP0201Only(req.Action)
	}
	er, f := s.enumerateRequest(req)
	if f != nil {
		return f
	}
	// What the enumeration asks for is checked before it is answered (as
	// WinRM does), not at the first Pull: its class, its filter.
	if f := s.checkEnumeration(reqCtx, req, t, &er); f != nil {
		return f
	}

	// Reserve the context before any provider starts.
	res, rerr := s.ctxs.Reserve(s, user)
	switch rerr {
	case nil:
	case enumctx.ErrQuota:
		return faultQuota(fmt.Sprintf("user %q has %d open enumerations, the most allowed; release or finish one", user, s.opts.MaxContextsPerUser))
	default:
		return faultShuttingDown()
	}
	unreserve := res.Cancel

	// The enumeration outlives the request, not its caller.
	ctx, cancel := context.WithCancel(s.base)
	if c, ok := identity.FromContext(reqCtx); ok {
		ctx = identity.NewContext(ctx, c)
	}
	ec := &enumCtx{user: user, cancel: cancel, mode: er.mode, buf: s.ctxs.NewBuffer(), exclude: er.exclude}
	ec.primary = req.ResourceURI
	// The enumeration queues what the first request can take: an optimized
	// Enumerate's items, else the least, until a Pull says more. It runs
	// on the backend itself: nothing waits for its end (requests wait on
	// its queue with their own limits), so the bound that answers other
	// operations at their timeout would only cost it a goroutine.
	q := ec.queueSize(1, enumctx.MinBuffer)
	if er.optimize {
		q = ec.queueSize(er.maxElements, s.envelopeLimit(req))
	}
	t.svc = wbem.NewServices(s.raw, t.ns, wbem.WithQueueSize(q))
	e, err := s.startEnumeration(ctx, req, t, ec, er)
	if err != nil {
		ec.close()
		unreserve()
		return faultFromError(err)
	}
	ec.e = e
	if t.res.All {
		ec.primary = "" // objects of many classes: each declares its own prefix
	}
	ec.iw = newInstWriter(uriMapper{base: t.res.Base, ns: t.ns}, ec.primary)
	if t.res.Namespace == "" {
		ec.eprNS = t.ns
	}

	// The items go straight into the response, after a context element
	// whose identifier is filled in once the context is open (or that is
	// cut out when the enumeration ended).
	size := 4096
	if er.optimize {
		size += ec.expect(er.maxElements, s.envelopeLimit(req))
	}
	rw := s.newRespWriter(w, size)
	defer rw.close()
	buf := rw.buf
	startEnvelope(buf, req, actEnumerate+"Response", ec.primary)
	buf.WriteString("<wsen:EnumerateResponse>")
	ctxAt := buf.Len()
	buf.WriteString("<wsen:EnumerationContext>" + idPlaceholder + "</wsen:EnumerationContext>")
	itemsAt := buf.Len()
	eos := false
	// A response that goes out in chunks opens the context before its
	// first chunk, busy (as under a Pull) until the response is done: its
	// element is then sent, so the end, if it comes, is told by the next
	// Pull.
	open := func() error {
		entry, err := res.Open(ec, s.opts.IdleTimeout, ec.close)
		if err != nil {
			return err
		}
		ec.entry, ec.id = entry, entry.ID
		setContextID(buf, ctxAt, ec.id)
		return nil
	}
	rw.open = func() bool {
		if open() != nil {
			return false // shutting down: answered whole, below
		}
		if _, err := s.ctxs.Acquire(s, ec.id, user); err != nil {
			return false // closed meanwhile: the same
		}
		return true
	}
	if er.optimize {
		buf.WriteString("<wsman:Items>")
		overhead := buf.Len() + len("</wsman:Items><wsman:EndOfSequence/></wsen:EnumerateResponse>") + len(envelopeEnd)
		wait := req.OperationTimeout
		if wait <= 0 {
			wait = s.opts.OperationTimeout
		}
		var n int
		var f *fault
		if req.CountEstimate {
			overhead += countSlack
		}
		n, eos, f = ec.fill(reqCtx, rw, er.maxElements, wait, buf.Len()+s.envelopeLimit(req)-overhead)
		ec.sent += int64(n)
		if rw.streamed {
			// The items went out with the context's element: the client
			// has them, or went away (a fault cannot follow them).
			s.done(ec, f != nil && f.subcode != "wsman:TimedOut")
			if f == nil {
				buf.WriteString("</wsman:Items></wsen:EnumerateResponse>" + envelopeEnd)
				rw.finish()
			}
			return nil
		}
		if f != nil && f.subcode != "wsman:TimedOut" {
			if ec.entry != nil { // opened, but could not go out in chunks
				s.done(ec, true)
			} else {
				ec.close()
				unreserve()
			}
			return f
		}
		if n > 0 {
			buf.WriteString("</wsman:Items>")
		} else {
			buf.Truncate(itemsAt)
		}
	}
	total, counted := int64(0), false
	if req.CountEstimate {
		total, counted = ec.total(eos)
	}
	switch {
	case ec.entry != nil: // opened by a first chunk that did not go out
		if eos {
			s.done(ec, true)
			cutContext(buf, ctxAt, itemsAt)
		} else {
			s.done(ec, false)
		}
	case !eos:
		if open() != nil {
			ec.close()
			return faultShuttingDown()
		}
	default:
		ec.close()
		unreserve()
		cutContext(buf, ctxAt, itemsAt)
	}
	if er.optimize && eos {
		buf.WriteString("<wsman:EndOfSequence/>")
	}
	buf.WriteString("</wsen:EnumerateResponse>" + envelopeEnd)
	if counted {
		setCountEstimate(buf, total) // last: it moves what follows it
	}
	rw.finish()
	return nil
}

// enumRequest is what a wsen:Enumerate body asks for.
type enumRequest struct {
	optimize    bool       // items in the EnumerateResponse
	maxElements int        // of them
	mode        itemMode   // objects, EPRs or both
	flags       wbem.Flag  // the operation's: semisynchronous, shallow, the client's extras
	filter      *node      // nil: every instance of the class
	excludeSub  bool       // PolymorphismMode ExcludeSubClassProperties
	exclude     *cim.Class // set by checkEnumeration: the class whose properties alone are sent
}

// enumerateRequest reads and checks an Enumerate request's body and
// options.
func (s *Server) enumerateRequest(req *request) (enumRequest, *fault) {
	var er enumRequest
	body := req.Body
	if body == nil || body.Local != "Enumerate" || body.Space != nsWSEN {
		return er, faultSchema("the body of Enumerate must be a wsen:Enumerate element")
	}
	er.optimize = body.child(nsWSMAN, "OptimizeEnumeration") != nil
	var f *fault
	if er.maxElements, f = parseCount(body.child(nsWSMAN, "MaxElements"), "MaxElements", DefaultMaxElements); f != nil {
		return er, f
	}
	er.mode = modeObject
	switch m := body.child(nsWSMAN, "EnumerationMode").text(); m {
	case "":
	case "EnumerateEPR":
		er.mode = modeEPR
	case "EnumerateObjectAndEPR":
		er.mode = modeObjectAndEPR
	default:
		return er, &fault{code: "s:Sender", subcode: "wsman:UnsupportedFeature", detail: "EnumerationMode", action: actFaultWSMan,
			reason: "EnumerationMode " + strconv.Quote(m) + " is not supported", status: statusNotSupported}
	}
	er.flags = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY
	if pm := body.child(nsWSMB, "PolymorphismMode").text(); pm == "None" {
		er.flags |= wbem.WBEM_FLAG_SHALLOW
	} else if pm == "ExcludeSubClassProperties" {
		er.excludeSub = true
	} else if pm != "" && pm != "IncludeSubClassProperties" {
		return er, &fault{code: "s:Receiver", subcode: "wsmb:PolymorphismModeNotSupported", action: "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/fault",
			reason: "PolymorphismMode " + strconv.Quote(pm) + " is not supported", status: statusNotSupported}
	}
	if ex := body.child(nsWSEN, "Expires"); ex != nil {
		return er, &fault{code: "s:Sender", subcode: "wsman:UnsupportedFeature", detail: "ExpirationTime", action: actFaultWSMan,
			reason: fmt.Sprintf("line %d: wsen:Expires is not supported: an enumeration context expires %v after its last use (Renew restarts that clock)", ex.Line, s.opts.IdleTimeout),
			status: statusNotSupported}
	}
	extra, f := s.flagsOption(req, 0)
	if f != nil {
		return er, f
	}
	er.flags |= extra &^ (wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY)
	er.filter = body.child(nsWSMAN, "Filter")
	if er.filter == nil {
		er.filter = body.child(nsWSEN, "Filter")
	}
	return er, nil
}

// checkEnumeration checks what an Enumerate asks for before any context
// is opened: the class of a class's resource exists, a WQL or CQL filter
// parses and selects from an existing class — the resource URI's, unless
// the URI is the all-classes one. For ExcludeSubClassProperties it sets
// er.exclude.
func (s *Server) checkEnumeration(ctx context.Context, req *request, t *target, er *enumRequest) *fault {
	if t.res.ClassDef || t.res.NSRes {
		return nil
	}
	// A failure is reported as the operation the enumeration runs would
	// have reported it.
	op := "CreateInstanceEnum"
	if er.filter != nil {
		op = "ExecQuery"
	}
	failed := func(err error) *fault {
		e := *cim.AsError(err)
		e.Operation = op
		return faultFromError(&e)
	}
	lookup := lookupIn(ctx, t.svc)
	if !t.res.All && t.res.Class != "" {
		c, err := lookup(t.res.Class)
		if err != nil {
			return failed(err)
		}
		if er.excludeSub {
			er.exclude = c
		}
	}
	if er.filter == nil {
		return nil
	}
	dialect, _ := er.filter.attr("", "Dialect")
	dialect = strings.TrimSpace(dialect)
	if dialect != DialectWQL && dialect != DialectCQL {
		return nil
	}
	text := strings.TrimSpace(er.filter.Text)
	cannot := func(why string, st cim.Status) *fault {
		return failed(&cim.Error{Status: st, Description: why})
	}
	if text == "" {
		return cannot("the filter is empty", cim.WBEM_E_INVALID_QUERY)
	}
	q, err := wql.Parse(text)
	if err != nil {
		e := cim.AsError(err)
		if dialect == DialectCQL {
			return cannot("CQL filter: gowbem takes the part of CQL that is WQL's SELECT … FROM … WHERE: "+e.Description, e.Status)
		}
		return failed(err)
	}
	sq, ok := q.(*wql.SelectQuery)
	if !ok {
		if dialect == DialectCQL {
			return cannot("CQL filter: only SELECT … FROM … WHERE is taken", cim.WBEM_E_INVALID_QUERY)
		}
		return nil // ASSOCIATORS OF, REFERENCES OF: checked when run
	}
	if _, err := lookup(sq.Class); err != nil {
		return failed(err)
	}
	if !t.res.All && t.res.Class != "" && !cim.EqualFold(sq.Class, t.res.Class) {
		return cannot(fmt.Sprintf("the filter selects from %s but the resource URI names %s; use that class, or the all-classes URI %s*", sq.Class, t.res.Class, t.res.Base), cim.WBEM_E_INVALID_QUERY)
	}
	return nil
}

// startEnumeration opens the enumeration the resource and the filter name:
// class definitions, the instances of a class, or a filter's results.
func (s *Server) startEnumeration(ctx context.Context, req *request, t *target, ec *enumCtx, er enumRequest) (*wbem.Enumerator, error) {
	switch {
	case t.res.ClassDef:
		super, _ := t.selectorValue("ClassName")
		return t.svc.CreateClassEnum(ctx, super, er.flags)
	case t.res.NSRes:
		return nil, faultResource(req.ResourceURI, "namespaces are not enumerated; enumerate __NAMESPACE instances")
	case er.filter == nil:
		if t.res.All {
			return nil, &fault{code: "s:Sender", subcode: "wsman:UnsupportedFeature", detail: "FilteringRequired", action: actFaultWSMan,
				reason: "the all-classes URI " + req.ResourceURI + " needs a filter (WQL or an association filter)", status: statusInvalidParameter}
		}
		return t.svc.CreateInstanceEnum(ctx, t.res.Class, er.flags)
	}
	return s.filtered(ctx, t, ec, er.filter, er.flags)
}

// idPlaceholder stands for a context's identifier in a response written
// before the context is open: enumctx's identifiers have its length.
const idPlaceholder = "uuid:00000000-0000-0000-0000-000000000000"

// setContextID writes id over the placeholder of the context element at
// at in buf.
func setContextID(buf *bytes.Buffer, at int, id string) {
	start := at + len("<wsen:EnumerationContext>")
	b := buf.Bytes()
	if len(id) == len(idPlaceholder) {
		copy(b[start:], id)
		return
	}
	rest := append([]byte(id), b[start+len(idPlaceholder):]...)
	buf.Truncate(start)
	buf.Write(rest)
}

// cutContext removes buf[from:to] (the context element of a response whose
// enumeration ended), moving what follows.
func cutContext(buf *bytes.Buffer, from, to int) {
	b := buf.Bytes()
	n := copy(b[from:], b[to:])
	buf.Truncate(from + n)
}

// filtered starts the enumeration a filter asks for.
func (s *Server) filtered(ctx context.Context, t *target, ec *enumCtx, filter *node, flags wbem.Flag) (*wbem.Enumerator, error) {
	dialect, _ := filter.attr("", "Dialect")
	dialect = strings.TrimSpace(dialect)
	text := strings.TrimSpace(filter.Text)
	qflags := flags &^ wbem.WBEM_FLAG_SHALLOW
	switch {
	case dialect == DialectWQL || dialect == DialectCQL:
		// CQL's SELECT … FROM … WHERE is WQL's (checkEnumeration refused
		// the rest).
		if text == "" {
			return nil, &fault{code: "s:Sender", subcode: "wsen:CannotProcessFilter", action: actFaultEnum, reason: "the WQL filter is empty", status: cim.WBEM_E_INVALID_QUERY}
		}
		return t.svc.ExecQuery(ctx, "WQL", text, qflags)
	case dialect == DialectEvent:
		ec.event = true
		return t.svc.ExecNotificationQuery(ctx, "WQL", text, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	case strings.HasPrefix(dialect, DialectLanguagePrefix):
		lang, err := url.PathUnescape(dialect[len(DialectLanguagePrefix):])
		if err != nil {
			return nil, faultDialect(dialect)
		}
		return t.svc.ExecQuery(ctx, lang, text, qflags)
	case dialect == DialectSelector:
		if t.res.All || t.res.Class == "" {
			return nil, faultResource(t.res.Base+"*", "a selector filter needs a class's resource URI")
		}
		set := filter.child(nsWSMAN, "SelectorSet")
		if set == nil {
			return nil, &fault{code: "s:Sender", subcode: "wsen:CannotProcessFilter", action: actFaultEnum,
				reason: "a SelectorFilter holds a wsman:SelectorSet", status: cim.WBEM_E_INVALID_QUERY}
		}
		sels, err := readSelectors(set)
		if err != nil {
			return nil, err
		}
		rd := &reader{ns: t.ns}
		ec.filter = func(obj cim.Object) bool {
			for _, sel := range sels {
				v, err := obj.Get(sel.Name)
				if err != nil {
					return false
				}
				if sel.EPR != nil {
					p, err := rd.eprPath(sel.EPR)
					if err != nil || !cim.Equal(v, cim.RefString(p.String())) {
						return false
					}
					continue
				}
				if !strings.EqualFold(keyText(v), strings.TrimSpace(sel.Value)) {
					return false
				}
			}
			return true
		}
		return t.svc.CreateInstanceEnum(ctx, t.res.Class, flags)
	case dialect == DialectAssociation:
		q, err := associationQuery(ctx, filter, t)
		if err != nil {
			return nil, err
		}
		return t.svc.ExecQuery(ctx, "WQL", q, qflags)
	}
	if dialect == "" {
		dialect = "(none: XPath)"
	}
	return nil, faultDialect(dialect)
}

// associationQuery turns DSP0227's association filter into WQL's
// ASSOCIATORS OF or REFERENCES OF.
func associationQuery(ctx context.Context, filter *node, t *target) (string, error) {
	var q strings.Builder
	var kind *node
	refs := false
	if kind = filter.child(nsWSMB, "AssociatedInstances"); kind == nil {
		if kind = filter.child(nsWSMB, "AssociationInstances"); kind == nil {
			return "", &fault{code: "s:Sender", subcode: "wsen:CannotProcessFilter", action: actFaultEnum,
				reason: "an association filter holds wsmb:AssociatedInstances or wsmb:AssociationInstances", status: cim.WBEM_E_INVALID_QUERY}
		}
		refs = true
	}
	obj := kind.child(nsWSMB, "Object")
	if obj == nil {
		return "", &fault{code: "s:Sender", subcode: "wsen:CannotProcessFilter", action: actFaultEnum,
			reason: "an association filter names its source in wsmb:Object", status: cim.WBEM_E_INVALID_QUERY}
	}
	e, err := readEPR(obj)
	if err != nil {
		return "", err
	}
	rd := &reader{ns: t.ns, lookup: lookupIn(ctx, t.svc)}
	p, err := rd.eprPath(e)
	if err != nil {
		return "", faultSelectors("InvalidValue", "the association filter's object: "+cim.AsError(err).Description)
	}
	p.Namespace, p.Server = "", ""
	if refs {
		q.WriteString("REFERENCES OF {")
	} else {
		q.WriteString("ASSOCIATORS OF {")
	}
	q.WriteString(p.String())
	q.WriteString("}")
	var where []string
	var bad *fault
	add := func(key, elem string) {
		v := strings.TrimSpace(kind.child(nsWSMB, elem).text())
		switch {
		case v == "":
		case validClassName(v):
			where = append(where, key+" = "+v)
		case bad == nil:
			// Not dropped: that would widen the results.
			bad = &fault{code: "s:Sender", subcode: "wsen:CannotProcessFilter", action: actFaultEnum,
				reason: fmt.Sprintf("the association filter's wsmb:%s %q is not a class or property name", elem, v), status: cim.WBEM_E_INVALID_QUERY}
		}
	}
	if refs {
		add("ResultClass", "ResultClassName")
		add("Role", "Role")
	} else {
		add("AssocClass", "AssociationClassName")
		add("ResultClass", "ResultClassName")
		add("Role", "Role")
		add("ResultRole", "ResultRole")
	}
	if bad != nil {
		return "", bad
	}
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " "))
	}
	return q.String(), nil
}

func faultShuttingDown() *fault {
	return &fault{code: "s:Receiver", subcode: "wsa:EndpointUnavailable", action: actFaultAddressing,
		reason: "the service is shutting down", status: cim.WBEM_E_SHUTTING_DOWN}
}

// acquire finds the context a Pull names and marks it busy. Expiry (after
// IdleTimeout without a Pull), Release and Server.Close go through the
// table, which calls enumCtx.close.
func (s *Server) acquire(body *node, user string) (*enumCtx, *fault) {
	id := body.child(nsWSEN, "EnumerationContext").text()
	if id == "" {
		return nil, faultSchema("the request names no wsen:EnumerationContext")
	}
	entry, err := s.ctxs.Acquire(s, id, user)
	switch err {
	case nil:
		return entry.Value.(*enumCtx), nil
	case enumctx.ErrBusy:
		return nil, &fault{code: "s:Sender", subcode: "wsman:Concurrency", action: actFaultWSMan,
			reason: "another Pull on enumeration context " + id + " is in progress", status: cim.WBEM_E_INVALID_OPERATION}
	default:
		// Another user's context is reported exactly as an unknown one.
		return nil, faultContext("enumeration context " + strconv.Quote(id) + " is unknown, finished, released or expired")
	}
}

// done ends a Pull: the context goes on, or is removed and closed.
func (s *Server) done(ec *enumCtx, finished bool) { s.ctxs.Release(ec.entry, finished) }

func (s *Server) pull(ctx context.Context, w http.ResponseWriter, req *request, user string) *fault {
	body := req.Body
	if body == nil || body.Local != "Pull" || body.Space != nsWSEN {
		return faultSchema("the body of Pull must be a wsen:Pull element")
	}
	maxEl, f := parseCount(body.child(nsWSEN, "MaxElements"), "MaxElements", DefaultMaxElements)
	if f != nil {
		return f
	}
	maxChars, f := parseCount(body.child(nsWSEN, "MaxCharacters"), "MaxCharacters", 0)
	if f != nil {
		return f
	}
	wait := req.OperationTimeout
	if mt := body.child(nsWSEN, "MaxTime"); mt != nil {
		d, err := parseDuration(mt.text())
		if err != nil || d <= 0 {
			return &fault{code: "s:Sender", subcode: "wsman:InvalidParameter", action: actFaultWSMan,
				reason: fmt.Sprintf("line %d: MaxTime %q is not a positive xs:duration", mt.Line, mt.text()), status: statusInvalidParameter}
		}
		wait = d
	}
	if wait <= 0 {
		wait = s.opts.OperationTimeout
	}
	ec, f := s.acquire(body, user)
	if f != nil {
		return f
	}
	size := 4096
	if ec.sub == nil { // events are written by pullEvents, in buffers of their own
		size += ec.expect(maxEl, s.envelopeLimit(req))
	}
	rw := s.newRespWriter(w, size)
	defer rw.close()
	buf := rw.buf
	startEnvelope(buf, req, actPull+"Response", ec.primary)
	buf.WriteString("<wsen:PullResponse>")
	ctxAt := buf.Len()
	buf.WriteString("<wsen:EnumerationContext>" + ec.id + "</wsen:EnumerationContext>")
	itemsAt := buf.Len()
	buf.WriteString("<wsen:Items>")
	overhead := buf.Len() + len("</wsen:Items><wsen:EndOfSequence/></wsen:PullResponse>") + len(envelopeEnd)
	if req.CountEstimate {
		overhead += countSlack
	}
	limit := s.envelopeLimit(req) - overhead
	if maxChars > 0 && maxChars < limit {
		limit = maxChars
	}
	if ec.sub != nil {
		return s.pullEvents(ctx, w, req, ec, maxEl, wait, limit)
	}
	ec.e.SetQueueSize(ec.queueSize(maxEl, limit))
	// A response that goes out in chunks has sent the context's element
	// with its first chunk: the end, if it comes, is told by the next Pull.
	n, eos, f := ec.fill(ctx, rw, maxEl, wait, buf.Len()+limit)
	ec.sent += int64(n)
	if rw.streamed {
		// The client has the items, or went away (a fault cannot follow
		// them).
		s.done(ec, f != nil)
		if f == nil {
			buf.WriteString("</wsen:Items></wsen:PullResponse>" + envelopeEnd)
			rw.finish()
		}
		return nil
	}
	if f != nil {
		// A timeout or an object too big leaves the context as it was; a
		// failure ends it.
		s.done(ec, eos)
		return f
	}
	total, counted := int64(0), false
	if req.CountEstimate {
		total, counted = ec.total(eos) // before done: then another Pull may use ec
	}
	s.done(ec, eos)
	if n > 0 {
		buf.WriteString("</wsen:Items>")
	} else {
		buf.Truncate(itemsAt)
	}
	if eos {
		cutContext(buf, ctxAt, itemsAt)
		buf.WriteString("<wsen:EndOfSequence/>")
	}
	buf.WriteString("</wsen:PullResponse>" + envelopeEnd)
	if counted {
		setCountEstimate(buf, total) // last: it moves what follows it
	}
	rw.finish()
	return nil
}

func (s *Server) release(w http.ResponseWriter, req *request, user string) *fault {
	body := req.Body
	if body == nil || body.Local != "Release" || body.Space != nsWSEN {
		return faultSchema("the body of Release must be a wsen:Release element")
	}
	id := body.child(nsWSEN, "EnumerationContext").text()
	// Release works also while a Pull waits: closing the enumerator ends
	// that wait.
	if s.ctxs.Remove(s, id, user) != nil {
		return faultContext("enumeration context " + strconv.Quote(id) + " is unknown, finished, released or expired")
	}
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, actRelease+"Response", "")
	buf.WriteString(envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// renewEnumeration answers WS-Enumeration's Renew and GetStatus: when the context
// expires if no request uses it, after Renew restarted its idle clock. A
// requested wsen:Expires is not taken (the idle timeout is the server's):
// the response tells the expiry there is.
func (s *Server) renewEnumeration(w http.ResponseWriter, req *request, user string, renew bool) *fault {
	name := "GetStatus"
	if renew {
		name = "Renew"
	}
	body := req.Body
	if body == nil || body.Local != name || body.Space != nsWSEN {
		return faultSchema("the body of " + name + " must be a wsen:" + name + " element")
	}
	id := body.child(nsWSEN, "EnumerationContext").text()
	var expires time.Time
	var err error
	if renew {
		expires, err = s.ctxs.Renew(s, id, user)
	} else {
		expires, err = s.ctxs.Expires(s, id, user)
	}
	if err != nil {
		if renew {
			return &fault{code: "s:Receiver", subcode: "wsen:UnableToRenew", action: actFaultEnum,
				reason: "enumeration context " + strconv.Quote(id) + " is unknown, finished, released or expired", status: statusInvalidParameter}
		}
		return faultContext("enumeration context " + strconv.Quote(id) + " is unknown, finished, released or expired")
	}
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, req.Action+"Response", "")
	buf.WriteString("<wsen:" + name + "Response><wsen:Expires>" + expires.UTC().Format("2006-01-02T15:04:05.000Z") + "</wsen:Expires></wsen:" + name + "Response>" + envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}
