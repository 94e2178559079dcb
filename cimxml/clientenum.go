package cimxml

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// errNoPull says the server has no pull operations: the caller uses the
// plain intrinsic method.
var errNoPull = errors.New("cimxml: the server has no pull operations")

func (c *Client) usePull() bool { return !c.opts.NoPull && !c.noPull.Load() }

func (c *Client) enumerateInstances(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	deep := op.Flags&wbem.WBEM_FLAG_SHALLOW == 0
	or := c.objReader(ctx, ns)
	write := func(obj cim.Object) error {
		// DSP0200 has no shallow enumeration: DeepInheritance=FALSE still
		// returns the subclasses' instances (with the class's properties
		// only), which WMI's WBEM_FLAG_SHALLOW leaves out.
		if !deep && !cim.EqualFold(obj.ClassName(), op.Path) {
			return nil
		}
		return w.Write(obj)
	}
	if c.usePull() {
		err := c.pullEnum(ctx, ns, or, "OpenEnumerateInstances", "PullInstancesWithPath", func(b *bytes.Buffer) {
			iparamClassName(b, "ClassName", op.Path)
			iparamBool(b, "DeepInheritance", deep)
		}, write)
		if err != errNoPull {
			return err
		}
	}
	_, err := c.call(ctx, &rpc{method: "EnumerateInstances", ns: ns, intrinsic: true, fast: or.fastWriter(write), params: func(b *bytes.Buffer) {
		iparamClassName(b, "ClassName", op.Path)
		iparamBool(b, "DeepInheritance", deep)
		iparamBool(b, "LocalOnly", false)
		iparamBool(b, "IncludeQualifiers", false)
		iparamBool(b, "IncludeClassOrigin", false)
	}}, or.itemWriter(write))
	return err
}

func (c *Client) execQuery(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	or := c.objReader(ctx, ns)
	or.expectProjected = true
	or.system = selectedSystem(op.Language, op.Query)
	if c.usePull() && !isSchemaQuery(op.Language, op.Query) {
		err := c.pullEnum(ctx, ns, or, "OpenQueryInstances", "PullInstances", func(b *bytes.Buffer) {
			iparamString(b, "FilterQueryLanguage", op.Language)
			iparamString(b, "FilterQuery", op.Query)
		}, w.Write)
		if err != errNoPull {
			return err
		}
	}
	_, err := c.call(ctx, &rpc{method: "ExecQuery", ns: ns, intrinsic: true, fast: or.fastWriter(w.Write), params: func(b *bytes.Buffer) {
		iparamString(b, "QueryLanguage", op.Language)
		iparamString(b, "Query", op.Query)
	}}, or.itemWriter(w.Write))
	return err
}

// itemWriter reads each item the fast path left and hands it to write.
func (o *objReader) itemWriter(write func(cim.Object) error) func(*item) error {
	return func(it *item) error {
		obj, err := o.read(it)
		if err != nil {
			return err
		}
		return write(obj)
	}
}

// batch is one response of a pull enumeration, its objects read.
type batch struct {
	objs []cim.Object
	id   string
	eos  bool
	err  error
}

// pullCall sends an Open or a pull and reads its objects as the response
// comes (in the goroutine of the pull in flight, while the caller delivers
// the objects of the last one).
func (c *Client) pullCall(ctx context.Context, ns string, or *objReader, method string, params func(b *bytes.Buffer)) batch {
	var b batch
	keep := func(obj cim.Object) error {
		b.objs = append(b.objs, obj)
		return nil
	}
	res, err := c.call(ctx, &rpc{method: method, ns: ns, intrinsic: true, params: params, fast: or.fastWriter(keep)}, or.itemWriter(keep))
	if err != nil {
		b.err = err
		return b
	}
	eos := res.param("EndOfSequence").child("VALUE")
	if eos == nil {
		b.err = &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "the server's " + method + " response has no EndOfSequence"}
		return b
	}
	b.eos = strings.EqualFold(strings.TrimSpace(eos.Text), "TRUE")
	if v := res.param("EnumerationContext").child("VALUE"); v != nil {
		b.id = v.Text
	}
	if !b.eos && b.id == "" {
		b.err = &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "the server sent neither an enumeration context nor the end of the sequence"}
	}
	return b
}

// pullEnum runs an Open operation and its pulls, one pull in flight while
// the objects of the last response are written to w (which blocks while
// the consumer is behind, so the client reads at most one response ahead).
// When w fails (the consumer has gone) or ctx ends, the enumeration is
// closed. It returns errNoPull when the server has no pull operations.
func (c *Client) pullEnum(ctx context.Context, ns string, or *objReader, open, pull string, params func(b *bytes.Buffer), write func(cim.Object) error) error {
	maxObj := strconv.Itoa(c.opts.MaxObjectCount)
	b := c.pullCall(ctx, ns, or, open, func(w *bytes.Buffer) {
		params(w)
		if c.opts.OperationTimeout > 0 {
			iparamString(w, "OperationTimeout", strconv.Itoa(int(max(c.opts.OperationTimeout/time.Second, 1))))
		}
		iparamString(w, "MaxObjectCount", maxObj)
	})
	if b.err != nil {
		if !c.ext.Load() && ctx.Err() == nil {
			if st := cim.StatusOf(b.err); st == cim.WBEM_E_NOT_SUPPORTED {
				c.noPull.Store(true)
				return errNoPull
			}
		}
		return b.err
	}
	id, eos := b.id, b.eos
	var inflight chan batch
	start := func() {
		ch := make(chan batch, 1)
		inflight = ch
		cur := id
		go func() {
			ch <- c.pullCall(ctx, ns, or, pull, func(w *bytes.Buffer) {
				iparamString(w, "EnumerationContext", cur)
				iparamString(w, "MaxObjectCount", maxObj)
			})
		}()
	}
	// abandon waits for the pull in flight and closes the enumeration.
	abandon := func() {
		if inflight != nil {
			r := <-inflight
			inflight = nil
			if r.err == nil {
				id, eos = r.id, r.eos
			}
		}
		c.closeEnumeration(ctx, ns, id, eos)
	}
	objs := b.objs
	for {
		if !eos {
			start()
		}
		for i, obj := range objs {
			objs[i] = nil // let it go once delivered
			if err := write(obj); err != nil {
				abandon()
				return err
			}
		}
		if eos {
			return nil
		}
		r := <-inflight
		inflight = nil
		if r.err != nil {
			if ctx.Err() != nil {
				c.closeEnumeration(ctx, ns, id, false)
				return ctx.Err()
			}
			return r.err
		}
		id, eos, objs = r.id, r.eos, r.objs
	}
}

// closeEnumeration sends CloseEnumeration for an enumeration that is
// being abandoned, with a context of its own: the caller's may be done.
func (c *Client) closeEnumeration(ctx context.Context, ns, id string, eos bool) {
	if id == "" || eos {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.call(cctx, &rpc{method: "CloseEnumeration", ns: ns, intrinsic: true, params: func(w *bytes.Buffer) {
		iparamString(w, "EnumerationContext", id)
	}}, nil)
}
