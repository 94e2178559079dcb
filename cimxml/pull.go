package cimxml

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// codedError is a WBEM failure whose CIM status code is finer than the
// one its WBEM status maps to: the pull operations' own codes (21–26).
type codedError struct {
	code cim.CIMStatus
	err  *cim.Error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func coded(code cim.CIMStatus, status cim.Status, format string, args ...any) error {
	return &codedError{code: code, err: &cim.Error{Status: status, Description: fmt.Sprintf(format, args...)}}
}

// itemKind is what a pull enumeration's responses hold.
type itemKind int

const (
	itemInstanceWithPath itemKind = iota // VALUE.INSTANCEWITHPATH
	itemPath                             // INSTANCEPATH
	itemInstance                         // INSTANCE (OpenQueryInstances)
)

// pullMethod is the pull operation that continues each kind.
var pullMethod = [...]string{itemInstanceWithPath: "PullInstancesWithPath", itemPath: "PullInstancePaths", itemInstance: "PullInstances"}

// pullCtx is one pull enumeration: a semisynchronous forward-only
// enumerator of the object manager, run under the server's context, and
// what its pulls need to go on.
type pullCtx struct {
	e      *wbem.Enumerator
	cancel context.CancelFunc
	kind   itemKind
	opts   instOpts
	// buf is the context's part of the table's budget: its queue holds
	// what the client's next request takes, as far as the budget allows
	// (queueSize).
	buf *enumctx.Buffer
	// wroteBytes and wroteItems measure the objects written so far, to
	// size the queue in objects.
	wroteBytes, wroteItems int64

	pending cim.Object // read while looking for the end after a full batch
	ended   bool
	err     error // a failure to report once the objects before it are out
	scratch []cim.Object

	closed atomic.Bool
	once   sync.Once
}

func (pc *pullCtx) close() {
	pc.once.Do(func() {
		pc.closed.Store(true)
		if pc.e != nil {
			pc.e.Close()
		}
		pc.cancel()
		pc.buf.Free()
	})
}

// itemEstimate is the size of an object guessed before any was written.
const itemEstimate = 512

// queueSize returns how many objects the context's enumeration may queue
// ahead of its client: what a request of count objects takes (at least one),
// as far as its part of the table's budget (enumctx.Buffer) holds them,
// the objects' size estimated from those written so far. The queue is then
// sized for the next request rather than a fixed wbem.DefaultQueueSize, as
// WS-Management's contexts are.
func (pc *pullCtx) queueSize(count int) int {
	item := int64(itemEstimate)
	if pc.wroteItems > 0 {
		item = max(pc.wroteBytes/pc.wroteItems, 1)
	}
	want := int64(min(max(count, 1), MaxObjectCount)) * item
	return int(max(pc.buf.Grant(want)/item, 1))
}

var errClientGone = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the client went away during the pull; its enumeration was closed"}

// fill writes up to max objects, waiting up to wait for the batch to fill;
// it reports how many it wrote and whether the enumeration is over. A
// failure after some objects is kept for the next pull; one before any
// ends the enumeration. When ctx (the request's) ends, the client has gone.
func (pc *pullCtx) fill(ctx context.Context, max int, wait time.Duration, write func(cim.Object) error) (n int, eos bool, err error) {
	if max > 0 && pc.pending != nil {
		obj := pc.pending
		pc.pending = nil
		if err := write(obj); err != nil {
			return 0, true, errClientGone
		}
		n++
	}
	if pc.pending != nil {
		return n, false, nil // MaxObjectCount 0
	}
	if pc.ended {
		return n, true, nil
	}
	if pc.err != nil {
		if n > 0 {
			return n, false, nil
		}
		return 0, true, pc.err
	}
	deadline := time.Now().Add(wait)
	for n < max {
		timeout := time.Until(deadline)
		if timeout < 0 {
			timeout = wbem.NoWait
		}
		need := min(max-n, 4096)
		if cap(pc.scratch) < need {
			pc.scratch = make([]cim.Object, need)
		}
		buf := pc.scratch[:need]
		k, err := pc.e.NextContext(ctx, timeout, buf)
		if ctx.Err() != nil {
			clear(buf[:k])
			return n, true, errClientGone
		}
		for i := 0; i < k; i++ {
			obj := buf[i]
			buf[i] = nil
			if werr := write(obj); werr != nil {
				clear(buf[i:k])
				if pc.closed.Load() {
					return n, true, nil
				}
				return n, true, werr
			}
			n++
		}
		switch {
		case err == nil:
		case err == io.EOF:
			pc.ended = true
			return n, true, nil
		case err == wbem.ErrTimedOut:
			return n, false, nil
		default:
			if pc.closed.Load() {
				return n, true, nil
			}
			if n > 0 {
				pc.err = err
				return n, false, nil
			}
			return 0, true, err
		}
	}
	// The batch is full: tell the end along with it when it has come.
	var one [1]cim.Object
	k, err := pc.e.Next(wbem.NoWait, one[:])
	if k == 1 {
		pc.pending = one[0]
	}
	switch {
	case err == io.EOF:
		pc.ended = true
		return n, pc.pending == nil, nil
	case err != nil && err != wbem.ErrTimedOut:
		pc.err = err
	}
	return n, false, nil
}

// writeItem writes one object as the context's kind says, and measures it.
func (c *call) writeItem(pc *pullCtx, obj cim.Object) error {
	inst, ok := instanceOf(obj)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED,
			Description: "the pull operations return instances; use ExecQuery for a query that yields classes"}
	}
	w := c.resp.buf
	kind, opts := pc.kind, pc.opts
	before := w.Len()
	switch kind {
	case itemInstanceWithPath:
		w.WriteString("<VALUE.INSTANCEWITHPATH>")
		c.enc.instancePath(w, obj.ObjectPath())
		c.enc.instance(w, inst, opts)
		w.WriteString("</VALUE.INSTANCEWITHPATH>")
	case itemPath:
		c.enc.instancePath(w, obj.ObjectPath())
	case itemInstance:
		c.enc.instance(w, inst, opts)
	}
	pc.wroteItems++
	pc.wroteBytes += int64(w.Len() - before)
	if err := c.resp.maybeFlush(false); err != nil {
		return errClientGone
	}
	return nil
}

// sessionParams reads the parameters every Open operation takes: the idle
// timeout, MaxObjectCount, and the options gowbem does not support.
func (c *call) sessionParams(ps *params, method string) (timeout time.Duration, max int, err error) {
	t, err := ps.uint32p("OperationTimeout")
	if err != nil {
		return 0, 0, err
	}
	timeout = c.s.opts.OperationTimeout
	if t != nil {
		timeout = time.Duration(*t) * time.Second
		if *t == 0 || timeout > MaxOperationTimeout {
			return 0, 0, coded(cim.CIM_ERR_INVALID_OPERATION_TIMEOUT, cim.WBEM_E_INVALID_PARAMETER,
				"OperationTimeout %d s: an enumeration idles at most %v (0, no timeout, is not supported)", *t, MaxOperationTimeout)
		}
	}
	if coe, err := ps.boolean("ContinueOnError", false); err != nil {
		return 0, 0, err
	} else if coe {
		return 0, 0, coded(cim.CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED, cim.WBEM_E_NOT_SUPPORTED,
			"ContinueOnError is not supported: an enumeration ends at its first failure")
	}
	m, err := ps.uint32p("MaxObjectCount")
	if err != nil {
		return 0, 0, err
	}
	if m != nil {
		max = int(min(*m, MaxObjectCount))
	}
	return timeout, max, nil
}

// filterQuery reads the FilterQueryLanguage and FilterQuery of an Open
// operation other than OpenQueryInstances ("" without a filter). A filter
// is a WQL condition, as a WHERE clause holds, on the instances of the
// enumerated class: that is what maps onto the object manager's queries.
// Another language (DMTF:FQL included) is
// CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED; a filter on the association
// operations, whose results are of many classes, is
// CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED.
func filterQuery(ps *params, method string) (string, error) {
	lang, _, err := ps.str("FilterQueryLanguage")
	if err != nil {
		return "", err
	}
	q, _, err := ps.str("FilterQuery")
	if err != nil {
		return "", err
	}
	lang, q = strings.TrimSpace(lang), strings.TrimSpace(q)
	switch {
	case lang == "" && q == "":
		return "", nil
	case lang == "" || q == "":
		return "", &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "FilterQuery",
			Description: method + ": FilterQuery and FilterQueryLanguage go together"}
	case !strings.EqualFold(lang, "WQL"):
		return "", coded(cim.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED, cim.WBEM_E_INVALID_QUERY_TYPE,
			"filter query language %q is not supported: use WQL, with a condition as a WHERE clause holds", lang)
	case method != "OpenEnumerateInstances" && method != "OpenEnumerateInstancePaths":
		return "", coded(cim.CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED, cim.WBEM_E_NOT_SUPPORTED,
			"%s takes no filter: its results are of many classes; filter OpenEnumerateInstances, or use OpenQueryInstances", method)
	}
	return q, nil
}

// filteredQuery returns the WQL query of an enumeration of class filtered
// by cond, refusing a condition that makes it something else.
func filteredQuery(class, cond string) (string, error) {
	text := "SELECT * FROM " + class + " WHERE " + cond
	q, err := wql.Parse(text)
	if err != nil {
		e := *cim.AsError(err)
		e.Parameter = "FilterQuery"
		e.Description = "FilterQuery " + strconv.Quote(cond) + " is not a WQL condition on " + class + ": " + e.Description
		return "", &e
	}
	sq, ok := q.(*wql.SelectQuery)
	if !ok || sq.IsEvent() || !strings.EqualFold(sq.Class, class) || sq.Where == nil {
		return "", &cim.Error{Status: cim.WBEM_E_INVALID_QUERY, Parameter: "FilterQuery",
			Description: "FilterQuery " + strconv.Quote(cond) + " is not a WQL condition on " + class}
	}
	return text, nil
}

// open serves the Open operations.
func (c *call) open(ps *params, method string) error {
	timeout, max, err := c.sessionParams(ps, method)
	if err != nil {
		return err
	}
	var filter string
	if method != "OpenQueryInstances" {
		if filter, err = filterQuery(ps, method); err != nil {
			return err
		}
	}
	kind := itemInstanceWithPath
	var opts instOpts
	var start func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error)
	switch method {
	case "OpenEnumerateInstances", "OpenEnumerateInstancePaths":
		name, err := ps.className("ClassName", true)
		if err != nil {
			return err
		}
		query := ""
		if filter != "" {
			if query, err = filteredQuery(name, filter); err != nil {
				return err
			}
		}
		if method == "OpenEnumerateInstancePaths" {
			kind = itemPath
		} else {
			deep, err := ps.boolean("DeepInheritance", true)
			if err != nil {
				return err
			}
			var shallowOf *cim.Class
			if !deep {
				if shallowOf, err = c.lookupClass(name); err != nil {
					return err
				}
			}
			if opts, err = c.instanceOpts(ps, shallowOf); err != nil {
				return err
			}
		}
		start = func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
			if query != "" {
				return svc.ExecQuery(ctx, "WQL", query, semisync)
			}
			return svc.CreateInstanceEnum(ctx, name, semisync)
		}
		if sk := c.subscriptionKind(name); sk != 0 {
			// The caller's subscription objects, as EnumerateInstances
			// lists them.
			objs := c.ownObjects(sk, nil)
			if query != "" {
				if objs, _, err = c.subscriptionQuery("WQL", query); err != nil {
					return err
				}
			}
			start = listStart(name, objs)
		} else if c.s.subs != nil {
			// A superclass's: the caller's objects after the object
			// manager's instances.
			var f *wql.Filter
			if query != "" {
				if f, err = c.compileQuery(query); err != nil {
					return err
				}
			}
			if extra := c.inheritedObjects(name, f); len(extra) > 0 {
				start = func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
					svc = wbem.NewServices(appendBackend{c.s.backend, extra}, svc.Namespace())
					if query != "" {
						return svc.ExecQuery(ctx, "WQL", query, semisync)
					}
					return svc.CreateInstanceEnum(ctx, name, semisync)
				}
			}
		}
	case "OpenReferenceInstances", "OpenReferenceInstancePaths", "OpenAssociatorInstances", "OpenAssociatorInstancePaths":
		obj, err := ps.instanceName(c.dec, "InstanceName")
		if err != nil {
			return err
		}
		q, err := associationQuery(ps, obj, strings.HasPrefix(method, "OpenReference"))
		if err != nil {
			return err
		}
		if strings.HasSuffix(method, "Paths") {
			kind = itemPath
		} else if opts, err = c.instanceOpts(ps, nil); err != nil {
			return err
		}
		start = func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
			return svc.ExecQuery(ctx, "WQL", q, semisync)
		}
		if objs, sub, err := c.subscriptionAssociations(ps, obj, strings.HasPrefix(method, "OpenReference")); sub {
			if err != nil {
				return err
			}
			start = listStart("", objs)
		}
	case "OpenQueryInstances":
		kind = itemInstance
		lang, ok, err := ps.str("FilterQueryLanguage")
		if err != nil {
			return err
		}
		q, ok2, err := ps.str("FilterQuery")
		if err != nil {
			return err
		}
		if !ok || !ok2 {
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "FilterQuery",
				Description: "OpenQueryInstances needs FilterQueryLanguage and FilterQuery"}
		}
		if rc, err := ps.boolean("ReturnQueryResultClass", false); err != nil {
			return err
		} else if rc {
			return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: "ReturnQueryResultClass",
				Description: "ReturnQueryResultClass is not supported: each instance comes as an instance of its (projected) class"}
		}
		start = func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
			return svc.ExecQuery(ctx, strings.TrimSpace(lang), q, semisync)
		}
		if objs, ok, err := c.subscriptionQuery(lang, q); ok {
			if err != nil {
				return err
			}
			start = listStart("", objs)
		} else if extra, err := c.inheritedQuery(lang, q); err != nil {
			return err
		} else if len(extra) > 0 {
			start = func(ctx context.Context, svc *wbem.Services) (*wbem.Enumerator, error) {
				svc = wbem.NewServices(appendBackend{c.s.backend, extra}, svc.Namespace())
				return svc.ExecQuery(ctx, strings.TrimSpace(lang), q, semisync)
			}
		}
	}

	res, err := c.s.ctxs.Reserve(c.s, c.user)
	switch {
	case errors.Is(err, enumctx.ErrQuota):
		return &cim.Error{Status: cim.WBEM_E_QUOTA_VIOLATION, Description: fmt.Sprintf(
			"user %q has %d open enumerations, the most allowed; close or finish one", c.user, c.s.opts.MaxContextsPerUser)}
	case err != nil:
		return &cim.Error{Status: cim.WBEM_E_SHUTTING_DOWN, Description: "the server is shutting down"}
	}
	// The enumeration outlives its request: it runs under the server's
	// context, as the caller who opened it.
	ctx, cancel := context.WithCancel(c.s.base)
	if caller, ok := identity.FromContext(c.ctx); ok {
		ctx = identity.NewContext(ctx, caller)
	}
	pc := &pullCtx{cancel: cancel, kind: kind, opts: opts, buf: c.s.ctxs.NewBuffer()}
	// The enumeration queues what the Open takes (one object for an Open
	// of none), until a pull asks for more.
	svc := wbem.NewServices(c.s.backend, c.req.ns, wbem.WithQueueSize(pc.queueSize(max)))
	e, err := start(ctx, svc)
	if err != nil {
		pc.close()
		res.Cancel()
		return err
	}
	pc.e = e
	c.returnValue()
	n, eos, err := pc.fill(c.ctx, max, c.s.opts.PullWait, func(o cim.Object) error { return c.writeItem(pc, o) })
	if err != nil && (n == 0 || err == errClientGone) {
		pc.close()
		res.Cancel()
		return err
	}
	c.endReturnValue()
	id := ""
	if eos {
		pc.close()
		res.Cancel()
	} else {
		entry, err := res.Open(pc, timeout, pc.close)
		if err != nil {
			pc.close()
			return &cim.Error{Status: cim.WBEM_E_SHUTTING_DOWN, Description: "the server is shutting down"}
		}
		id = entry.ID
	}
	c.pullParams(id, eos)
	return nil
}

// pullParams writes the output parameters of an Open or a pull.
func (c *call) pullParams(id string, eos bool) {
	w := c.resp.buf
	w.WriteString(`<PARAMVALUE NAME="EnumerationContext" PARAMTYPE="string">`)
	if !eos {
		w.WriteString("<VALUE>")
		escapeText(w, id)
		w.WriteString("</VALUE>")
	}
	w.WriteString(`</PARAMVALUE><PARAMVALUE NAME="EndOfSequence" PARAMTYPE="boolean"><VALUE>`)
	if eos {
		w.WriteString("TRUE")
	} else {
		w.WriteString("FALSE")
	}
	w.WriteString("</VALUE></PARAMVALUE>")
}

// contextParam reads EnumerationContext.
func contextParam(ps *params) (string, error) {
	id, ok, err := ps.str("EnumerationContext")
	if err != nil {
		return "", err
	}
	if !ok || strings.TrimSpace(id) == "" {
		return "", coded(cim.CIM_ERR_INVALID_ENUMERATION_CONTEXT, cim.WBEM_E_INVALID_PARAMETER, "%s needs an EnumerationContext", ps.method)
	}
	return strings.TrimSpace(id), nil
}

func unknownContext(id string) error {
	return coded(cim.CIM_ERR_INVALID_ENUMERATION_CONTEXT, cim.WBEM_E_INVALID_PARAMETER,
		"enumeration context %q is unknown, finished, closed or expired", id)
}

func (c *call) pull(ps *params, method string) error {
	id, err := contextParam(ps)
	if err != nil {
		return err
	}
	m, err := ps.uint32p("MaxObjectCount")
	if err != nil {
		return err
	}
	if m == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "MaxObjectCount", Description: method + " needs a MaxObjectCount"}
	}
	max := int(min(*m, MaxObjectCount))
	entry, err := c.s.ctxs.Acquire(c.s, id, c.user)
	switch {
	case errors.Is(err, enumctx.ErrBusy):
		return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Description: "another request on enumeration context " + id + " is in progress"}
	case err != nil:
		// Another user's context is reported exactly as an unknown one.
		return unknownContext(id)
	}
	pc := entry.Value.(*pullCtx)
	if pullMethod[pc.kind] != method {
		c.s.ctxs.Release(entry, false)
		return coded(cim.CIM_ERR_INVALID_ENUMERATION_CONTEXT, cim.WBEM_E_INVALID_PARAMETER,
			"enumeration context %q continues with %s, not %s", id, pullMethod[pc.kind], method)
	}
	pc.e.SetQueueSize(pc.queueSize(max))
	c.returnValue()
	n, eos, err := pc.fill(c.ctx, max, c.s.opts.PullWait, func(o cim.Object) error { return c.writeItem(pc, o) })
	if pc.closed.Load() {
		c.s.ctxs.Release(entry, true)
		return coded(cim.CIM_ERR_PULL_HAS_BEEN_ABANDONED, cim.WBEM_E_CALL_CANCELLED, "the enumeration was closed during the pull")
	}
	if err != nil && (n == 0 || err == errClientGone) {
		c.s.ctxs.Release(entry, true)
		return err
	}
	c.s.ctxs.Release(entry, eos)
	c.endReturnValue()
	c.pullParams(id, eos)
	return nil
}

func (c *call) closeEnumeration(ps *params) error {
	id, err := contextParam(ps)
	if err != nil {
		return err
	}
	if c.s.ctxs.Remove(c.s, id, c.user) != nil {
		return unknownContext(id)
	}
	return nil
}

// enumerationCount answers NULL, which DSP0200 allows when the server
// cannot tell the count: a forward-only enumeration does not know how many
// objects its provider will still produce (WS-Management's
// TotalItemsCountEstimate is nil for the same reason). The context must be
// the caller's own, as for a pull.
func (c *call) enumerationCount(ps *params) error {
	id, err := contextParam(ps)
	if err != nil {
		return err
	}
	entry, err := c.s.ctxs.Acquire(c.s, id, c.user)
	switch {
	case err == nil:
		c.s.ctxs.Release(entry, false)
	case errors.Is(err, enumctx.ErrBusy):
	default:
		return unknownContext(id)
	}
	c.returnValue()
	c.endReturnValue()
	return nil
}
