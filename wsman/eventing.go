package wsman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/internal/push"
	"github.com/gowbem/gowbem/wbem"
)

// WS-Eventing (2004/08) as DSP0226 uses it.
const (
	nsWSE      = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	wsmanActns = "http://schemas.dmtf.org/wbem/wsman/1/wsman"

	actSubscribe       = nsWSE + "/Subscribe"
	actEvRenew         = nsWSE + "/Renew"
	actEvGetStatus     = nsWSE + "/GetStatus"
	actUnsubscribe     = nsWSE + "/Unsubscribe"
	actSubscriptionEnd = nsWSE + "/SubscriptionEnd"
	actFaultEventing   = nsWSE + "/fault"
	actEvent           = wsmanActns + "/Event"
	actEvents          = wsmanActns + "/Events"
	actHeartbeat       = wsmanActns + "/Heartbeat"
	actDroppedEvents   = wsmanActns + "/DroppedEvents"
	actAck             = wsmanActns + "/Ack"
)

// Delivery modes of Subscribe, and the bookmark that asks for the earliest
// events a service has.
const (
	// DeliveryPush sends each event to the subscriber's NotifyTo address,
	// without acknowledgement (WS-Eventing's default mode).
	DeliveryPush = nsWSE + "/DeliveryModes/Push"
	// DeliveryPushWithAck sends each event and waits for the subscriber's
	// wsman:Ack before the next.
	DeliveryPushWithAck = wsmanActns + "/PushWithAck"
	// DeliveryEvents sends batches (wsman:Events) and waits for an Ack.
	DeliveryEvents = wsmanActns + "/Events"
	// DeliveryPull leaves the events with the service: the subscriber pulls
	// them with ordinary Pulls on the enumeration context SubscribeResponse
	// returns.
	DeliveryPull = wsmanActns + "/Pull"
	// BookmarkEarliest asks for the earliest events the service still has.
	BookmarkEarliest = wsmanActns + "/bookmark/earliest"
)

// Defaults of the eventing options.
const (
	// DefaultMaxSubscriptionExpiry is the longest a subscription lives
	// without a Renew: one that asks for no expiry, or for a longer one,
	// gets this.
	DefaultMaxSubscriptionExpiry = time.Hour
	// DefaultBookmarkRetention is how long a subscription that asked for
	// bookmarks outlives its subscriber (a Pull context gone idle, a push
	// listener that stopped answering): a Subscribe with its last bookmark
	// resumes it within that time, without losing the events between.
	DefaultBookmarkRetention = 2 * time.Minute
	// ReplayWindow is how many delivered events a subscription with
	// bookmarks keeps, to send again to a subscriber that resumes with an
	// older bookmark.
	ReplayWindow = 256
	// MinHeartbeat is the shortest heartbeat interval a subscriber may ask
	// for.
	MinHeartbeat = 100 * time.Millisecond
	// DefaultPushTimeout bounds one push to a subscriber's listener.
	DefaultPushTimeout = 30 * time.Second
)

// subState is where a subscription is in its life.
type subState int

const (
	subActive    subState = iota
	subSuspended          // its subscriber has gone; a bookmark resumes it
	subEnded
)

// eventSub is one WS-Eventing subscription: a semisynchronous
// ExecNotificationQuery of the object manager, delivered by pull (as an
// enumeration context) or by push (a goroutine sending to NotifyTo).
type eventSub struct {
	s      *Server
	id     string // "uuid:…", the wse:Identifier
	user   string
	uri    string // the request's resource URI, echoed in the manager EPR
	ns     string
	mode   string
	e      *wbem.Enumerator
	cancel context.CancelFunc // ends the ExecNotificationQuery
	iw     *instWriter

	heartbeat time.Duration
	bookmarks bool
	notify    *endpoint // push: where events go
	endTo     *endpoint // where SubscriptionEnd goes, when given
	pushOpts  push.Options

	mu       sync.Mutex
	state    subState
	expires  time.Time // zero: never
	expiry   *time.Timer
	retain   *time.Timer          // the end of a suspension
	ec       *enumCtx             // pull: its enumeration context while active
	res      *enumctx.Reservation // the unit of the user's quota it holds (push, suspended)
	stopPush context.CancelFunc   // push: ends the delivery goroutine
	next     uint64               // the sequence number of the next event
	replay   []replayed           // the last delivered events, with bookmarks
	pending  []cim.Object         // events to deliver before new ones: a resume's, or ones not delivered
	pushDone chan struct{}        // closed when the delivery goroutine ended
}

type replayed struct {
	seq uint64
	obj cim.Object
}

// endpoint is a WS-Addressing endpoint reference the service sends to:
// the address, and reference parameters to copy into each message's header.
type endpoint struct {
	addr   *url.URL
	params []*node
}

// subscriptions holds a server's WS-Eventing subscriptions.
type subscriptions struct {
	mu   sync.Mutex
	byID map[string]*eventSub
}

func (s *Server) eventSubs() *subscriptions {
	s.subsOnce.Do(func() { s.subs = &subscriptions{byID: map[string]*eventSub{}} })
	return s.subs
}

// Subscriptions returns the number of open WS-Eventing subscriptions
// (suspended ones included).
func (s *Server) Subscriptions() int {
	t := s.eventSubs()
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}

func faultEventing(code, subcode, why string, st cim.Status) *fault {
	return &fault{code: code, subcode: subcode, action: actFaultEventing, reason: why, status: st}
}

// readEndpoint reads wse:NotifyTo or wse:EndTo: an http(s) address and
// reference parameters.
func readEndpoint(n *node, what string) (*endpoint, *fault) {
	addr := n.child(nsWSA, "Address").text()
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, faultEventing("s:Sender", "wse:EventSourceUnableToProcess",
			fmt.Sprintf("line %d: %s address %q is not an http or https URL", n.Line, what, addr), statusInvalidParameter)
	}
	ep := &endpoint{addr: u}
	for _, rp := range []string{"ReferenceParameters", "ReferenceProperties"} {
		if p := n.child(nsWSA, rp); p != nil {
			ep.params = append(ep.params, p.Kids...)
		}
	}
	return ep, nil
}

// parseExpires reads wse:Expires: an xs:duration or an xs:dateTime.
func parseExpires(n *node, now time.Time) (time.Duration, *fault) {
	text := n.text()
	bad := func(why string) *fault {
		return faultEventing("s:Sender", "wse:InvalidExpirationTime", fmt.Sprintf("line %d: Expires %q %s", n.Line, text, why), statusInvalidParameter)
	}
	if strings.HasPrefix(text, "P") || strings.HasPrefix(text, "-P") {
		d, err := parseDuration(text)
		if err != nil {
			return 0, bad("is not an xs:duration: " + err.Error())
		}
		if d <= 0 {
			return 0, bad("is not in the future")
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return 0, faultEventing("s:Sender", "wse:UnsupportedExpirationType", fmt.Sprintf("line %d: Expires %q is neither an xs:duration nor an xs:dateTime", n.Line, text), statusInvalidParameter)
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0, bad("has passed")
	}
	return d, nil
}

// subscribe serves wse:Subscribe.
func (s *Server) subscribe(reqCtx context.Context, w http.ResponseWriter, req *request, user string) *fault {
	t, f := s.target(req)
	if f != nil {
		return f
	}
	body := req.Body
	if body == nil || body.Local != "Subscribe" || body.Space != nsWSE {
		return faultSchema("the body of Subscribe must be a wse:Subscribe element")
	}
	// The query: a WQL filter, or the event class the URI names.
	query := ""
	filter := body.child(nsWSMAN, "Filter")
	if filter == nil {
		filter = body.child(nsWSE, "Filter")
	}
	switch {
	case filter != nil:
		dialect, _ := filter.attr("", "Dialect")
		dialect = strings.TrimSpace(dialect)
		if dialect != DialectWQL && dialect != DialectEvent {
			return faultEventing("s:Sender", "wse:FilteringRequestedUnavailable",
				"filter dialect "+strconv.Quote(dialect)+" is not supported; use WQL ("+DialectWQL+")", statusNotSupported)
		}
		if query = strings.TrimSpace(filter.Text); query == "" {
			return faultEventing("s:Sender", "wse:EventSourceUnableToProcess", "the WQL filter is empty", cim.WBEM_E_INVALID_QUERY)
		}
	case t.res.Class != "" && !t.res.All:
		query = "SELECT * FROM " + t.res.Class
	default:
		return &fault{code: "s:Sender", subcode: "wsman:UnsupportedFeature", detail: "FilteringRequired", action: actFaultWSMan,
			reason: "a subscription to " + req.ResourceURI + " needs a WQL filter", status: statusInvalidParameter}
	}

	sub := &eventSub{s: s, user: user, uri: req.ResourceURI, ns: t.ns, mode: DeliveryPush, next: 1}
	delivery := body.child(nsWSE, "Delivery")
	if delivery != nil {
		if m, ok := delivery.attr("", "Mode"); ok {
			sub.mode = strings.TrimSpace(m)
		}
	}
	switch sub.mode {
	case DeliveryPull:
	case DeliveryPush, DeliveryPushWithAck, DeliveryEvents:
		notify := delivery.child(nsWSE, "NotifyTo")
		if notify == nil {
			return faultEventing("s:Sender", "wse:EventSourceUnableToProcess", "push delivery needs wse:NotifyTo in wse:Delivery", statusInvalidParameter)
		}
		ep, f := readEndpoint(notify, "NotifyTo")
		if f != nil {
			return f
		}
		if s.opts.PushTo == nil {
			return faultEventing("s:Sender", "wse:DeliveryModeRequestedUnavailable",
				"push delivery is not enabled on this service (Options.PushTo); subscribe with "+DeliveryPull, statusNotSupported)
		}
		if err := s.opts.PushTo(user, ep.addr); err != nil {
			return &fault{code: "s:Sender", subcode: "wsman:AccessDenied", action: actFaultWSMan,
				reason: "user " + strconv.Quote(user) + " may not have events pushed to " + ep.addr.Redacted() + ": " + err.Error(), status: cim.WBEM_E_ACCESS_DENIED}
		}
		if a := delivery.child(nsWSMAN, "Auth"); a != nil {
			if p, _ := a.attr("", "Profile"); p != "" {
				return &fault{code: "s:Sender", subcode: "wsman:UnsupportedFeature", detail: "AuthorizationMode", action: actFaultWSMan,
					reason: "authentication profile " + strconv.Quote(p) + " for the listener is not supported: the listener must take events without credentials", status: statusNotSupported}
			}
		}
		sub.notify = ep
		if sub.mode == DeliveryEvents {
			n, f := parseCount(delivery.child(nsWSMAN, "MaxElements"), "MaxElements", 100)
			if f != nil {
				return f
			}
			sub.pushOpts.MaxEvents = n
			if mt := delivery.child(nsWSMAN, "MaxTime"); mt != nil {
				d, err := parseDuration(mt.text())
				if err != nil || d <= 0 {
					return faultSchema(fmt.Sprintf("line %d: MaxTime %q is not a positive xs:duration", mt.Line, mt.text()))
				}
				sub.pushOpts.MaxWait = d
			}
		}
		if cr := delivery.child(nsWSMAN, "ConnectionRetry"); cr != nil {
			d, err := parseDuration(cr.text())
			if err != nil || d <= 0 {
				return faultSchema(fmt.Sprintf("line %d: ConnectionRetry %q is not a positive xs:duration", cr.Line, cr.text()))
			}
			sub.pushOpts.RetryInterval = d
			if total, ok := cr.attr("", "Total"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(total))
				if err != nil || n < 0 || n > 100 {
					return faultSchema(fmt.Sprintf("line %d: ConnectionRetry Total %q is not a count from 0 to 100", cr.Line, total))
				}
				sub.pushOpts.Retries = n
				if n == 0 {
					sub.pushOpts.Retries = -1
				}
			}
		}
	default:
		return faultEventing("s:Sender", "wse:DeliveryModeRequestedUnavailable",
			"delivery mode "+strconv.Quote(sub.mode)+" is not supported (Pull, Push, PushWithAck and Events are)", statusNotSupported)
	}
	if delivery != nil {
		if hb := delivery.child(nsWSMAN, "Heartbeats"); hb != nil {
			d, err := parseDuration(hb.text())
			if err != nil || d < MinHeartbeat {
				return &fault{code: "s:Sender", subcode: "wsman:InvalidParameter", action: actFaultWSMan,
					reason: fmt.Sprintf("line %d: Heartbeats %q is not a duration of at least %v", hb.Line, hb.text(), MinHeartbeat), status: statusInvalidParameter}
			}
			sub.heartbeat = d
			sub.pushOpts.Heartbeat = d
		}
	}
	if end := body.child(nsWSE, "EndTo"); end != nil {
		ep, f := readEndpoint(end, "EndTo")
		if f != nil {
			return f
		}
		if s.opts.PushTo == nil || s.opts.PushTo(user, ep.addr) != nil {
			return &fault{code: "s:Sender", subcode: "wsman:AccessDenied", action: actFaultWSMan,
				reason: "this service sends no SubscriptionEnd to " + ep.addr.Redacted(), status: cim.WBEM_E_ACCESS_DENIED}
		}
		sub.endTo = ep
	}
	lifetime := s.opts.MaxSubscriptionExpiry
	if ex := body.child(nsWSE, "Expires"); ex != nil {
		d, f := parseExpires(ex, time.Now())
		if f != nil {
			return f
		}
		lifetime = min(d, lifetime)
	}
	sub.bookmarks = body.child(nsWSMAN, "SendBookmarks") != nil

	// Count it against the user's limit before anything starts.
	res, rerr := s.ctxs.Reserve(s, user)
	switch rerr {
	case nil:
	case enumctx.ErrQuota:
		return faultQuota(fmt.Sprintf("user %q has %d open enumerations and subscriptions, the most allowed; end one", user, s.opts.MaxContextsPerUser))
	default:
		return faultShuttingDown()
	}

	// A bookmark of one of the user's subscriptions resumes it.
	var resumed *eventSub
	if bm := body.child(nsWSMAN, "Bookmark"); bm != nil && bm.text() != BookmarkEarliest {
		var f *fault
		if resumed, f = s.takeOver(bm, user); f != nil {
			res.Cancel()
			return f
		}
	}
	if resumed != nil && !strings.EqualFold(resumed.ns, sub.ns) {
		resumed.end("wse:SourceCancelling", "resumed in another namespace")
		res.Cancel()
		return &fault{code: "s:Sender", subcode: "wsman:InvalidBookmark", action: actFaultWSMan,
			reason: "the bookmark's subscription is in namespace " + resumed.ns + ", not " + sub.ns, status: statusInvalidParameter}
	}
	if resumed != nil {
		sub.e, sub.cancel, sub.next, sub.replay, sub.pending = resumed.e, resumed.cancel, resumed.next, resumed.replay, resumed.pending
		sub.bookmarks = sub.bookmarks || resumed.bookmarks
	} else {
		// The subscription lives under the server's context, not the
		// request's: it outlasts this exchange.
		ctx, cancel := context.WithCancel(s.base)
		if c, ok := identity.FromContext(reqCtx); ok {
			ctx = identity.NewContext(ctx, c)
		}
		e, err := t.svc.ExecNotificationQuery(ctx, "WQL", query, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			cancel()
			res.Cancel()
			f := faultFromError(err)
			if st := cim.StatusOf(err); st == cim.WBEM_E_INVALID_QUERY || st == cim.WBEM_E_UNPARSABLE_QUERY || st == cim.WBEM_E_NOT_EVENT_CLASS ||
				st == cim.WBEMESS_E_REGISTRATION_TOO_BROAD || st == cim.WBEMESS_E_REGISTRATION_TOO_PRECISE || st == cim.WBEM_E_INVALID_QUERY_TYPE {
				f.subcode, f.action, f.code = "wse:EventSourceUnableToProcess", actFaultEventing, "s:Sender"
			}
			return f
		}
		sub.e, sub.cancel = e, cancel
	}
	sub.id = "uuid:" + newUUID()
	sub.iw = newInstWriter(uriMapper{base: t.res.Base, ns: t.ns}, "")

	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, actSubscribe+"Response", "")
	buf.WriteString(`<wse:SubscribeResponse xmlns:wse="` + nsWSE + `"><wse:SubscriptionManager><wsa:Address>`)
	to := req.To
	if to == "" {
		to = anonymous
	}
	escapeText(buf, to)
	buf.WriteString("</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>")
	escapeText(buf, req.ResourceURI)
	buf.WriteString("</wsman:ResourceURI><wse:Identifier>" + sub.id + "</wse:Identifier></wsa:ReferenceParameters></wse:SubscriptionManager>")
	buf.WriteString("<wse:Expires>" + formatDuration(lifetime) + "</wse:Expires>")

	sub.mu.Lock()
	sub.expires = time.Now().Add(lifetime)
	sub.expiry = time.AfterFunc(lifetime, func() { sub.end("", "") }) // expiry is no surprise: no SubscriptionEnd
	sub.mu.Unlock()
	if sub.mode == DeliveryPull {
		ec := sub.pullContext()
		entry, err := res.Open(ec, s.opts.IdleTimeout, func() { sub.contextEnded(ec) })
		if err != nil {
			sub.end("wse:SourceShuttingDown", "the service is shutting down")
			return faultShuttingDown()
		}
		ec.entry, ec.id = entry, entry.ID
		buf.WriteString("<wsen:EnumerationContext>" + ec.id + "</wsen:EnumerationContext>")
	} else {
		sub.res = res
		sub.startPush()
	}
	buf.WriteString("</wse:SubscribeResponse>" + envelopeEnd)
	tab := s.eventSubs()
	tab.mu.Lock()
	tab.byID[sub.id] = sub
	tab.mu.Unlock()
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// pullContext makes the enumeration context of a pull subscription: Pulls
// read the subscription's enumerator, events delivered again first.
func (sub *eventSub) pullContext() *enumCtx {
	ec := &enumCtx{user: sub.user, e: sub.e, mode: modeObject, iw: sub.iw, event: true, sub: sub, cancel: func() {}}
	sub.mu.Lock()
	ec.pending, sub.pending = sub.pending, nil
	sub.ec = ec
	sub.mu.Unlock()
	return ec
}

// delivered records events that went out: their sequence numbers, and the
// last ReplayWindow of them when the subscriber wants bookmarks.
func (sub *eventSub) delivered(objs []cim.Object) (last uint64) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for _, o := range objs {
		if sub.bookmarks {
			if len(sub.replay) == ReplayWindow {
				copy(sub.replay, sub.replay[1:])
				sub.replay = sub.replay[:ReplayWindow-1]
			}
			sub.replay = append(sub.replay, replayed{sub.next, o})
		}
		sub.next++
	}
	return sub.next - 1
}

// bookmark is the text of a bookmark after event seq.
func (sub *eventSub) bookmark(seq uint64) string {
	return sub.id + ";" + strconv.FormatUint(seq, 10)
}

// takeOver finds the subscription a bookmark names and takes it from its
// subscriber: the events after the bookmark that it still has are
// delivered again first.
func (s *Server) takeOver(bm *node, user string) (*eventSub, *fault) {
	text := bm.text()
	bad := func(why string) *fault {
		return &fault{code: "s:Sender", subcode: "wsman:InvalidBookmark", action: actFaultWSMan,
			reason: "bookmark " + strconv.Quote(text) + " " + why, status: statusInvalidParameter}
	}
	id, seqText, ok := strings.Cut(text, ";")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || err != nil {
		return nil, bad("is not one of this service's")
	}
	tab := s.eventSubs()
	tab.mu.Lock()
	old := tab.byID[id]
	if old == nil || old.user != user {
		tab.mu.Unlock()
		return nil, bad("names no subscription of user " + strconv.Quote(user) + " that can be resumed (it ended, or its retention passed)")
	}
	delete(tab.byID, id)
	tab.mu.Unlock()
	old.mu.Lock()
	if old.state == subEnded {
		old.mu.Unlock()
		return nil, bad("names a subscription that has ended")
	}
	if seq >= old.next {
		old.mu.Unlock()
		return nil, bad("is ahead of its subscription")
	}
	ec := old.ec
	old.mu.Unlock()
	if ec != nil {
		// No Pull may be reading the subscription while it changes hands.
		if _, err := s.ctxs.Acquire(s, ec.id, user); err == enumctx.ErrBusy {
			tab.mu.Lock()
			tab.byID[id] = old
			tab.mu.Unlock()
			return nil, &fault{code: "s:Sender", subcode: "wsman:Concurrency", action: actFaultWSMan,
				reason: "a Pull on the subscription of bookmark " + strconv.Quote(text) + " is in progress; try again when it has returned", status: cim.WBEM_E_INVALID_OPERATION}
		}
	}
	// Detach the old delivery without ending the object manager's
	// subscription.
	old.mu.Lock()
	old.state = subEnded
	stopTimer(old.expiry)
	stopTimer(old.retain)
	ec, res, stop, done := old.ec, old.res, old.stopPush, old.pushDone
	old.ec, old.res, old.stopPush = nil, nil, nil
	old.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if ec != nil {
		s.ctxs.Remove(s, ec.id, user) // ec is no longer sub.ec: its end ends nothing
	}
	if res != nil {
		res.Cancel()
	}
	old.mu.Lock()
	defer old.mu.Unlock()
	// Events after the bookmark: those still remembered, then what a Pull
	// had read and not sent.
	var again []cim.Object
	if len(old.replay) > 0 && old.replay[0].seq > seq+1 {
		lost := old.replay[0].seq - seq - 1
		again = append(again, s.droppedNotice(old, lost))
	}
	for _, r := range old.replay {
		if r.seq > seq {
			again = append(again, r.obj)
		}
	}
	if ec != nil {
		again = append(again, ec.pending...)
	}
	again = append(again, old.pending...)
	old.pending = again
	// The replayed events get their sequence numbers again.
	old.next = seq + 1
	old.replay = nil
	return old, nil
}

// droppedNotice tells a resuming subscriber how many events fell out of the
// replay window.
func (s *Server) droppedNotice(sub *eventSub, n uint64) cim.Object {
	c, err := cim.Derive(nil, &cim.Class{Name: "__EventDroppedEvent", Properties: []cim.Property{{Name: "NumberOfEvents", Type: cim.TypeUint32}}})
	if err != nil {
		panic(err)
	}
	inst := c.NewInstance()
	inst.Set("NumberOfEvents", cim.Uint32(uint32(min(n, 1<<32-1))))
	return inst
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// contextEnded is called when the enumeration context of a pull
// subscription ends without Unsubscribe: released, idle, its client gone,
// or the server closing. With bookmarks the subscription waits to be
// resumed; otherwise it ends.
func (sub *eventSub) contextEnded(ec *enumCtx) {
	sub.mu.Lock()
	if sub.ec != ec {
		sub.mu.Unlock()
		return // taken over or ended: not the subscription's context any more
	}
	sub.ec = nil
	sub.pending = append(ec.pending, sub.pending...)
	ec.pending = nil
	sub.mu.Unlock()
	sub.suspendOrEnd("wse:DeliveryFailure", "the subscriber stopped pulling")
}

// suspendOrEnd keeps a subscription with bookmarks for the retention time
// (holding a unit of its user's quota), and ends the others.
func (sub *eventSub) suspendOrEnd(status, reason string) {
	sub.mu.Lock()
	if sub.state != subActive {
		sub.mu.Unlock()
		return
	}
	if !sub.bookmarks || sub.s.opts.BookmarkRetention <= 0 {
		sub.mu.Unlock()
		sub.end(status, reason)
		return
	}
	if sub.res == nil {
		res, err := sub.s.ctxs.Reserve(sub.s, sub.user)
		if err != nil {
			sub.mu.Unlock()
			sub.end(status, reason)
			return
		}
		sub.res = res
	}
	sub.state = subSuspended
	sub.retain = time.AfterFunc(sub.s.opts.BookmarkRetention, func() { sub.end(status, reason+", and no subscriber resumed it") })
	sub.mu.Unlock()
}

// end ends the subscription for good: the object manager's subscription is
// released, the subscriber told (SubscriptionEnd) when it gave EndTo.
func (sub *eventSub) end(status, reason string) {
	sub.mu.Lock()
	if sub.state == subEnded {
		sub.mu.Unlock()
		return
	}
	sub.state = subEnded
	stopTimer(sub.expiry)
	stopTimer(sub.retain)
	ec, res, stop := sub.ec, sub.res, sub.stopPush
	sub.ec, sub.res, sub.stopPush = nil, nil, nil
	sub.replay, sub.pending = nil, nil
	sub.mu.Unlock()
	tab := sub.s.eventSubs()
	tab.mu.Lock()
	if tab.byID[sub.id] == sub {
		delete(tab.byID, sub.id)
	}
	tab.mu.Unlock()
	if stop != nil {
		stop()
	}
	if ec != nil {
		sub.s.ctxs.Remove(sub.s, ec.id, sub.user)
	}
	if res != nil {
		res.Cancel()
	}
	sub.e.Close()
	sub.cancel()
	if sub.endTo != nil && status != "" {
		go sub.sendEnd(status, reason)
	}
}

// lookupSub finds the subscription a Renew, GetStatus or Unsubscribe names
// in its wse:Identifier header; another user's is reported as unknown.
func (s *Server) lookupSub(req *request, user string) *eventSub {
	tab := s.eventSubs()
	tab.mu.Lock()
	defer tab.mu.Unlock()
	sub := tab.byID[req.Identifier]
	if sub == nil || sub.user != user {
		return nil
	}
	return sub
}

func faultUnknownSub(req *request, subcode string) *fault {
	id := req.Identifier
	if id == "" {
		return faultSchema("the request has no wse:Identifier header naming the subscription")
	}
	f := faultEventing("s:Receiver", subcode, "subscription "+strconv.Quote(id)+" is unknown, ended or expired", statusInvalidParameter)
	if subcode == "wsa:DestinationUnreachable" {
		f.action, f.code = actFaultAddressing, "s:Sender"
	}
	return f
}

// renew serves wse:Renew: a new expiry, capped like Subscribe's.
func (s *Server) renew(w http.ResponseWriter, req *request, user string) *fault {
	sub := s.lookupSub(req, user)
	if sub == nil {
		return faultUnknownSub(req, "wse:UnableToRenew")
	}
	lifetime := s.opts.MaxSubscriptionExpiry
	if req.Body != nil {
		if ex := req.Body.child(nsWSE, "Expires"); ex != nil {
			d, f := parseExpires(ex, time.Now())
			if f != nil {
				return f
			}
			lifetime = min(d, lifetime)
		}
	}
	sub.mu.Lock()
	if sub.state != subActive {
		sub.mu.Unlock()
		return faultUnknownSub(req, "wse:UnableToRenew")
	}
	sub.expires = time.Now().Add(lifetime)
	sub.expiry.Reset(lifetime)
	sub.mu.Unlock()
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, actEvRenew+"Response", "")
	buf.WriteString(`<wse:RenewResponse xmlns:wse="` + nsWSE + `"><wse:Expires>` + formatDuration(lifetime) + "</wse:Expires></wse:RenewResponse>" + envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// getStatus serves wse:GetStatus: how long the subscription has left.
func (s *Server) getStatus(w http.ResponseWriter, req *request, user string) *fault {
	sub := s.lookupSub(req, user)
	if sub == nil {
		return faultUnknownSub(req, "wsa:DestinationUnreachable")
	}
	sub.mu.Lock()
	left := time.Until(sub.expires)
	sub.mu.Unlock()
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, actEvGetStatus+"Response", "")
	buf.WriteString(`<wse:GetStatusResponse xmlns:wse="` + nsWSE + `"><wse:Expires>` + formatDuration(max(left, 0)) + "</wse:Expires></wse:GetStatusResponse>" + envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// unsubscribe serves wse:Unsubscribe: the subscription ends at once, also
// while a Pull waits on it.
func (s *Server) unsubscribe(w http.ResponseWriter, req *request, user string) *fault {
	sub := s.lookupSub(req, user)
	if sub == nil {
		return faultUnknownSub(req, "wsa:DestinationUnreachable")
	}
	sub.end("", "")
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, actUnsubscribe+"Response", "")
	buf.WriteString(envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// closeSubscriptions ends every subscription (Server.Close).
func (s *Server) closeSubscriptions() {
	tab := s.eventSubs()
	tab.mu.Lock()
	subs := make([]*eventSub, 0, len(tab.byID))
	for _, sub := range tab.byID {
		subs = append(subs, sub)
	}
	tab.mu.Unlock()
	for _, sub := range subs {
		sub.end("wse:SourceShuttingDown", "the service is shutting down")
	}
}

// pullEvents answers a Pull on a subscription's context: like an
// enumeration's, with the bookmark of the last event in the header when
// asked for, and a heartbeat (an empty PullResponse with wsman:Heartbeat)
// instead of a timeout when the subscriber asked for heartbeats.
//
// The events count as delivered (numbered, remembered for replay) only once
// the response was written: handed to the connection, while the request
// was live. A Pull whose client went away first — during the wait, or
// before or while the response was written — delivered nothing: its events
// go back to the context, ahead of the rest and in order, and the context
// ends as the client has gone (contextEnded: they go on to the
// subscription's pending events, for whoever resumes it, and get the same
// sequence numbers then). The context is held until then, so that no other
// Pull or resume takes events or numbers meanwhile — but not until the
// client can have the whole response: it may send its next Pull as soon
// as it has, on another connection, and that Pull must find the context
// free. So the response is written but for its last byte, the events are
// delivered and the context released, and then the last byte goes.
func (s *Server) pullEvents(ctx context.Context, w http.ResponseWriter, req *request, ec *enumCtx, maxEl int, wait time.Duration, limit int) *fault {
	sub := ec.sub
	heartbeat := false
	if sub.heartbeat > 0 && sub.heartbeat < wait {
		wait, heartbeat = sub.heartbeat, true
	}
	var sent []cim.Object
	ec.onItem = func(obj cim.Object) { sent = append(sent, obj) }
	items := getBuf()
	defer putBuf(items)
	limit -= 256 // room for a bookmark
	// Never in chunks: the bookmark, in the header, comes from the items.
	n, eos, f := ec.fill(ctx, &respWriter{buf: items}, maxEl, wait, limit)
	ec.onItem = nil
	notSent := func() {
		ec.pending = append(sent, ec.pending...)
		s.done(ec, true)
	}
	if f != nil && (!heartbeat || f.subcode != "wsman:TimedOut") {
		if ctx.Err() != nil {
			notSent() // the client went away during the wait
		} else {
			s.done(ec, eos)
		}
		return f
	}
	buf := getBuf()
	defer putBuf(buf)
	headers := ""
	if f != nil {
		headers = "<wsman:Heartbeat/>"
	} else if sub.bookmarks && n > 0 {
		sub.mu.Lock()
		last := sub.next + uint64(len(sent)) - 1 // delivered below, once written
		sub.mu.Unlock()
		headers = "<wsman:Bookmark>" + sub.bookmark(last) + "</wsman:Bookmark>"
	}
	startEnvelopeHeaders(buf, req, actPull+"Response", "", headers)
	buf.WriteString("<wsen:PullResponse>")
	if !eos {
		buf.WriteString("<wsen:EnumerationContext>" + ec.id + "</wsen:EnumerationContext>")
	}
	if n > 0 {
		buf.WriteString("<wsen:Items>")
		buf.Write(items.Bytes())
		buf.WriteString("</wsen:Items>")
	}
	if eos {
		buf.WriteString("<wsen:EndOfSequence/>")
	}
	buf.WriteString("</wsen:PullResponse>" + envelopeEnd)
	finish, err := sendHeld(ctx, w, buf.Bytes())
	if err != nil {
		s.opts.Logger.Debug("a PullResponse of events was not written: they wait for the subscriber to resume", "user", sub.user, "events", len(sent), "err", err)
		notSent()
		return nil
	}
	sub.delivered(sent)
	s.done(ec, eos)
	finish()
	return nil
}

// sendHeld is send for a response that must be known written, but for its
// last byte, which finish writes: until then the client cannot have the
// response (its Content-Length says one byte more). It is not written when
// ctx (the request's) has ended, and the error of its write or of flushing
// it to the connection is returned. Written means handed to the connection
// (the operating system's buffer): the client may still not get it if the
// connection breaks later.
func sendHeld(ctx context.Context, w http.ResponseWriter, body []byte) (finish func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := w.Header()
	h.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	n := len(body) - 1
	if _, err := w.Write(body[:n]); err != nil {
		return nil, err
	}
	if err := http.NewResponseController(w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return nil, err
	}
	return func() { w.Write(body[n:]) }, nil
}

// startEnvelopeHeaders is startEnvelope with extra header elements.
func startEnvelopeHeaders(w *bytes.Buffer, req *request, action, primaryURI, headers string) {
	startEnvelope(w, req, action, primaryURI)
	if headers == "" {
		return
	}
	const end = "</s:Header><s:Body>"
	b := w.Bytes()
	if bytes.HasSuffix(b, []byte(end)) {
		w.Truncate(len(b) - len(end))
		w.WriteString(headers + end)
	}
}
