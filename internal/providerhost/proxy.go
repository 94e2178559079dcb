package providerhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
	"google.golang.org/grpc"
)

// Proxy is a registered out-of-process provider as the object manager sees
// it: it implements package provider's interfaces by calling the provider's
// process, which it starts on the first call. What the registration does not
// declare fails with WBEM_E_PROVIDER_NOT_CAPABLE.
type Proxy struct {
	h   *Host
	reg *Registration

	mu      sync.Mutex
	classes map[*cim.Class]*providerwire.Class // encoded once per class definition
}

// Proxy returns the provider of reg.
func (h *Host) Proxy(reg *Registration) *Proxy {
	return &Proxy{h: h, reg: reg, classes: map[*cim.Class]*providerwire.Class{}}
}

// Registration returns the registration the proxy serves.
func (x *Proxy) Registration() *Registration { return x.reg }

var (
	_ provider.InstanceProvider      = (*Proxy)(nil)
	_ provider.QueryProvider         = (*Proxy)(nil)
	_ provider.InstanceWriter        = (*Proxy)(nil)
	_ provider.MethodProvider        = (*Proxy)(nil)
	_ provider.AssociationProvider   = (*Proxy)(nil)
	_ provider.EventProvider         = (*Proxy)(nil)
	_ provider.InstanceEventProvider = (*Proxy)(nil)
)

// maxCachedClasses bounds a proxy's cache of encoded classes.
const maxCachedClasses = 256

func (x *Proxy) class(c *cim.Class) *providerwire.Class {
	x.mu.Lock()
	defer x.mu.Unlock()
	if m, ok := x.classes[c]; ok {
		return m
	}
	m := providerwire.EncodeClass(c)
	if len(x.classes) >= maxCachedClasses {
		clear(x.classes)
	}
	x.classes[c] = m
	return m
}

// callMsg names the provider, the namespace and the caller of a call.
func (x *Proxy) callMsg(ctx context.Context) *providerwire.Call {
	return &providerwire.Call{Provider: x.reg.Name, Namespace: x.reg.Namespace, Caller: providerwire.EncodeCaller(ctx)}
}

func (x *Proxy) notCapable(what, regClass string) error {
	return x.reg.errorf(cim.WBEM_E_PROVIDER_NOT_CAPABLE, "provider %q is not registered to %s (%s)", x.reg.Name, what, regClass)
}

// timedOut handles a call the provider did not answer in time: a process
// that has said nothing on any call for as long is hung, and is killed (the
// next call starts another); one that is busy with other calls only loses
// this one.
func (x *Proxy) timedOut(p *proc, op string) error {
	timeout := x.reg.timeout()
	if p.silentFor() >= timeout && p.closer != nil {
		p.kill(fmt.Sprintf("timed out: %s took longer than %v, and the application said nothing meanwhile", op, timeout))
		return x.reg.errorf(cim.WBEM_E_PROVIDER_TIMED_OUT, "provider %q did not answer %s within %v; its registration was ended (the application must register again)", x.reg.Name, op, timeout)
	}
	if p.silentFor() >= timeout {
		p.kill(fmt.Sprintf("timed out: %s took longer than %v, and the process said nothing meanwhile", op, timeout))
		return x.reg.errorf(cim.WBEM_E_PROVIDER_TIMED_OUT, "provider %q did not answer %s within %v; its process was killed and will be restarted", x.reg.Name, op, timeout)
	}
	return x.reg.errorf(cim.WBEM_E_PROVIDER_TIMED_OUT, "provider %q did not answer %s within %v", x.reg.Name, op, timeout)
}

// callerEnded returns the caller's error when its ctx has ended, or would
// have by its deadline: under load a context's timer fires late, and gRPC
// may notice the deadline first (it reports the peer's RST_STREAM as
// DeadlineExceeded once the deadline has passed by the clock).
func (x *Proxy) callerEnded(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !x.h.now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// ended says why a call to p failed: the caller's end, the per-call timeout
// (due, zero when not waiting for the provider; whichever side noticed it
// first, our timer, gRPC's deadline or the provider's own), or the
// provider's failure.
func (x *Proxy) ended(ctx context.Context, p *proc, op string, due time.Time, timerFired bool, err error) error {
	if cerr := x.callerEnded(ctx); cerr != nil {
		return cerr
	}
	if timerFired || !due.IsZero() && !x.h.now().Before(due) {
		return x.timedOut(p, op)
	}
	return p.failure(err)
}

// unary runs one request-reply call with the registration's timeout.
func (x *Proxy) unary(ctx context.Context, op string, fn func(ctx context.Context, p *proc) (*providerwire.Error, error)) error {
	p, err := x.h.acquire(ctx, x.reg)
	if err != nil {
		return err
	}
	timeout := x.reg.timeout()
	due := x.h.now().Add(timeout)
	cctx, cancel := context.WithTimeout(ctx, timeout) // the provider's ctx ends then too
	defer cancel()
	werr, err := fn(cctx, p)
	if err != nil {
		p.leave(false)
		return x.ended(ctx, p, op, due, errors.Is(cctx.Err(), context.DeadlineExceeded), err)
	}
	p.heard()
	p.leave(true)
	return providerwire.DecodeError(werr, x.reg.Name)
}

// GetInstance implements provider.InstanceProvider.
func (x *Proxy) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	if !x.reg.Instances {
		return nil, x.notCapable("supply instances", InstanceRegClass)
	}
	var reply *providerwire.InstanceReply
	err := x.unary(ctx, "GetInstance", func(ctx context.Context, p *proc) (*providerwire.Error, error) {
		var err error
		reply, err = p.rpc.GetInstance(ctx, &providerwire.GetInstanceRequest{Call: x.callMsg(ctx), Class: x.class(class), Path: path.RelPath()})
		return reply.GetError(), err
	})
	if err != nil {
		return nil, err
	}
	return x.decode(reply.Instance, class)
}

// decode decodes an instance from the provider; a malformed one is the
// provider's failure.
func (x *Proxy) decode(m *providerwire.Instance, class *cim.Class) (*cim.Instance, error) {
	inst, err := providerwire.DecodeInstance(m, class)
	if err != nil {
		return nil, x.badInstance(err)
	}
	return inst, nil
}

// badInstance is the provider's failure to send a sound instance.
func (x *Proxy) badInstance(err error) error {
	e := *cim.AsError(err)
	e.Provider = x.reg.Name
	if e.Status != cim.WBEM_E_PROVIDER_FAILURE {
		e.Status = cim.WBEM_E_PROVIDER_FAILURE
	}
	e.Description = fmt.Sprintf("provider %q sent a bad instance: %s", x.reg.Name, e.Description)
	return &e
}

// PutInstance implements provider.InstanceWriter.
func (x *Proxy) PutInstance(ctx context.Context, inst *cim.Instance, putMode provider.PutMode) (cim.ObjectPath, error) {
	if !x.reg.Put {
		return cim.ObjectPath{}, x.notCapable("create or modify instances", InstanceRegClass+".SupportsPut")
	}
	mode := providerwire.PutMode_PUT_MODE_CREATE_OR_UPDATE
	switch putMode {
	case provider.CreateOnly:
		mode = providerwire.PutMode_PUT_MODE_CREATE_ONLY
	case provider.UpdateOnly:
		mode = providerwire.PutMode_PUT_MODE_UPDATE_ONLY
	}
	var reply *providerwire.PutInstanceReply
	err := x.unary(ctx, "PutInstance", func(ctx context.Context, p *proc) (*providerwire.Error, error) {
		var err error
		reply, err = p.rpc.PutInstance(ctx, &providerwire.PutInstanceRequest{Call: x.callMsg(ctx), Class: x.class(inst.Class()),
			Instance: providerwire.EncodeInstance(inst, inst.ClassName()), Mode: mode})
		return reply.GetError(), err
	})
	if err != nil {
		return cim.ObjectPath{}, err
	}
	if reply.Path == "" {
		return cim.ObjectPath{}, nil // the object manager takes the instance's own path
	}
	path, err := cim.ParsePath(reply.Path)
	if err != nil {
		return cim.ObjectPath{}, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q returned a bad path: %v", x.reg.Name, cim.AsError(err).Description)
	}
	return path, nil
}

// DeleteInstance implements provider.InstanceWriter.
func (x *Proxy) DeleteInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) error {
	if !x.reg.Delete {
		return x.notCapable("delete instances", InstanceRegClass+".SupportsDelete")
	}
	return x.unary(ctx, "DeleteInstance", func(ctx context.Context, p *proc) (*providerwire.Error, error) {
		reply, err := p.rpc.DeleteInstance(ctx, &providerwire.DeleteInstanceRequest{Call: x.callMsg(ctx), Class: x.class(class), Path: path.RelPath()})
		return reply.GetError(), err
	})
}

// ExecMethod implements provider.MethodProvider.
func (x *Proxy) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	if !x.reg.Methods {
		return nil, x.notCapable("implement methods", MethodRegClass)
	}
	var reply *providerwire.InstanceReply
	err := x.unary(ctx, "ExecMethod "+call.Method.Name, func(ctx context.Context, p *proc) (*providerwire.Error, error) {
		var err error
		reply, err = p.rpc.ExecMethod(ctx, &providerwire.ExecMethodRequest{Call: x.callMsg(ctx), Class: x.class(call.Class),
			Path: call.Path.RelPath(), Method: call.Method.Name,
			InClass: providerwire.EncodeClass(call.In.Class()), In: providerwire.EncodeInstance(call.In, call.In.ClassName()),
			OutClass: providerwire.EncodeClass(call.Out)})
		return reply.GetError(), err
	})
	if err != nil {
		return nil, err
	}
	return x.decode(reply.Instance, call.Out)
}

// EnumerateInstances implements provider.InstanceProvider.
func (x *Proxy) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return x.enumerate(ctx, class, nil, nil, out)
}

// ProvidesInstanceEvents implements provider.InstanceEventProvider: the
// registration says so (Registration.InstanceEvents); whether the process
// does is known once it runs, and a subscription fails if it does not.
func (x *Proxy) ProvidesInstanceEvents(class *cim.Class) bool {
	return x.reg.raisesInstanceEvents(class)
}

// ProvideEvents implements provider.EventProvider: it calls Events on the
// provider's process, returns once the provider said Ready, and hands the
// events it sends to sink from a goroutine of its own until ctx ends (the
// subscription ended: the call is cancelled, which cancels the provider's
// ctx) or the process fails (the subscription ends with
// WBEM_E_PROVIDER_FAILURE naming the provider). The process counts as busy
// while the subscription lasts, so it is not stopped as idle. With
// req.Target, the events are the intrinsic events of its instances, which
// the process sends as InstanceEvent messages and sink makes the events of.
func (x *Proxy) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	if req.Target != nil && !x.ProvidesInstanceEvents(req.Target) {
		return x.reg.errorf(cim.WBEM_E_PROVIDER_NOT_CAPABLE, "provider %q is not registered to raise the instance events of %s (%s.EventQueryList: SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA '%s')", x.reg.Name, req.Target.Name, EventRegClass, req.Target.Name)
	}
	if !x.reg.Events {
		return x.notCapable("raise events", EventRegClass)
	}
	p, err := x.h.acquire(ctx, x.reg)
	if err != nil {
		return err
	}
	if !p.capabilities(x.reg.Name).GetEvents() {
		p.leave(true)
		return x.reg.errorf(cim.WBEM_E_PROVIDER_NOT_CAPABLE, "provider %q is registered to raise events (%s) but its process does not serve them", x.reg.Name, EventRegClass)
	}
	if req.Target != nil && !p.capabilities(x.reg.Name).GetInstanceEvents() {
		p.leave(true)
		return x.reg.errorf(cim.WBEM_E_PROVIDER_NOT_CAPABLE, "provider %q is registered to raise the instance events of %s but its process does not raise instance events", x.reg.Name, req.Target.Name)
	}
	msg := &providerwire.EventsRequest{Call: x.callMsg(ctx), Class: x.class(req.Class), Query: req.Query}
	if req.Target != nil {
		msg.Target = x.class(req.Target)
	}
	for _, c := range req.Subclasses {
		msg.Subclasses = append(msg.Subclasses, x.class(c))
	}
	sctx, cancel := context.WithCancel(ctx)
	timeout := x.reg.timeout()
	var late atomic.Bool
	watchdog := time.AfterFunc(timeout, func() { late.Store(true); cancel() })
	due := x.h.now().Add(timeout)
	fail := func(err error) error {
		watchdog.Stop()
		cancel()
		p.leave(false)
		return x.ended(ctx, p, "the subscription to "+req.Class.Name, due, late.Load(), err)
	}
	stream, err := p.rpc.Events(sctx, msg)
	if err != nil {
		return fail(err)
	}
	first, err := stream.Recv()
	if err != nil {
		return fail(err)
	}
	watchdog.Stop()
	p.heard()
	switch k := first.Kind.(type) {
	case *providerwire.EventsReply_Ready:
	case *providerwire.EventsReply_Done:
		cancel()
		p.leave(true)
		if err := providerwire.DecodeError(k.Done.Error, x.reg.Name); err != nil {
			return err
		}
		return x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q ended the subscription to %s before it was ready", x.reg.Name, req.Class.Name)
	default:
		cancel()
		p.leave(false)
		return x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q answered a subscription to %s with something other than Ready", x.reg.Name, req.Class.Name)
	}
	go x.events(ctx, p, req, stream, sink, cancel)
	return nil
}

// events hands what a provider's Events stream sends to sink until the
// stream ends.
func (x *Proxy) events(ctx context.Context, p *proc, req *provider.EventRequest, stream providerwire.Provider_EventsClient, sink provider.EventSink, cancel context.CancelFunc) {
	defer cancel()
	for {
		msg, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				p.leave(true) // the subscription ended
				return
			}
			p.leave(false)
			sink.Fail(p.failure(err))
			return
		}
		p.heard()
		switch k := msg.Kind.(type) {
		case *providerwire.EventsReply_Event:
			if n, first, ok := providerwire.ParseLostNotice(k.Event); ok {
				x.lost(sink, req, n, first)
				continue
			}
			ev, err := x.decodeEvent(k.Event, req)
			if err != nil {
				p.leave(false)
				sink.Fail(err)
				return
			}
			if err := sink.Indicate(ev); err != nil {
				p.leave(true) // the subscription has ended
				return
			}
		case *providerwire.EventsReply_InstanceEvent:
			ended, err := x.instanceEvent(k.InstanceEvent, req, sink)
			if err != nil {
				p.leave(false)
				sink.Fail(err)
				return
			}
			if ended {
				p.leave(true)
				return
			}
		case *providerwire.EventsReply_Done:
			p.leave(true)
			if err := providerwire.DecodeError(k.Done.Error, x.reg.Name); err != nil {
				sink.Fail(err)
			}
			return // without an error: the provider raises no more events
		default:
			p.leave(false)
			sink.Fail(x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an unexpected message on the subscription to %s", x.reg.Name, req.Class.Name))
			return
		}
	}
}

// decodeEvent decodes an event a provider raised: an instance of the class
// asked for or of one of its subclasses, whose definition comes from the
// repository, never from the provider.
func (x *Proxy) decodeEvent(m *providerwire.Instance, req *provider.EventRequest) (*cim.Instance, error) {
	class := req.Class
	if m.GetClassName() != "" && !cim.EqualFold(m.ClassName, class.Name) {
		c, err := req.Lookup(m.ClassName)
		if err != nil || c == nil || !c.IsA(req.Class.Name) {
			return nil, x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q raised an event of class %s, which is not a %s of the namespace", x.reg.Name, m.ClassName, req.Class.Name)
		}
		class = c
	}
	if m != nil {
		m.Class = nil
	}
	ev, err := x.decode(m, class)
	if err == nil && ev == nil {
		err = x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q raised an empty event", x.reg.Name)
	}
	return ev, err
}

// ExecQuery implements provider.QueryProvider: the hint goes to the
// provider when it is registered with QuerySupportLevels and takes queries.
func (x *Proxy) ExecQuery(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	return x.enumerate(ctx, class, hint, nil, out)
}

// References implements provider.AssociationProvider: providers registered
// for references queries (Registration.Associations) whose process finds
// references itself get the query; the others enumerate, and the object
// manager filters.
func (x *Proxy) References(ctx context.Context, assocClass *cim.Class, target cim.ObjectPath, role string, out provider.Emitter) error {
	if !x.reg.Associations {
		return x.enumerate(ctx, assocClass, nil, nil, out)
	}
	return x.enumerate(ctx, assocClass, nil, &providerwire.References{Target: target.RelPath(), Role: role}, out)
}

// enumerate streams instances from the provider: it grants credit for a
// batch once the consumer has taken the one before, so the provider runs at
// most credit batches ahead, and cancelling ctx (or a failed Emit) cancels
// the provider's context.
func (x *Proxy) enumerate(ctx context.Context, class *cim.Class, hint *provider.Hint, refs *providerwire.References, out provider.Emitter) error {
	if !x.reg.Instances {
		return x.notCapable("supply instances", InstanceRegClass)
	}
	p, err := x.h.acquire(ctx, x.reg)
	if err != nil {
		return err
	}
	caps := p.capabilities(x.reg.Name)
	start := &providerwire.Start{Call: x.callMsg(ctx), Class: x.class(class), Credit: credit}
	if hint != nil && x.reg.Query && caps.GetQuery() {
		start.Hint = providerwire.EncodeHint(hint)
	}
	if refs != nil && caps.GetAssociations() {
		start.References = refs
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timeout := x.reg.timeout()
	var late atomic.Bool
	watchdog := time.AfterFunc(timeout, func() { late.Store(true); cancel() })
	defer watchdog.Stop()
	due := x.h.now().Add(timeout) // when the provider's next message is late

	fail := func(err error) error {
		p.leave(false)
		return x.ended(ctx, p, "an enumeration of "+class.Name, due, late.Load(), err)
	}
	// Batches are read straight from their bytes (providerwire.Codec).
	stream, err := p.rpc.Enumerate(sctx, grpc.ForceCodecV2(providerwire.Codec{}))
	if err != nil {
		return fail(err)
	}
	reply := &providerwire.ReplyDecoder{Class: class}
	if err := stream.Send(&providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Start{Start: start}}); err != nil {
		return fail(sendError(stream, err))
	}
	progress, _ := out.(provider.Progresser)
	for {
		due = x.h.now().Add(timeout)
		watchdog.Reset(timeout)
		err := stream.RecvMsg(reply)
		watchdog.Stop()
		if err != nil {
			return fail(err)
		}
		due = time.Time{} // the consumer's time is not the provider's
		p.heard()
		if reply.Err != nil {
			p.leave(false)
			return x.badInstance(reply.Err)
		}
		if reply.Batch {
			x.h.batches.Add(1)
			x.h.batched.Add(int64(len(reply.Instances)))
			// The batch goes to the consumer in one hand-over when the
			// object manager's emitter takes batches (one lock and one
			// wake-up of its queue per batch, not per instance).
			err := provider.EmitAll(out, reply.Instances)
			clear(reply.Instances) // the consumer's now
			if err != nil {
				p.leave(true) // the consumer left; the provider is fine
				return err
			}
			// A provider that has finished may have closed the stream:
			// what it sent before, Done included, is still to be read.
			more := &providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Credit{Credit: uint32(len(reply.Instances))}}
			if err := stream.Send(more); err != nil && !errors.Is(err, io.EOF) {
				return fail(err)
			}
			continue
		}
		switch k := reply.Reply.Kind.(type) {
		case *providerwire.EnumerateReply_Progress:
			if progress != nil {
				progress.Progress(int(k.Progress.Done), int(k.Progress.Total))
			}
		case *providerwire.EnumerateReply_Done:
			p.leave(true)
			return providerwire.DecodeError(k.Done.Error, x.reg.Name)
		default:
			p.leave(false)
			return x.reg.errorf(cim.WBEM_E_PROVIDER_FAILURE, "provider %q sent an empty message", x.reg.Name)
		}
	}
}

// sendError returns why a stream's Send failed: io.EOF means the stream has
// ended, and Recv tells how.
func sendError(stream providerwire.Provider_EnumerateClient, err error) error {
	if errors.Is(err, io.EOF) {
		for {
			if _, rerr := stream.Recv(); rerr != nil {
				return rerr
			}
		}
	}
	return err
}
