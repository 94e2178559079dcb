package wsman

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// enumerate runs an optimized Enumerate and then Pulls, one at a time,
// writing each object to w; w blocks while the consumer's queue is full,
// which bounds how far the client pulls ahead. When ctx is done, or the
// consumer has gone, the context is released.
func (c *Client) enumerate(ctx context.Context, w wbem.ResultWriter, ns string, m *msg, filter func(*bytes.Buffer)) error {
	maxEl := strconv.Itoa(c.opts.MaxElements)
	m.action = actEnumerate
	m.body = func(b *bytes.Buffer) {
		b.WriteString("<wsen:Enumerate>")
		if m.mode != "" {
			b.WriteString("<wsman:EnumerationMode>" + m.mode + "</wsman:EnumerationMode>")
		}
		b.WriteString("<wsman:OptimizeEnumeration/><wsman:MaxElements>" + maxEl + "</wsman:MaxElements>")
		if filter != nil {
			filter(b)
		}
		b.WriteString("</wsen:Enumerate>")
	}
	m.timeout = c.opts.PullWait
	m.items = c.opts.MaxElements
	body, err := c.roundTrip(ctx, m)
	if err != nil {
		return err
	}
	resp := first(body)
	id := resp.child(nsWSEN, "EnumerationContext").text()
	eos := endOfSequence(resp)
	items := resp.child(nsWSMAN, "Items")
	if items == nil {
		items = resp.child(nsWSEN, "Items")
	}
	if err := c.deliver(ctx, ns, m, items, w); err != nil {
		c.release(ctx, m, id, eos)
		return err
	}
	return c.pulls(ctx, w, ns, m, id, eos, func(id string, eos bool) { c.release(ctx, m, id, eos) })
}

// pulls Pulls from enumeration context id (of m's resource and namespace
// selector) until the end of the sequence,
// one Pull at a time, writing the objects to w. When ctx is done or the
// consumer has gone it calls end with the latest context (release it, or
// unsubscribe); a failure the server reports is returned as it is.
func (c *Client) pulls(ctx context.Context, w wbem.ResultWriter, ns string, m *msg, id string, eos bool, end func(id string, eos bool)) error {
	maxEl := strconv.Itoa(c.opts.MaxElements)
	wait := formatDuration(c.opts.PullWait)
	pullMsg := func(id string) *msg {
		return &msg{action: actPull, uri: m.uri, nsSel: m.nsSel, items: c.opts.MaxElements, body: func(b *bytes.Buffer) {
			b.WriteString("<wsen:Pull><wsen:EnumerationContext>")
			escapeText(b, id)
			b.WriteString("</wsen:EnumerationContext><wsen:MaxTime>" + wait + "</wsen:MaxTime><wsen:MaxElements>" + maxEl + "</wsen:MaxElements></wsen:Pull>")
		}}
	}
	type result struct {
		body *node
		err  error
	}
	// The next Pull goes out as soon as a response is parsed, and runs
	// while that response's objects are decoded and delivered: the server
	// prepares batch k+1 while the client reads batch k. There is never more
	// than one Pull in flight.
	var inflight chan result
	start := func(id string) {
		ch := make(chan result, 1)
		inflight = ch
		go func() {
			body, err := c.roundTrip(ctx, pullMsg(id))
			ch <- result{body, err}
		}()
	}
	// abandon waits for the Pull in flight and ends the context.
	abandon := func() {
		if inflight != nil {
			r := <-inflight
			inflight = nil
			if r.err == nil {
				resp := first(r.body)
				if next := resp.child(nsWSEN, "EnumerationContext").text(); next != "" {
					id = next
				}
				eos = endOfSequence(resp)
			}
		}
		end(id, eos)
	}
	if !eos {
		if id == "" {
			return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the server sent neither an enumeration context nor the end of the sequence")
		}
		start(id)
	}
	for !eos {
		r := <-inflight
		inflight = nil
		if r.err != nil {
			if st := cim.StatusOf(r.err); (st == cim.WBEM_S_TIMEDOUT || st == cim.WBEM_E_TIMED_OUT) && ctx.Err() == nil {
				start(id) // nothing came in MaxTime; the context is still valid
				continue
			}
			if ctx.Err() != nil {
				end(id, false)
				return ctx.Err()
			}
			return r.err
		}
		resp := first(r.body)
		if next := resp.child(nsWSEN, "EnumerationContext").text(); next != "" {
			id = next
		}
		eos = endOfSequence(resp)
		if !eos {
			if resp.child(nsWSEN, "EnumerationContext") == nil {
				return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the server sent neither an enumeration context nor the end of the sequence")
			}
			start(id)
		}
		if err := c.deliver(ctx, ns, m, resp.child(nsWSEN, "Items"), w); err != nil {
			abandon()
			return err
		}
	}
	return nil
}

// endOfSequence reports whether an EnumerateResponse or PullResponse ends
// the enumeration: EndOfSequence in either namespace (DSP0226 puts it in
// wsman's in an optimized EnumerateResponse). OMI still repeats the
// enumeration context beside it; the client neither pulls nor releases
// after it.
func endOfSequence(resp *node) bool {
	return resp.child(nsWSMAN, "EndOfSequence") != nil || resp.child(nsWSEN, "EndOfSequence") != nil
}

// deliver writes the objects of an Items element of the enumeration m
// started: objects, references (an instance of its keys each, see
// pathInstance) or both.
func (c *Client) deliver(ctx context.Context, ns string, m *msg, items *node, w wbem.ResultWriter) error {
	if items == nil {
		return nil
	}
	or := c.objReader(ctx, ns)
	or.system = m.system
	for i, k := range items.Kids {
		obj, err := or.item(k, m.mode == modeNameEPR)
		if err != nil {
			return err
		}
		items.Kids[i] = nil // let the tree go as it is delivered
		if err := w.Write(obj); err != nil {
			return err
		}
	}
	return nil
}

// release sends Release for an enumeration that is being abandoned, with a
// context of its own: the caller's may be done.
func (c *Client) release(ctx context.Context, m *msg, id string, eos bool) {
	if id == "" || eos {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.roundTrip(rctx, &msg{action: actRelease, uri: m.uri, nsSel: m.nsSel, body: func(b *bytes.Buffer) {
		b.WriteString("<wsen:Release><wsen:EnumerationContext>")
		escapeText(b, id)
		b.WriteString("</wsen:EnumerationContext></wsen:Release>")
	}})
}

func (c *Client) execMethod(ctx context.Context, op *wbem.Op, ns string, w wbem.ResultWriter) error {
	p, err := c.target(ctx, op)
	if err != nil {
		return err
	}
	uri := resourceURI(ns, p.Class)
	var keys []cim.KeyBinding
	if !p.IsClass() {
		keys = p.Keys
	}
	iw := newInstWriter(uriMapper{base: resourceURI(ns, ""), ns: ns}, uri)
	method := op.Method
	body, err := c.roundTrip(ctx, &msg{action: uri + "/" + method, uri: uri, keys: keys, nsSel: ns, primary: uri, body: func(b *bytes.Buffer) {
		b.WriteString("<p:" + method + "_INPUT>")
		if in := op.In; in != nil {
			ic := in.Class()
			for i := range ic.Properties {
				// A NULL in-parameter is left out: the method sees it unset.
				if v := in.At(i); !v.IsNull() {
					iw.writeProperty(b, "p:"+ic.Properties[i].Name, v)
				}
			}
		}
		b.WriteString("</p:" + method + "_INPUT>")
	}})
	if err != nil {
		return err
	}
	outNode := first(body)
	if outNode == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the server sent no %s_OUTPUT", method)
	}
	// The out-parameters are typed by the method's declaration, or by
	// themselves when the server gives no class definitions.
	cl, err := c.class(ctx, ns, p.Class, false)
	if err != nil {
		if !canDoWithout(err) {
			return err
		}
		out, err := c.objReader(ctx, ns).readAdhoc(outNode)
		if err != nil {
			return err
		}
		return w.Write(out)
	}
	m, ok := cl.Method(method)
	if !ok {
		if cl, err = c.class(ctx, ns, p.Class, true); err != nil {
			return err
		}
		if m, ok = cl.Method(method); !ok {
			return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: method, Description: "class " + cl.Name + " has no method " + method}
		}
	}
	_, oc := m.ParameterClasses()
	out, err := c.decoder(ctx, ns).readInstance(outNode, oc)
	if err != nil {
		return err
	}
	return w.Write(out)
}
