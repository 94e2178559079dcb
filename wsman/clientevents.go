package wsman

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// DefaultClientSubscriptionExpiry is the lifetime the client asks for its
// subscriptions; it renews them at half of what the server granted.
const DefaultClientSubscriptionExpiry = 10 * time.Minute

// subscribe runs ExecNotificationQuery over WS-Eventing: a Subscribe with
// pull delivery and the WQL filter, then Pulls on the enumeration context
// it returns, each writing its events to w, a Renew before each expiry,
// and Unsubscribe when the caller releases the enumerator (or its context
// ends).
func (c *Client) subscribe(ctx context.Context, w wbem.ResultWriter, ns string, op *wbem.Op) error {
	if !strings.EqualFold(op.Language, "WQL") {
		return &cim.Error{Status: cim.WBEM_E_INVALID_QUERY_TYPE, Parameter: op.Language,
			Description: "query language " + op.Language + " is not supported; use WQL"}
	}
	uri := resourceURI(ns, "*")
	expiry := c.opts.SubscriptionExpiry
	body, err := c.roundTrip(ctx, &msg{action: actSubscribe, uri: uri, body: func(b *bytes.Buffer) {
		b.WriteString(`<wse:Subscribe xmlns:wse="` + nsWSE + `"><wse:Delivery Mode="` + DeliveryPull + `"/><wse:Expires>` +
			formatDuration(expiry) + `</wse:Expires><wsman:Filter Dialect="` + DialectWQL + `">`)
		escapeText(b, op.Query)
		b.WriteString("</wsman:Filter></wse:Subscribe>")
	}})
	if err != nil {
		return err
	}
	resp := first(body)
	id := resp.child(nsWSE, "SubscriptionManager").child(nsWSA, "ReferenceParameters").child(nsWSE, "Identifier").text()
	enum := resp.child(nsWSEN, "EnumerationContext").text()
	if resp == nil || resp.Local != "SubscribeResponse" || id == "" || enum == "" {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the SubscribeResponse names no subscription identifier or enumeration context")
	}
	if s, ok := w.(wbem.Subscriber); ok {
		s.Subscribed()
	}
	granted := expiry
	if d, err := parseDuration(resp.child(nsWSE, "Expires").text()); err == nil && d > 0 {
		granted = d
	}
	identifier := func(b *bytes.Buffer) {
		b.WriteString(`<wse:Identifier xmlns:wse="` + nsWSE + `">`)
		escapeText(b, id)
		b.WriteString("</wse:Identifier>")
	}

	// Renew at half the granted lifetime while the subscription lasts.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			t := time.NewTimer(granted / 2)
			select {
			case <-done:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			body, err := c.roundTrip(ctx, &msg{action: actEvRenew, uri: uri, headers: identifier, body: func(b *bytes.Buffer) {
				b.WriteString(`<wse:Renew xmlns:wse="` + nsWSE + `"><wse:Expires>` + formatDuration(expiry) + "</wse:Expires></wse:Renew>")
			}})
			if err != nil {
				return // the Pulls will report why the subscription is gone
			}
			if d, err := parseDuration(first(body).child(nsWSE, "Expires").text()); err == nil && d > 0 {
				granted = d
			}
		}
	}()
	defer func() {
		close(done)
		wg.Wait()
	}()
	unsubscribe := func(string, bool) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		c.roundTrip(rctx, &msg{action: actUnsubscribe, uri: uri, headers: identifier, body: func(b *bytes.Buffer) {
			b.WriteString(`<wse:Unsubscribe xmlns:wse="` + nsWSE + `"/>`)
		}})
	}
	err = c.pulls(ctx, w, ns, &msg{uri: uri}, enum, false, unsubscribe)
	if err != nil && ctx.Err() == nil {
		unsubscribe("", false) // a failure: the server may hold it still
	}
	return err
}
