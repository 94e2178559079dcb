package wsman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/push"
)

// startPush starts the goroutine that pushes a subscription's events to
// its NotifyTo address: events delivered again after a resume first, then
// new ones as they come (internal/push does the batching, heartbeats and
// retries). When the listener fails every retry, the subscription is
// suspended (bookmarks) or ends. Events the listener did not take — the
// push stopped (a takeover, Unsubscribe, expiry, the server closing) or
// failed — go back to sub.pending, ahead of any there, for whoever resumes
// the subscription; an ended subscription drops them with everything else.
func (sub *eventSub) startPush() {
	ctx, cancel := context.WithCancel(sub.s.base)
	done := make(chan struct{})
	sub.mu.Lock()
	sub.stopPush, sub.pushDone = cancel, done
	again := sub.pending
	sub.pending = nil
	next := sub.next
	sub.mu.Unlock()
	p := &pusher{sub: sub, hc: sub.s.opts.PushClient}
	if p.hc == nil {
		p.hc = defaultPushClient
	}
	opts := sub.pushOpts
	opts.Delivered = func(m push.Message) { sub.delivered(m.Events) }
	var kept []cim.Object // read from the enumerator, not delivered
	opts.Undelivered = func(m push.Message) { kept = m.Events }
	// The events delivered again go first, in messages of their own; what
	// the listener took of them (all of a message, or its first part) is
	// no longer to send.
	againOpts := opts
	againOpts.Delivered = func(m push.Message) {
		sub.delivered(m.Events)
		again, next = again[len(m.Events):], m.First+uint64(len(m.Events))
	}
	go func() {
		defer close(done)
		var err error
		for len(again) > 0 && err == nil {
			n := min(len(again), max(opts.MaxEvents, 1))
			err = push.Send(ctx, p, push.Message{Events: again[:n], First: next}, againOpts)
		}
		if err == nil {
			err = push.Run(ctx, sub.e, p, next, opts)
		}
		if len(again)+len(kept) > 0 {
			sub.mu.Lock()
			sub.pending = append(append(append([]cim.Object(nil), again...), kept...), sub.pending...)
			sub.mu.Unlock()
		}
		if errors.Is(err, push.ErrAbandoned) || ctx.Err() != nil {
			return // Unsubscribe, expiry, a takeover or the server closing
		}
		if err == nil {
			err = fmt.Errorf("the subscription ended")
		}
		sub.suspendOrEnd("wse:DeliveryFailure", "events could not be delivered to "+sub.notify.addr.Redacted()+": "+err.Error())
	}()
}

var defaultPushClient = &http.Client{Timeout: DefaultPushTimeout}

// pusher sends one subscription's messages to its listener.
type pusher struct {
	sub *eventSub
	hc  *http.Client
}

// Send implements push.Sender: a notice of lost events becomes a
// DroppedEvents message, the others go one per message (Push,
// PushWithAck) or in one wsman:Events batch. A message may so go out as
// several requests: when one fails after others were taken, Send says how
// many events the listener took (*push.PartialError), so that a retry
// sends only the rest.
func (p *pusher) Send(ctx context.Context, m push.Message) error {
	sub := p.sub
	if m.Heartbeat {
		body := ""
		if sub.mode == DeliveryEvents {
			body = "<wsman:Events/>"
		}
		return p.post(ctx, actHeartbeat, "", body)
	}
	taken := 0 // events of m the listener took; batch follows them
	var batch []cim.Object
	bookmark := func(n int) string { // after the next n events
		if !sub.bookmarks {
			return ""
		}
		return "<wsman:Bookmark>" + sub.bookmark(m.First+uint64(taken+n)-1) + "</wsman:Bookmark>"
	}
	failed := func(err error) error {
		if taken > 0 {
			return &push.PartialError{Taken: taken, Err: err}
		}
		return err
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var body bytes.Buffer
		action := actEvent
		if sub.mode == DeliveryEvents {
			action = actEvents
			body.WriteString("<wsman:Events>")
			for _, obj := range batch {
				body.WriteString(`<wsman:Event Action="` + actEvent + `">`)
				p.writeObject(&body, obj)
				body.WriteString("</wsman:Event>")
			}
			body.WriteString("</wsman:Events>")
		} else {
			p.writeObject(&body, batch[0])
		}
		if err := p.post(ctx, action, bookmark(len(batch)), body.String()); err != nil {
			return failed(err)
		}
		taken += len(batch)
		batch = batch[:0]
		return nil
	}
	for _, obj := range m.Events {
		if lost, ok := droppedCount(obj); ok {
			if err := flush(); err != nil {
				return err
			}
			if err := p.post(ctx, actDroppedEvents, bookmark(1), `<wsman:DroppedEvents Action="`+actEvent+`">`+strconv.FormatUint(lost, 10)+"</wsman:DroppedEvents>"); err != nil {
				return failed(err)
			}
			taken++
			continue
		}
		batch = append(batch, obj)
		if sub.mode != DeliveryEvents {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// droppedCount recognises the object manager's notice of lost events.
func droppedCount(obj cim.Object) (uint64, bool) {
	inst, ok := obj.(*cim.Instance)
	if !ok || !inst.Class().IsA("__EventDroppedEvent") {
		return 0, false
	}
	return inst.Value("NumberOfEvents").Uint(), true
}

func (p *pusher) writeObject(w *bytes.Buffer, obj cim.Object) {
	switch o := obj.(type) {
	case *cim.Instance:
		p.sub.iw.writeInstance(w, o)
	case *cim.Class:
		writeClassDef(w, o)
	}
}

// post sends one message to the listener; with acknowledgements it wants
// wsman:Ack back.
func (p *pusher) post(ctx context.Context, action, headers, body string) error {
	return postMessage(ctx, p.hc, p.sub.notify, action, headers+p.ackHeader(), body, p.sub.mode != DeliveryPush)
}

func (p *pusher) ackHeader() string {
	if p.sub.mode == DeliveryPush {
		return ""
	}
	return "<wsman:AckRequested/>"
}

// postMessage sends a message to an endpoint: its reference parameters
// become headers. With ack it wants a wsman:Ack response relating to the
// message; otherwise any 2xx will do.
func postMessage(ctx context.Context, hc *http.Client, to *endpoint, action, headers, body string, ack bool) error {
	var b bytes.Buffer
	id := "uuid:" + newUUID()
	b.WriteString(`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsa="` + nsWSA + `" xmlns:wsman="` + nsWSMAN + `" xmlns:wse="` + nsWSE +
		`" xmlns:cim="` + nsCIM + `" xmlns:xsi="` + nsXSI + `" xmlns:gw="` + NamespaceGowbem + `"><s:Header><wsa:To>`)
	escapeText(&b, to.addr.String())
	b.WriteString("</wsa:To><wsa:Action>" + action + "</wsa:Action><wsa:MessageID>" + id + "</wsa:MessageID>")
	if ack {
		b.WriteString("<wsa:ReplyTo><wsa:Address>" + anonymous + "</wsa:Address></wsa:ReplyTo>")
	}
	for _, p := range to.params {
		printXML(&b, p)
	}
	b.WriteString(headers + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>")
	ctx, cancel := context.WithTimeout(ctx, DefaultPushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.addr.String(), &b)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the listener answered HTTP %d", resp.StatusCode)
	}
	if !ack {
		return nil
	}
	root, err := parseXMLString(string(data))
	if err != nil {
		return fmt.Errorf("the listener's answer is not XML: %v", err)
	}
	h := root.child(nsSOAP, "Header")
	if got := h.child(nsWSA, "Action").text(); got != actAck {
		return fmt.Errorf("the listener answered %q, not %s", got, actAck)
	}
	if rel := h.child(nsWSA, "RelatesTo").text(); rel != "" && !strings.EqualFold(rel, id) {
		return fmt.Errorf("the listener's Ack relates to %s, not to %s", rel, id)
	}
	return nil
}

// sendEnd tells the subscriber at EndTo that its subscription ended (one
// try: the subscription is gone either way).
func (sub *eventSub) sendEnd(status, reason string) {
	hc := sub.s.opts.PushClient
	if hc == nil {
		hc = defaultPushClient
	}
	var b strings.Builder
	b.WriteString("<wse:SubscriptionEnd><wse:SubscriptionManager><wsa:Address>" + anonymous + "</wsa:Address><wsa:ReferenceParameters><wse:Identifier>" +
		sub.id + "</wse:Identifier></wsa:ReferenceParameters></wse:SubscriptionManager><wse:Status>" + status + `</wse:Status><wse:Reason xml:lang="en-US">`)
	var r bytes.Buffer
	escapeText(&r, reason)
	b.WriteString(r.String() + "</wse:Reason></wse:SubscriptionEnd>")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	postMessage(ctx, hc, sub.endTo, actSubscriptionEnd, "", b.String(), false)
}
