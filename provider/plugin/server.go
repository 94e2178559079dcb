package plugin

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
)

// server serves package provider's interfaces as the Provider gRPC service.
type server struct {
	providerwire.UnimplementedProviderServer
	any       any            // serves every name, when not nil
	providers map[string]any // lower-case name → provider
}

func newServer(providers map[string]any) *server {
	s := &server{providers: map[string]any{}}
	for name, p := range providers {
		if name == "" {
			s.any = p
			continue
		}
		s.providers[strings.ToLower(name)] = p
	}
	return s
}

func (s *server) lookup(call *providerwire.Call) (any, error) {
	name := call.GetProvider()
	if p, ok := s.providers[strings.ToLower(name)]; ok {
		return p, nil
	}
	if s.any != nil {
		return s.any, nil
	}
	return nil, &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_FOUND, Parameter: name,
		Description: fmt.Sprintf("this process serves no provider %q", name)}
}

// Hello implements providerwire.ProviderServer.
func (s *server) Hello(ctx context.Context, req *providerwire.HelloRequest) (*providerwire.HelloReply, error) {
	r := &providerwire.HelloReply{Protocol: providerwire.Version_VERSION_1}
	add := func(name string, p any) {
		_, inst := p.(provider.InstanceProvider)
		_, query := p.(provider.QueryProvider)
		_, write := p.(provider.InstanceWriter)
		_, methods := p.(provider.MethodProvider)
		_, assoc := p.(provider.AssociationProvider)
		_, events := p.(provider.EventProvider)
		_, instEvents := p.(provider.InstanceEventProvider)
		r.Providers = append(r.Providers, &providerwire.Capabilities{Name: name, Instances: inst, Query: query,
			Write: write, Methods: methods, Associations: assoc, Events: events, InstanceEvents: instEvents})
	}
	if s.any != nil {
		add("", s.any)
	}
	for name, p := range s.providers {
		add(name, p)
	}
	return r, nil
}

// guard runs a provider call: a panic fails the call only, with
// WBEM_E_PROVIDER_FAILURE, as in the daemon's own process.
func guard(name string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE,
				Description: fmt.Sprintf("provider %q panicked: %v\n%s", name, r, debug.Stack())}
		}
	}()
	return fn()
}

func notCapable(name, what string) error {
	return &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Description: fmt.Sprintf("provider %q does not %s", name, what)}
}

// GetInstance implements providerwire.ProviderServer.
func (s *server) GetInstance(ctx context.Context, req *providerwire.GetInstanceRequest) (*providerwire.InstanceReply, error) {
	ctx = providerwire.CallerContext(ctx, req.Call.GetCaller()) // the provider acts for the daemon's caller
	var inst *cim.Instance
	err := s.unary(req.Call, req.Class, func(p any, c *cim.Class) error {
		ip, ok := p.(provider.InstanceProvider)
		if !ok {
			return notCapable(req.Call.GetProvider(), "supply instances")
		}
		path, err := resolvedPath(req.Path, c)
		if err != nil {
			return err
		}
		inst, err = ip.GetInstance(ctx, c, path)
		return err
	})
	if err != nil {
		return &providerwire.InstanceReply{Error: providerwire.EncodeError(err)}, nil
	}
	return &providerwire.InstanceReply{Instance: providerwire.EncodeInstance(inst, req.Class.GetName())}, nil
}

// resolvedPath parses a path the daemon sent, its keys typed by c.
func resolvedPath(s string, c *cim.Class) (cim.ObjectPath, error) {
	p, err := cim.ParsePath(s)
	if err != nil {
		return p, err
	}
	if p.IsClass() {
		return p, nil
	}
	rp, err := p.Resolve(c)
	rp.Class = p.Class
	return rp, err
}

// unary decodes a request's class, finds its provider and runs fn under guard.
func (s *server) unary(call *providerwire.Call, class *providerwire.Class, fn func(p any, c *cim.Class) error) error {
	p, err := s.lookup(call)
	if err != nil {
		return err
	}
	c, err := providerwire.DecodeClass(class)
	if err != nil {
		return err
	}
	return guard(call.GetProvider(), func() error { return fn(p, c) })
}

// PutInstance implements providerwire.ProviderServer.
func (s *server) PutInstance(ctx context.Context, req *providerwire.PutInstanceRequest) (*providerwire.PutInstanceReply, error) {
	ctx = providerwire.CallerContext(ctx, req.Call.GetCaller()) // the provider acts for the daemon's caller
	var path cim.ObjectPath
	err := s.unary(req.Call, req.Class, func(p any, c *cim.Class) error {
		w, ok := p.(provider.InstanceWriter)
		if !ok {
			return notCapable(req.Call.GetProvider(), "create or modify instances")
		}
		inst, err := providerwire.DecodeInstance(req.Instance, c)
		if err != nil {
			return err
		}
		if inst == nil {
			return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "PutInstance without an instance")
		}
		mode := provider.CreateOrUpdate
		switch req.Mode {
		case providerwire.PutMode_PUT_MODE_CREATE_ONLY:
			mode = provider.CreateOnly
		case providerwire.PutMode_PUT_MODE_UPDATE_ONLY:
			mode = provider.UpdateOnly
		}
		path, err = w.PutInstance(ctx, inst, mode)
		return err
	})
	if err != nil {
		return &providerwire.PutInstanceReply{Error: providerwire.EncodeError(err)}, nil
	}
	if path.Class == "" {
		return &providerwire.PutInstanceReply{}, nil // the daemon takes the instance's own path
	}
	return &providerwire.PutInstanceReply{Path: path.RelPath()}, nil
}

// DeleteInstance implements providerwire.ProviderServer.
func (s *server) DeleteInstance(ctx context.Context, req *providerwire.DeleteInstanceRequest) (*providerwire.DeleteInstanceReply, error) {
	ctx = providerwire.CallerContext(ctx, req.Call.GetCaller()) // the provider acts for the daemon's caller
	err := s.unary(req.Call, req.Class, func(p any, c *cim.Class) error {
		w, ok := p.(provider.InstanceWriter)
		if !ok {
			return notCapable(req.Call.GetProvider(), "delete instances")
		}
		path, err := resolvedPath(req.Path, c)
		if err != nil {
			return err
		}
		return w.DeleteInstance(ctx, c, path)
	})
	return &providerwire.DeleteInstanceReply{Error: providerwire.EncodeError(err)}, nil
}

// ExecMethod implements providerwire.ProviderServer.
func (s *server) ExecMethod(ctx context.Context, req *providerwire.ExecMethodRequest) (*providerwire.InstanceReply, error) {
	ctx = providerwire.CallerContext(ctx, req.Call.GetCaller()) // the provider acts for the daemon's caller
	var out *cim.Instance
	err := s.unary(req.Call, req.Class, func(p any, c *cim.Class) error {
		mp, ok := p.(provider.MethodProvider)
		if !ok {
			return notCapable(req.Call.GetProvider(), "implement methods")
		}
		m, ok := c.Method(req.Method)
		if !ok {
			return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: req.Method, Description: "class " + c.Name + " has no method " + req.Method}
		}
		inClass, err := providerwire.DecodeClass(req.InClass)
		if err != nil {
			return err
		}
		outClass, err := providerwire.DecodeClass(req.OutClass)
		if err != nil {
			return err
		}
		in, err := providerwire.DecodeInstance(req.In, inClass)
		if err != nil {
			return err
		}
		if in == nil {
			in = inClass.NewInstance()
		}
		path, err := resolvedPath(req.Path, c)
		if err != nil {
			return err
		}
		out, err = mp.ExecMethod(ctx, &provider.MethodCall{Class: c, Path: path, Method: m, In: in, Out: outClass})
		return err
	})
	if err != nil {
		return &providerwire.InstanceReply{Error: providerwire.EncodeError(err)}, nil
	}
	return &providerwire.InstanceReply{Instance: providerwire.EncodeInstance(out, req.OutClass.GetName())}, nil
}

// Enumerate implements providerwire.ProviderServer: the provider runs in
// this goroutine and emits into a batcher; a sender goroutine sends a batch
// whenever it holds credit, so a slow provider's instances leave one by one
// and a fast one's in full batches; a reader goroutine takes credit.
// Instances are encoded as they are emitted, straight into the batch's wire
// form, their values by position in the order of the class the daemon sent
// (providerwire.EncodedBatch, sent through providerwire.Codec).
func (s *server) Enumerate(stream providerwire.Provider_EnumerateServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	if start == nil {
		return errors.New("the first message of Enumerate must be Start")
	}
	ctx, cancel := context.WithCancel(providerwire.CallerContext(stream.Context(), start.Call.GetCaller()))
	defer cancel()
	b := newBatcher(ctx, int(max(start.Credit, 1)))
	go b.readCredit(stream, cancel)
	sent := make(chan error, 1)
	go func() { sent <- b.send(stream) }()

	err = s.enumerate(ctx, start, b)
	b.finish()
	if serr := <-sent; serr != nil {
		return serr // the daemon has gone: nothing more can be said
	}
	return stream.Send(&providerwire.EnumerateReply{Kind: &providerwire.EnumerateReply_Done{Done: &providerwire.Done{Error: providerwire.EncodeError(err)}}})
}

func (s *server) enumerate(ctx context.Context, start *providerwire.Start, b *batcher) error {
	return s.unary(start.Call, start.Class, func(p any, c *cim.Class) error {
		b.setClass(c)
		name := start.Call.GetProvider()
		if start.References != nil {
			target, err := cim.ParsePath(start.References.Target)
			if err != nil {
				return err
			}
			if ap, ok := p.(provider.AssociationProvider); ok {
				return ap.References(ctx, c, target, start.References.Role, b)
			}
		}
		ip, ok := p.(provider.InstanceProvider)
		if !ok {
			return notCapable(name, "supply instances")
		}
		if start.Hint != nil {
			if qp, ok := p.(provider.QueryProvider); ok {
				hint, err := providerwire.DecodeHint(start.Hint, c)
				if err != nil {
					return err
				}
				return qp.ExecQuery(ctx, c, hint, b)
			}
		}
		return ip.EnumerateInstances(ctx, c, b)
	})
}

// batcher is the provider's Emitter in a provider process.
type batcher struct {
	ctx context.Context

	mu       sync.Mutex
	cond     *sync.Cond                // the sender waits on it
	room     *sync.Cond                // Emit waits on it while a whole batch is pending
	sent     bool                      // a batch has left
	out      int                       // batches the connection has taken (written, and the writer given its turn)
	class    *cim.Class                // the request's: values go in its order
	pending  providerwire.EncodedBatch // emitted, not yet sent
	credit   int
	progress *providerwire.Progress
	done     bool  // the provider returned
	err      error // the daemon has gone, or the call was cancelled
	wakes    int   // times the sender woke up (tests)
	limit    int   // the most instances the next batch may hold
}

// firstBatch is the most instances the first batch of an enumeration
// holds; each batch after may hold twice the one before, up to
// providerwire.MaxBatch. By the time the sender runs, a fast provider has
// encoded hundreds of instances, and the daemon decodes a batch whole
// before the caller sees its first object: a small first batch brings the
// first object sooner (BenchmarkFirstObject/warm, a 1000-instance
// provider, quiet machine: medians 1.33–1.50 ms rather than 1.74–2.40 ms),
// and the doubling keeps large enumerations at full batches after a
// handful of messages.
const firstBatch = 16

func newBatcher(ctx context.Context, credit int) *batcher {
	b := &batcher{ctx: ctx, credit: credit, limit: firstBatch}
	b.cond = sync.NewCond(&b.mu)
	b.room = sync.NewCond(&b.mu)
	context.AfterFunc(ctx, func() { b.fail(ctx.Err()) })
	return b
}

func (b *batcher) setClass(c *cim.Class) {
	b.mu.Lock()
	b.class = c
	b.mu.Unlock()
}

func (b *batcher) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	b.cond.Broadcast()
	b.room.Broadcast()
}

// full says whether the pending instances make a whole batch.
func (b *batcher) full() bool {
	return b.pending.Len() >= providerwire.MaxBatch || b.pending.Size() >= providerwire.MaxBatchBytes
}

// Emit implements provider.Emitter: it blocks while a full batch waits for
// credit, and encodes inst into the batch.
func (b *batcher) Emit(inst *cim.Instance) error {
	if inst == nil {
		return nil
	}
	b.mu.Lock()
	for b.err == nil && b.full() {
		b.room.Wait()
	}
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return err
	}
	err := b.pending.Append(inst, b.class)
	// The sender waits for instances only when none were pending: while
	// some are, it is sending, or waiting for credit, which this instance
	// does not bring (waking it per instance cost a futex call each).
	wake := err == nil && b.pending.Len() == 1 && b.credit > 0
	if wake && !b.sent {
		// The enumeration's first instance leaves at once, even when the
		// process runs Go code on one thread (MaxProcs): Emit waits until
		// the connection has taken it. Going on at once, a fast provider
		// would keep the thread until it blocks, once a whole batch is
		// pending (a thousand instances, milliseconds), and only then
		// would the sender, or gRPC's writer, run.
		b.cond.Broadcast()
		for b.err == nil && b.out == 0 {
			b.room.Wait()
		}
		wake, err = false, b.err
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	if wake {
		b.cond.Broadcast()
	}
	return nil
}

// Progress implements provider.Progresser.
func (b *batcher) Progress(done, total int) {
	b.mu.Lock()
	b.progress = &providerwire.Progress{Done: uint32(max(done, 0)), Total: uint32(max(total, 0))}
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *batcher) finish() {
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// send sends batches while it holds credit, and progress, until the provider
// has returned and everything is sent.
func (b *batcher) send(stream providerwire.Provider_EnumerateServer) error {
	for {
		b.mu.Lock()
		for b.err == nil && b.progress == nil && !(b.pending.Len() > 0 && b.credit > 0) && !(b.done && b.pending.Len() == 0) {
			b.cond.Wait()
			b.wakes++
		}
		if b.err != nil {
			err := b.err
			b.mu.Unlock()
			return err
		}
		var msg any
		switch {
		case b.progress != nil:
			msg = &providerwire.EnumerateReply{Kind: &providerwire.EnumerateReply_Progress{Progress: b.progress}}
			b.progress = nil
		case b.pending.Len() > 0 && b.credit > 0:
			batch := b.pending.Split(min(b.credit, b.limit), providerwire.MaxBatchBytes)
			b.credit -= batch.Len()
			b.limit = min(2*b.limit, providerwire.MaxBatch)
			b.sent = true
			msg = batch
		default: // done and drained
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()
		batch, _ := msg.(*providerwire.EncodedBatch)
		var written <-chan struct{}
		if batch != nil {
			written = batch.Written()
		}
		if err := stream.SendMsg(msg); err != nil {
			b.fail(err)
			return err
		}
		if batch != nil {
			// Emit may go on once gRPC's writer has put the batch on the
			// connection: a provider emitting fast would otherwise have
			// the next batch made before the writer gets the processor
			// (one thread, or two shared with the daemon), and the daemon
			// would wait for every batch a batch's time late. Waiting
			// here also bounds what the provider holds: one batch being
			// written, one pending.
			select {
			case <-written:
			case <-b.ctx.Done():
			}
			// gRPC's writer hands the buffer back when it has copied the
			// batch into its own, and, holding less than 1000 bytes
			// (the tail of a batch, or a small first batch), yields once
			// before it writes that to the connection (loopyWriter's
			// minBatchSize): let it run before Emit goes on. On one
			// thread Emit would otherwise keep it waiting until the
			// provider blocks, a whole batch later (the warm first
			// object took 4 ms instead of 1–2, docs/benchmarks.md).
			// Twice: the writer may have been put behind this goroutine
			// before its own yield (preempted; the race detector's
			// scheduler shuffles).
			runtime.Gosched()
			runtime.Gosched()
			b.mu.Lock()
			b.out++
			b.mu.Unlock()
		}
		b.room.Broadcast()
	}
}

// readCredit takes the credit the daemon grants until the stream ends.
func (b *batcher) readCredit(stream providerwire.Provider_EnumerateServer, cancel context.CancelFunc) {
	for {
		m, err := stream.Recv()
		if err != nil {
			// The daemon closes its side only when it has gone: stop the provider.
			cancel()
			return
		}
		if c := m.GetCredit(); c > 0 {
			b.mu.Lock()
			b.credit += int(c)
			b.mu.Unlock()
			b.cond.Broadcast()
		}
	}
}
