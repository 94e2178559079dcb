// Package push delivers the events of a subscription to a listener over the
// network: the push half of an event protocol's delivery (WS-Eventing's
// Push, PushWithAck and Events modes; CIM-XML's export of indications).
//
// A protocol subscribes with wbem.Services.ExecNotificationQuery as the
// user it serves and hands the enumerator to Run with a Sender, the
// protocol's own part: it encodes a Message and sends it to the listener.
// Run reads events as they come, gathers them into messages (one event each,
// or batches of MaxEvents gathered for at most MaxWait), sends a heartbeat
// when nothing happened for Heartbeat, and retries a message the listener did
// not take, Retries times every RetryInterval, before it gives up. The
// backlog of a listener that is slow or away is the enumerator's bounded
// queue and the object manager's bounded subscription queue behind it: past
// them the oldest events are lost and the listener is told how many
// (__EventQueueOverflowEvent), never does memory grow. Every event carries a
// sequence number, counted from 1 in the order of delivery, which protocols
// use as bookmarks.
//
// A message is delivered (Send returns nil, Options.Delivered is called)
// only when the listener took it. When ctx ends first the message is
// abandoned: Send's and Run's error wraps ErrAbandoned and ctx's cause, and
// Run hands the events it had read and not delivered to
// Options.Undelivered, so that a protocol keeping the subscription can
// deliver them later instead of losing them without a word.
//
// A protocol that sends a message in parts (WS-Eventing's Events mode sends
// a notice of lost events as a request of its own) says how far the
// listener got with a *PartialError: the events before are delivered, and a
// retry, or Undelivered, has only the rest. Nothing is then sent twice while
// the listener answers. What the listener took without its answer reaching
// the sender (a connection broken after the request went, a timeout) is
// sent again: delivery is at least once, and the sequence numbers, the same
// in every try, let a listener see the repeat.
package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// Message is what one send delivers: events (none in a heartbeat).
type Message struct {
	Events []cim.Object
	// First is the sequence number of Events[0]; the last event's is
	// First+len(Events)-1. In a heartbeat, First is the number the next
	// event will have.
	First uint64
	// Heartbeat marks a message sent because nothing happened.
	Heartbeat bool
}

// Sender sends messages to one listener. Send returns nil once the listener
// took the message (acknowledged it, where the protocol has
// acknowledgements), and an error otherwise — a *PartialError when the
// listener took the message's first events; it must give up when ctx is
// done.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Options tune Run. Zero values take the defaults below.
type Options struct {
	MaxEvents     int           // events per message (1)
	MaxWait       time.Duration // gathering a batch after its first event (DefaultMaxWait)
	Heartbeat     time.Duration // a heartbeat after this long without events (0: none)
	Retries       int           // sends again after a failure (DefaultRetries; < 0: none)
	RetryInterval time.Duration // between those (DefaultRetryInterval)
	// Delivered is called after each message the listener took, e.g. to
	// remember events for a bookmark's replay — after each part of it,
	// when the Sender said it took a part (*PartialError).
	Delivered func(m Message)
	// Undelivered is called by Run, before it returns, with the events it
	// read from the enumerator that the listener did not take: the
	// message abandoned when ctx ended (also a batch still being
	// gathered), or the one that failed every retry — without the part
	// the listener took. A protocol that keeps the subscription keeps
	// these for its next delivery.
	Undelivered func(m Message)
}

// PartialError is the error of a Sender whose listener took the first Taken
// events of a message (0 < Taken < len(Events)) before the send failed with
// Err. Those count as delivered (Options.Delivered is called with them);
// a retry sends the rest, numbered as before.
type PartialError struct {
	Taken int
	Err   error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("the listener took the first %d events, then: %v", e.Taken, e.Err)
}

// Unwrap returns Err.
func (e *PartialError) Unwrap() error { return e.Err }

// Defaults of Options.
const (
	DefaultMaxWait       = time.Second
	DefaultRetries       = 3
	DefaultRetryInterval = 5 * time.Second
	// MaxMaxEvents caps Options.MaxEvents.
	MaxMaxEvents = 1024
)

// ErrUndeliverable is wrapped by Run's error when the listener did not take
// a message after every retry.
var ErrUndeliverable = errors.New("push: the listener did not take the events")

// ErrAbandoned is wrapped, with ctx's cause, by Send's and Run's error when
// ctx ended before the listener took the message: it was not delivered.
var ErrAbandoned = errors.New("push: abandoned before the listener took the events")

// abandoned is the error of a send or Run whose ctx ended.
func abandoned(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrAbandoned, context.Cause(ctx))
}

// Run delivers the events of e through s until ctx is done (ErrAbandoned,
// wrapping ctx's cause), the listener failed every retry (ErrUndeliverable,
// wrapping the last send's error) or the subscription ended (nil, or its
// failure). In the first two cases the events Run had read and the listener
// did not take go to o.Undelivered. next is the sequence number of the
// first event (1 for a new subscription). Run does not close e.
func Run(ctx context.Context, e *wbem.Enumerator, s Sender, next uint64, o Options) error {
	o = o.withDefaults()
	if next == 0 {
		next = 1
	}
	buf := make([]cim.Object, o.MaxEvents)
	for {
		// Wait for the first event, or for the heartbeat.
		wait := wbem.Infinite
		if o.Heartbeat > 0 {
			wait = o.Heartbeat
		}
		n, err := e.NextContext(ctx, wait, buf[:1])
		if ctx.Err() != nil {
			return undelivered(ctx, buf[:n], next, o)
		}
		if n == 0 {
			if err == wbem.ErrTimedOut {
				if _, serr := send(ctx, s, Message{First: next, Heartbeat: true}, o); serr != nil {
					return serr
				}
				continue
			}
			return ended(err)
		}
		// Gather the rest of a batch.
		if o.MaxEvents > 1 && err == nil {
			deadline := time.Now().Add(o.MaxWait)
			for n < o.MaxEvents && err == nil {
				d := time.Until(deadline)
				if d <= 0 {
					d = wbem.NoWait
				}
				var k int
				k, err = e.NextContext(ctx, d, buf[n:])
				n += k
				if err == wbem.ErrTimedOut {
					err = nil
					break
				}
			}
			if ctx.Err() != nil {
				return undelivered(ctx, buf[:n], next, o)
			}
		}
		m := Message{Events: append([]cim.Object(nil), buf[:n]...), First: next}
		clear(buf[:n])
		if rest, serr := send(ctx, s, m, o); serr != nil {
			if o.Undelivered != nil && len(rest.Events) > 0 {
				o.Undelivered(rest)
			}
			return serr
		}
		next += uint64(n)
		if err != nil && err != wbem.ErrTimedOut {
			return ended(err)
		}
	}
}

// undelivered ends a Run whose ctx ended with events read and not sent.
func undelivered(ctx context.Context, events []cim.Object, next uint64, o Options) error {
	if len(events) > 0 && o.Undelivered != nil {
		o.Undelivered(Message{Events: append([]cim.Object(nil), events...), First: next})
	}
	return abandoned(ctx)
}

func (o Options) withDefaults() Options {
	if o.MaxEvents <= 0 {
		o.MaxEvents = 1
	}
	o.MaxEvents = min(o.MaxEvents, MaxMaxEvents)
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	return o
}

// ended turns the end of the enumeration into Run's result.
func ended(err error) error {
	if err == nil || err == io.EOF {
		return nil
	}
	return err
}

// Send sends one message as Run does, retrying as o says: nil once the
// listener took it (o.Delivered is called), ErrUndeliverable after the last
// retry, ErrAbandoned (wrapping ctx's cause) when ctx ended before the
// listener took it. Protocols use it for messages of their own (events
// delivered again to a subscriber that resumed); o.Undelivered is Run's
// only. When the listener took the message in parts (*PartialError),
// o.Delivered is called with each part as it was taken: what it was not
// called with is what was not delivered.
func Send(ctx context.Context, s Sender, m Message, o Options) error {
	_, err := send(ctx, s, m, o.withDefaults())
	return err
}

// send is Send, which also returns what was not delivered when it fails:
// m without the parts the listener took.
func send(ctx context.Context, s Sender, m Message, o Options) (Message, error) {
	var err error
	for try := 0; try <= o.Retries; try++ {
		if try > 0 {
			t := time.NewTimer(o.RetryInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return m, abandoned(ctx)
			case <-t.C:
			}
		}
		if err = s.Send(ctx, m); err == nil {
			if o.Delivered != nil {
				o.Delivered(m)
			}
			return Message{}, nil
		}
		var part *PartialError
		if errors.As(err, &part) && part.Taken > 0 && part.Taken < len(m.Events) {
			if o.Delivered != nil {
				o.Delivered(Message{Events: m.Events[:part.Taken:part.Taken], First: m.First})
			}
			m = Message{Events: m.Events[part.Taken:], First: m.First + uint64(part.Taken)}
		}
		if ctx.Err() != nil {
			return m, abandoned(ctx)
		}
	}
	return m, errors.Join(ErrUndeliverable, err)
}
