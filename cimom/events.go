package cimom

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// Limits and defaults of the event engine.
const (
	// DefaultEventQueueSize is how many events a subscription queues for a
	// consumer that is behind; past it the oldest are lost and the consumer
	// gets one __EventQueueOverflowEvent saying how many.
	DefaultEventQueueSize = 4096
	// MinPollInterval is the shortest WITHIN that polls a provider's class:
	// a shorter one gets WBEMESS_E_REGISTRATION_TOO_PRECISE.
	MinPollInterval = time.Second
	// MaxEventGroups bounds the groups a GROUP WITHIN … BY subscription
	// holds open at once; an event that would open one more is dropped and
	// counted in an __EventDroppedEvent.
	MaxEventGroups = 4096
	// MinTimerInterval is the shortest interval an __IntervalTimerInstruction
	// fires at; shorter ones fire at this interval.
	MinTimerInterval = 100 * time.Millisecond
)

// WithEventQueueSize sets how many events each subscription queues ahead of
// its consumer (DefaultEventQueueSize).
func WithEventQueueSize(n int) Option {
	return func(om *ObjectManager) {
		if n > 0 {
			om.events.queueSize = n
		}
	}
}

// WithMinPollInterval sets the shortest WITHIN that polls (MinPollInterval).
func WithMinPollInterval(d time.Duration) Option {
	return func(om *ObjectManager) {
		if d > 0 {
			om.events.minPoll = d
		}
	}
}

// WithEventProvider registers a provider of events only under name (see
// RegisterEventProvider).
func WithEventProvider(name string, p provider.EventProvider) Option {
	return func(om *ObjectManager) { om.register(name, p) }
}

// RegisterEventProvider registers under name a provider that raises events
// and serves no instances: the extrinsic event classes that name it with
// [Provider("name")] get their events from it. A provider that also supplies
// instances is registered with RegisterProvider, which finds its events too.
// It panics if p is nil.
func (om *ObjectManager) RegisterEventProvider(name string, p provider.EventProvider) {
	om.register(name, p)
}

// eventEngine raises events to subscriptions: intrinsic events of the
// repository as transactions commit (eventlog.go), intrinsic events of
// provider classes found by pollers (eventpoll.go), events providers raise
// (eventprov.go) and timer events (eventtimer.go). Each subscription owns a
// bounded queue (eventqueue.go) that its ExecNotificationQuery drains into
// the operation's stream, so no producer ever waits on a consumer.
type eventEngine struct {
	om        *ObjectManager
	queueSize int
	minPoll   time.Duration
	seq       *sequencer

	// index maps a lower-case namespace to the subscriptions that take
	// repository events there; it is replaced, never changed, so dispatch
	// reads it without a lock.
	index atomic.Pointer[map[string][]*subscription]

	mu      sync.Mutex // guards index updates, pollers and timers
	pollers map[pollKey]*poller
	timers  map[string]*timerSet // lower-case namespace → its interval timers
	nextID  uint64
	live    atomic.Int64 // open subscriptions, for tests and metrics
}

func newEventEngine(om *ObjectManager) *eventEngine {
	e := &eventEngine{om: om, queueSize: DefaultEventQueueSize, minPoll: MinPollInterval,
		pollers: map[pollKey]*poller{}, timers: map[string]*timerSet{}}
	e.seq = newSequencer(e.dispatch)
	return e
}

func (e *eventEngine) commitLog() *commitLog { return &commitLog{seq: e.seq} }

// Subscriptions returns the number of open event subscriptions.
func (om *ObjectManager) Subscriptions() int { return int(om.events.live.Load()) }

// Kinds of repository changes a subscription takes, as bits.
type changeMask uint16

func maskOf(k changeKind) changeMask { return 1 << k }

const instanceChanges = 1<<changeInstanceCreated | 1<<changeInstanceModified | 1<<changeInstanceDeleted

// dispatch offers one committed transaction's changes to the subscriptions
// of their namespaces. It never blocks on a subscriber.
func (e *eventEngine) dispatch(n uint64, changes []change) {
	if e.timersActive() {
		e.timerChanges(changes)
	}
	idx := e.index.Load()
	if idx == nil || len(*idx) == 0 {
		return
	}
	now := time.Now()
	lastNS := ""
	var subs []*subscription
	for i := range changes {
		ch := &changes[i]
		if ch.ns != lastNS {
			lastNS, subs = ch.ns, (*idx)[strings.ToLower(ch.ns)]
		}
		var ev *cim.Instance
		for _, s := range subs {
			if n < s.startSeq || s.changes&maskOf(ch.kind) == 0 {
				continue
			}
			if s.target != "" && ch.kind <= changeInstanceDeleted {
				inst := ch.inst
				if inst == nil {
					inst = ch.prev
				}
				if !inst.Class().IsA(s.target) {
					continue
				}
			}
			if ev == nil {
				ev = e.changeEvent(ch, now)
			}
			s.offer(ev, len(subs) == 1)
		}
	}
}

// subscription is one ExecNotificationQuery.
type subscription struct {
	e     *eventEngine
	id    uint64
	ns    string
	ev    *wql.EventQuery
	class *cim.Class // the FROM class

	changes  changeMask // the repository changes it takes
	target   string     // TargetInstance ISA this class ("" any)
	startSeq uint64     // the first transaction it sees
	timers   bool       // it takes __TimerEvent

	group time.Duration // GROUP WITHIN
	agg   sync.Mutex
	open  map[string]*eventGroup
	ended bool

	q       eventQueue
	pollers []*poller
	cancel  context.CancelFunc // ends the provider calls
}

// eventGroup is one open GROUP WITHIN window.
type eventGroup struct {
	n     uint32
	rep   *cim.Instance
	timer *time.Timer
}

// offer gives the subscription an event; it keeps it when it matches the
// query. sole tells that no other subscription is offered ev: its consumer
// may then have it without a copy.
func (s *subscription) offer(ev *cim.Instance, sole bool) {
	if !ev.Class().IsA(s.class.Name) || !s.ev.Filter.Match(ev) {
		return
	}
	if s.group > 0 {
		s.aggregate(ev)
		return
	}
	s.q.push(queued{ev: ev, sole: sole})
}

func (s *subscription) aggregate(ev *cim.Instance) {
	key := s.ev.GroupKey(ev)
	s.agg.Lock()
	defer s.agg.Unlock()
	if s.ended {
		return
	}
	g := s.open[key]
	if g == nil {
		if len(s.open) >= MaxEventGroups {
			s.q.drop(ev)
			return
		}
		if s.open == nil {
			s.open = map[string]*eventGroup{}
		}
		g = &eventGroup{rep: ev}
		s.open[key] = g
		g.timer = time.AfterFunc(s.group, func() { s.closeGroup(key, g) })
	}
	g.n++
}

// closeGroup ends a GROUP WITHIN window: one __AggregateEvent when HAVING
// lets the group through.
func (s *subscription) closeGroup(key string, g *eventGroup) {
	s.agg.Lock()
	if s.ended || s.open[key] != g {
		s.agg.Unlock()
		return
	}
	delete(s.open, key)
	n := g.n
	s.agg.Unlock()
	if !s.ev.Having(n) {
		return
	}
	agg, _ := s.e.newEvent("__AggregateEvent", s.ns, time.Now())
	agg.Set("NumberOfEvents", cim.Uint32(n))
	agg.Set("Representative", cim.Embedded(s.ev.Filter.Project(g.rep)))
	s.q.push(queued{ev: agg, raw: true})
}

// fail ends the subscription with err once what is queued is delivered.
func (s *subscription) fail(err error) { s.q.fail(err) }

// Delivery. The consumer's own bounded queue is the first stage of the
// subscription's queue: when w can say whether it has room (a
// wbem.RoomWriter, as Services gives), the producers themselves write each
// event to it while it has room, and the subscription's queue fills only
// while the consumer's is full: an event is lost only when the consumer is
// behind by both queues, however late the delivering goroutine runs, and
// one __EventQueueOverflowEvent covers everything lost until the consumer
// makes room again. Any other writer (a backend's own caller) gets a
// hand-off of one event in front of it (handOff), which the event being
// written holds until its Write returns, so the same holds for it.

// deliverHandOff writes to h's writer what the producers hand over, and
// moves up what waits in the subscription's queue each time a Write
// returns, until ctx is done, the consumer has gone or the subscription
// failed.
func (s *subscription) deliverHandOff(ctx context.Context, h *handOff) error {
	q := &s.q
	for {
		if obj := h.held(); obj != nil {
			err := h.w.Write(obj)
			h.done(err)
			if err != nil {
				return err
			}
		}
		q.mu.Lock()
		q.drainLocked() // the writer has room again: what waits moves up
		werr, pending := q.werr, q.pendingLocked()
		var err error
		if !pending {
			err = q.err
		}
		q.mu.Unlock()
		switch {
		case werr != nil:
			return werr
		case h.held() != nil:
			continue
		case err != nil:
			return err
		}
		select {
		case <-h.ready:
		case <-q.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// handOff stands in front of a ResultWriter that cannot tell whether it has
// room (not a wbem.RoomWriter) as a wbem.RoomWriter of one place: a
// producer hands an event over while the place is free, and the event
// holds it until the writer's Write of it has returned. What waits, and
// what is lost, thus depends on how far the writer has got, not on when
// the goroutine that calls it runs: an event handed over before that
// goroutine ran is where it would be had it run at once.
type handOff struct {
	w     wbem.ResultWriter
	mu    sync.Mutex
	obj   cim.Object    // the event handed over; nil: the place is free
	err   error         // the writer failed: the consumer has gone
	ready chan struct{} // an event was handed over
	free  chan struct{} // the place was freed
}

func newHandOff(w wbem.ResultWriter) *handOff {
	return &handOff{w: w, ready: make(chan struct{}, 1), free: make(chan struct{}, 1)}
}

// Write implements wbem.ResultWriter: it waits for the place.
func (h *handOff) Write(obj cim.Object) error {
	for {
		if ok, err := h.TryWrite(obj); ok || err != nil {
			return err
		}
		<-h.free
	}
}

// SetResultString implements wbem.ResultWriter.
func (h *handOff) SetResultString(s string) { h.w.SetResultString(s) }

// Progress implements wbem.ResultWriter.
func (h *handOff) Progress(done, total int) { h.w.Progress(done, total) }

// TryWrite implements wbem.RoomWriter.
func (h *handOff) TryWrite(obj cim.Object) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.err != nil:
		return false, h.err
	case h.obj != nil:
		return false, nil
	}
	h.obj = obj
	signal(h.ready)
	return true, nil
}

// Room implements wbem.RoomWriter (a writer that failed has "room": the
// next TryWrite tells the failure).
func (h *handOff) Room() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.obj != nil && h.err == nil {
		return 0
	}
	return 1
}

// WaitRoom implements wbem.RoomWriter.
func (h *handOff) WaitRoom(ctx context.Context) error {
	for {
		h.mu.Lock()
		obj, err := h.obj, h.err
		h.mu.Unlock()
		if obj == nil || err != nil {
			return err
		}
		select {
		case <-h.free:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// held returns the event handed over, nil when none.
func (h *handOff) held() cim.Object {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.obj
}

// done frees the place once the writer's Write returned err.
func (h *handOff) done(err error) {
	h.mu.Lock()
	h.obj = nil
	if err != nil && h.err == nil {
		h.err = err
	}
	h.mu.Unlock()
	signal(h.free)
}

// signal wakes the waiter of a channel of one place, if any.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// deliverRoom moves what the producers could not write to w, the queue's
// out (it was full), each time w has room again.
func (s *subscription) deliverRoom(ctx context.Context, w wbem.RoomWriter) error {
	q := &s.q
	q.mu.Lock()
	for {
		q.drainLocked()
		werr, pending := q.werr, q.pendingLocked()
		var err error
		if !pending {
			err = q.err
		}
		q.mu.Unlock()
		switch {
		case werr != nil:
			return werr
		case err != nil:
			return err
		case pending:
			if err := w.WaitRoom(ctx); err != nil {
				return err
			}
		default:
			select {
			case <-q.wake:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		q.mu.Lock()
	}
}

// render is what the consumer gets for a queued event: its projection on
// the SELECT list, or a copy of its own.
func (s *subscription) render(it queued) *cim.Instance {
	if it.raw {
		return it.ev
	}
	if p := s.ev.Filter.Project(it.ev); p != it.ev || it.sole {
		return p
	}
	return it.ev.Clone()
}

// lostEvent is the notice of events a subscription lost.
func (s *subscription) lostEvent(class string, l lostEvents) *cim.Instance {
	ev, _ := s.e.newEvent(class, s.ns, time.Now())
	ev.Set("NumberOfEvents", cim.Uint32(uint32(min(l.n, 1<<32-1))))
	if l.first != nil {
		ev.Set("Event", cim.Embedded(l.first))
	}
	return ev
}

// close ends the subscription: it leaves the index, its pollers and timers,
// and its provider calls are cancelled. close is idempotent.
func (s *subscription) close() {
	s.agg.Lock()
	if s.ended {
		s.agg.Unlock()
		return
	}
	s.ended = true
	for _, g := range s.open {
		g.timer.Stop()
	}
	s.open = nil
	s.agg.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
	s.e.unregister(s)
	s.q.fail(errSubscriptionEnded)
	s.e.live.Add(-1)
}

var errSubscriptionEnded = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the subscription has ended"}

// register puts s in the index from the next transaction on.
func (e *eventEngine) register(s *subscription) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextID++
	s.id = e.nextID
	if s.changes == 0 {
		return
	}
	e.seq.mu.Lock()
	defer e.seq.mu.Unlock()
	s.startSeq = e.seq.next
	e.storeIndexLocked(func(m map[string][]*subscription) {
		k := strings.ToLower(s.ns)
		m[k] = append(m[k], s)
	})
}

// storeIndexLocked replaces the index by a changed copy.
func (e *eventEngine) storeIndexLocked(change func(map[string][]*subscription)) {
	m := map[string][]*subscription{}
	if old := e.index.Load(); old != nil {
		for k, v := range *old {
			m[k] = append([]*subscription(nil), v...)
		}
	}
	change(m)
	e.index.Store(&m)
}

func (e *eventEngine) unregister(s *subscription) {
	e.mu.Lock()
	if s.changes != 0 {
		e.storeIndexLocked(func(m map[string][]*subscription) {
			k := strings.ToLower(s.ns)
			list := m[k]
			for i, x := range list {
				if x == s {
					list = append(list[:i], list[i+1:]...)
					break
				}
			}
			if len(list) == 0 {
				delete(m, k)
			} else {
				m[k] = list
			}
		})
	}
	pollers := s.pollers
	s.pollers = nil
	for _, p := range pollers {
		p.detachLocked(s)
	}
	if s.timers {
		e.leaveTimersLocked(s)
	}
	e.mu.Unlock()
}

// schema resolves the classes of an event query in ns: the system classes
// from their built-in definitions (the ones events are built from), every
// other class from the repository.
func (e *eventEngine) schema(ctx context.Context, ns string) wql.Schema {
	repo := e.om.schemaOf(ctx, ns)
	return wql.SchemaFunc(func(name string) (*cim.Class, error) {
		if c := systemClass(name); c != nil {
			return c, nil
		}
		return repo.Class(name)
	})
}

// execNotificationQuery subscribes to the events of a query, tells the
// caller once the subscription is in place, and delivers its events until
// the caller releases it.
func (om *ObjectManager) execNotificationQuery(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	s, err := om.events.subscribe(ctx, op)
	if err != nil {
		return err
	}
	defer s.close()
	rw, ok := w.(wbem.RoomWriter)
	var h *handOff
	if !ok {
		h = newHandOff(w)
		rw = h
	}
	// From now on the producers write to the consumer's queue themselves,
	// however late the delivery goroutine runs.
	s.q.mu.Lock()
	s.q.out = rw
	s.q.drainLocked()
	s.q.mu.Unlock()
	if sub, ok := w.(wbem.Subscriber); ok {
		sub.Subscribed()
	}
	if h != nil {
		return s.deliverHandOff(ctx, h)
	}
	return s.deliverRoom(ctx, rw)
}

// subscribe validates an event query and sets up what raises its events.
func (e *eventEngine) subscribe(ctx context.Context, op *wbem.Op) (*subscription, error) {
	if err := wql.CheckLanguage(op.Language); err != nil {
		return nil, err
	}
	schema := e.schema(ctx, op.Namespace)
	ev, err := wql.ParseEvent(op.Query, schema)
	if err != nil {
		return nil, err
	}
	c := ev.Class
	s := &subscription{e: e, ns: op.Namespace, ev: ev, class: c, group: ev.Query.GroupWithinDuration()}
	s.q.init(e.queueSize, s)
	if c.IsA("__AggregateEvent") || c.IsA("__EventDroppedEvent") {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: c.Name,
			Description: "events of class " + c.Name + " are not subscribed to: " + c.Name + " comes by itself (GROUP WITHIN makes aggregates; a subscriber that loses events is told)"}
	}
	for k := changeInstanceCreated; k <= changeNamespaceDeleted; k++ {
		if systemClass(changeClassNames[k]).IsA(c.Name) {
			s.changes |= maskOf(k)
		}
	}
	s.timers = systemClass("__TimerEvent").IsA(c.Name)

	// What provides the events: pollers and providers for the dynamic
	// classes watched, providers of extrinsic event classes.
	var polls []*cim.Class
	var sources []eventSource
	if s.changes&instanceChanges != 0 {
		s.target = ev.TargetClass
		if s.target == "" && ev.Query.Within > 0 {
			return nil, &cim.Error{Status: cim.WBEMESS_E_REGISTRATION_TOO_BROAD, Parameter: op.Query,
				Description: "WITHIN polls the classes the query names with WHERE TargetInstance ISA 'Class'; without it the whole namespace would be polled"}
		}
		if s.target != "" {
			classes, err := e.classAndDescendants(ctx, op.Namespace, s.target)
			if err != nil {
				return nil, err
			}
			for _, d := range classes {
				if !d.IsDynamic() {
					continue
				}
				// Linked in, or registered in the repository (an
				// out-of-process provider's registration says which).
				p, err := e.om.lookup(ctx, op.Namespace, d.ProviderName())
				if err != nil {
					return nil, err
				}
				if ip, ok := p.(provider.InstanceEventProvider); ok && ip.ProvidesInstanceEvents(d) {
					sources = append(sources, eventSource{prov: ip, name: d.ProviderName(), class: c, target: d})
					continue
				}
				within := ev.Query.WithinDuration()
				switch {
				case ev.Query.Within == 0:
					return nil, &cim.Error{Status: cim.WBEMESS_E_REGISTRATION_TOO_PRECISE, Parameter: op.Query,
						Description: "class " + d.Name + " is supplied by a provider: its changes are found by polling, so the query needs WITHIN n"}
				case within < e.minPoll:
					return nil, &cim.Error{Status: cim.WBEMESS_E_REGISTRATION_TOO_PRECISE, Parameter: op.Query,
						Description: fmt.Sprintf("WITHIN %g polls class %s more often than the least interval of %v allows", ev.Query.Within, d.Name, e.minPoll)}
				}
				polls = append(polls, d)
			}
		}
	}
	ext, err := e.extrinsicSources(ctx, op.Namespace, c)
	if err != nil {
		return nil, err
	}
	sources = append(sources, ext...)
	if c.IsA("__ExtrinsicEvent") && len(ext) == 0 {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: c.Name,
			Description: "no provider raises events of class " + c.Name + " in " + op.Namespace + " (an extrinsic event class names its provider with [Provider(\"name\")])"}
	}

	e.register(s)
	e.live.Add(1)
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	if s.timers {
		if err := e.joinTimers(ctx, s); err != nil {
			return nil, err
		}
	}
	for _, d := range polls {
		if err := e.poll(ctx, s, d, ev.Query.WithinDuration()); err != nil {
			return nil, err
		}
	}
	if len(sources) > 0 {
		pctx, cancel := context.WithCancel(ctx)
		s.cancel = cancel
		for _, src := range sources {
			if err := e.startProvider(pctx, s, op, src); err != nil {
				return nil, err
			}
		}
	}
	ok = true
	return s, nil
}

// classAndDescendants returns class name of ns and every class deriving
// from it.
func (e *eventEngine) classAndDescendants(ctx context.Context, ns, name string) ([]*cim.Class, error) {
	var out []*cim.Class
	err := e.om.store.View(ctx, func(tx repository.Tx) error {
		c, err := e.om.class(tx, ns, name)
		if err != nil {
			return err
		}
		desc, err := e.om.descendants(tx, ns, c.Name)
		if err != nil {
			return err
		}
		out = append([]*cim.Class{c}, desc...)
		return nil
	})
	return out, err
}

// queued is an event waiting in a subscription's queue; raw ones (the
// engine's own notices) are delivered as they are, not projected.
type queued struct {
	ev   *cim.Instance
	raw  bool
	sole bool // no other subscription has ev: its projection needs no copy
}

// lostEvents counts events a subscription lost, with the first of them.
type lostEvents struct {
	n     int
	first *cim.Instance
}

// eventQueue is a subscription's bounded queue: push never blocks; past the
// limit the oldest event is lost and counted.
//
// Once the delivery gave it the consumer's queue (out), push writes straight
// to it while it has room and nothing waits ahead, and every push and the
// delivery move what waits (the notices of lost events first) whenever out
// has room; items then holds only what arrived while out was full. The lock
// is held while writing to out, which never waits, so events keep their
// order whoever writes them.
type eventQueue struct {
	mu      sync.Mutex
	sub     *subscription
	items   []queued // pending: items[head:]
	head    int
	limit   int
	lost    lostEvents // lost to overflow since the last take
	dropped lostEvents // dropped for another reason (too many groups)
	err     error      // ends the subscription after what is queued
	out     wbem.RoomWriter
	werr    error // out failed: the consumer has gone
	wake    chan struct{}
}

func (q *eventQueue) init(limit int, sub *subscription) {
	q.limit = limit
	q.sub = sub
	q.wake = make(chan struct{}, 1)
}

// pendingLocked reports whether anything waits for the consumer.
func (q *eventQueue) pendingLocked() bool {
	return q.werr == nil && (q.head < len(q.items) || q.lost.n > 0 || q.dropped.n > 0)
}

// drainLocked writes to out what waits, while out has room: the notices of
// lost events first (they are older than what is queued), then the events.
func (q *eventQueue) drainLocked() {
	if q.out == nil || q.werr != nil || !q.pendingLocked() || q.out.Room() == 0 {
		return
	}
	for _, l := range []*lostEvents{&q.lost, &q.dropped} {
		if l.n == 0 {
			continue
		}
		class := "__EventQueueOverflowEvent"
		if l == &q.dropped {
			class = "__EventDroppedEvent"
		}
		if !q.tryWriteLocked(q.sub.lostEvent(class, *l)) {
			return
		}
		*l = lostEvents{}
	}
	for q.head < len(q.items) {
		if !q.tryWriteLocked(q.sub.render(q.items[q.head])) {
			return
		}
		q.items[q.head] = queued{}
		q.head++
	}
	q.items, q.head = q.items[:0], 0
}

// tryWriteLocked writes ev to out if it has room; a failure of out (the
// consumer has gone) drops what waits and ends the queue.
func (q *eventQueue) tryWriteLocked(ev *cim.Instance) bool {
	ok, err := q.out.TryWrite(ev)
	if err != nil {
		q.werr = err
		clear(q.items)
		q.items, q.head = nil, 0
		q.lost, q.dropped = lostEvents{}, lostEvents{}
		return false
	}
	return ok
}

func (q *eventQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) push(it queued) {
	q.mu.Lock()
	if q.err != nil || q.werr != nil {
		q.mu.Unlock()
		return
	}
	if q.out != nil {
		q.drainLocked()
		if q.werr == nil && !q.pendingLocked() && q.out.Room() != 0 && q.tryWriteLocked(q.sub.render(it)) ||
			q.werr != nil {
			q.mu.Unlock()
			return
		}
	}
	if len(q.items)-q.head >= q.limit {
		if q.lost.n == 0 {
			q.lost.first = q.items[q.head].ev
		}
		q.lost.n++
		q.items[q.head] = queued{}
		q.head++
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
}

// drop counts an event that is lost without entering the queue. Its notice
// goes out with the next push — the aggregate of the first group to close,
// at most one GROUP WITHIN later — so that one notice covers a window's
// drops whenever the delivery runs.
func (q *eventQueue) drop(ev *cim.Instance) {
	q.mu.Lock()
	if q.werr != nil {
		q.mu.Unlock()
		return
	}
	if q.dropped.n == 0 {
		q.dropped.first = ev
	}
	q.dropped.n++
	q.mu.Unlock()
}

// lose counts n events lost before they reached the queue (a provider's
// own losses): they go out in the overflow notice, at once if the consumer
// has room.
func (q *eventQueue) lose(n int, first *cim.Instance) {
	q.mu.Lock()
	if q.err != nil || q.werr != nil {
		q.mu.Unlock()
		return
	}
	if q.lost.n == 0 {
		q.lost.first = first
	}
	q.lost.n += n
	if q.out != nil {
		q.drainLocked()
	}
	q.mu.Unlock()
	q.signal()
}

// fail ends the queue with err (the first failure wins).
func (q *eventQueue) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	q.signal()
}

// errorOf turns a provider's failure into the subscription's status.
func errorOf(name string, err error) error {
	var we *cim.Error
	if errors.As(err, &we) {
		if we.Provider == "" {
			c := *we
			c.Provider = name
			return &c
		}
		return err
	}
	return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Provider: name, Description: fmt.Sprintf("provider %q: %v", name, err), Err: err}
}
