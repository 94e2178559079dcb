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
	write := func(n *node) error {
		obj, err := or.item(n)
		if err != nil {
			return err
		}
		// DSP0200 has no shallow enumeration: DeepInheritance=FALSE still
		// returns the subclasses' instances (with the class's properties
		// only), which WMI's WBEM_FLAG_SHALLOW leaves out.
		if !deep && !cim.EqualFold(obj.ClassName(), op.Path) {
			return nil
		}
		return w.Write(obj)
	}
	if c.usePull() {
		err := c.pullEnum(ctx, ns, "OpenEnumerateInstances", "PullInstancesWithPath", func(b *bytes.Buffer) {
			iparamClassName(b, "ClassName", op.Path)
			iparamBool(b, "DeepInheritance", deep)
		}, write)
		if err != errNoPull {
			return err
		}
	}
	_, err := c.call(ctx, &rpc{method: "EnumerateInstances", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
		iparamClassName(b, "ClassName", op.Path)
		iparamBool(b, "DeepInheritance", deep)
		iparamBool(b, "LocalOnly", false)
		iparamBool(b, "IncludeQualifiers", false)
		iparamBool(b, "IncludeClassOrigin", false)
	}}, write)
	return err
}

func (c *Client) execQuery(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	or := c.objReader(ctx, ns)
	or.expectProjected = true
	or.system = selectedSystem(op.Language, op.Query)
	write := func(n *node) error {
		obj, err := or.item(n)
		if err != nil {
			return err
		}
		return w.Write(obj)
	}
	if c.usePull() && !isSchemaQuery(op.Language, op.Query) {
		err := c.pullEnum(ctx, ns, "OpenQueryInstances", "PullInstances", func(b *bytes.Buffer) {
			iparamString(b, "FilterQueryLanguage", op.Language)
			iparamString(b, "FilterQuery", op.Query)
		}, write)
		if err != errNoPull {
			return err
		}
	}
	_, err := c.call(ctx, &rpc{method: "ExecQuery", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
		iparamString(b, "QueryLanguage", op.Language)
		iparamString(b, "Query", op.Query)
	}}, write)
	return err
}

// batch is one response of a pull enumeration.
type batch struct {
	items []*node
	id    string
	eos   bool
	err   error
}

// pullCall sends an Open or a pull and collects its items.
func (c *Client) pullCall(ctx context.Context, ns, method string, params func(b *bytes.Buffer)) batch {
	var b batch
	res, err := c.call(ctx, &rpc{method: method, ns: ns, intrinsic: true, params: params}, func(n *node) error {
		b.items = append(b.items, n)
		return nil
	})
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
func (c *Client) pullEnum(ctx context.Context, ns, open, pull string, params func(b *bytes.Buffer), write func(*node) error) error {
	maxObj := strconv.Itoa(c.opts.MaxObjectCount)
	b := c.pullCall(ctx, ns, open, func(w *bytes.Buffer) {
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
			ch <- c.pullCall(ctx, ns, pull, func(w *bytes.Buffer) {
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
	items := b.items
	for {
		if !eos {
			start()
		}
		for i, n := range items {
			items[i] = nil // let the tree go as it is delivered
			if err := write(n); err != nil {
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
		id, eos, items = r.id, r.eos, r.items
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
