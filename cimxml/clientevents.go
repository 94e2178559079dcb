package cimxml

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// This file is the client's ExecNotificationQuery. CIM-XML has no pull
// delivery of events: a subscriber runs an indication listener and asks
// the server (DSP1054) to export the events of a filter to it. So the
// client, per event query, starts a Listener on a local address, creates a
// CIM_IndicationFilter, a CIM_ListenerDestinationCIMXML naming the
// listener and a CIM_IndicationSubscription joining them, and writes each
// exported indication into the operation's bounded queue: to the caller it
// is the semisynchronous event enumerator of the other backends (Next
// answers WBEM_S_TIMEDOUT while nothing happened). Close deletes the three
// instances and stops the listener.

// DefaultCleanupTimeout bounds the deletion of a client subscription's
// three instances once its enumerator is closed.
const DefaultCleanupTimeout = 30 * time.Second

// listenerHost is the local address the client listens on for a server
// at endpoint: the one its connections to the server leave from (the
// address the server can reach it at), else the loopback.
func listenerHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "127.0.0.1"
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "5989"}[u.Scheme]
		if port == "" {
			port = "5988"
		}
	}
	// A UDP "connection" sends nothing; it only picks the route.
	conn, err := net.Dial("udp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return "127.0.0.1"
	}
	defer conn.Close()
	return conn.LocalAddr().(*net.UDPAddr).IP.String()
}

// clientSub is one event query's objects on the server.
type clientSub struct {
	c     *Client
	ns    string
	paths []cim.ObjectPath // made so far: filter, destination, subscription
}

// subscribe serves ExecNotificationQuery: it returns once the
// subscription is deleted again (the consumer closed the enumerator, or
// ctx ended), or with the failure of setting it up.
func (c *Client) subscribe(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	fail := func(err error) error {
		e := cim.AsError(err)
		if e.Operation == "" {
			e.Operation = "ExecNotificationQuery"
		}
		return e
	}
	var token [16]byte
	rand.Read(token[:])
	id := hex.EncodeToString(token[:])
	s := &clientSub{c: c, ns: ns}
	var hs *http.Server // the listener, stopped once the subscription is gone
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultCleanupTimeout)
		defer cancel()
		s.deleteAll(cctx)
		if hs != nil {
			hs.Close()
		}
	}()
	name := "gowbem-" + id
	source := strings.ReplaceAll(ns, `\`, "/")
	// The filter first: the server's answer tells whether it trusts a
	// listener by a pinned certificate.
	if err := s.create(ctx, "CIM_IndicationFilter", [][2]string{{"Name", name}, {"Query", op.Query},
		{"QueryLanguage", op.Language}, {"SourceNamespace", source}}, nil); err != nil {
		return fail(err)
	}
	addr := c.opts.ListenerAddress
	if addr == "" {
		addr = net.JoinHostPort(listenerHost(c.endpoint), "0")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(&cim.Error{Status: cim.WBEM_E_FAILED, Parameter: "listener",
			Description: "the indication listener cannot listen on " + addr + ": " + err.Error()})
	}
	// Over https to a server that trusts a pinned certificate, the
	// listener is https too, under the process's own certificate, pinned
	// in the URL's fragment: the events do not cross the network in clear.
	scheme, pin := "http", ""
	if strings.HasPrefix(strings.ToLower(c.endpoint), "https:") && c.pin.Load() {
		cert, err := listenerCert()
		if err != nil {
			ln.Close()
			return fail(&cim.Error{Status: cim.WBEM_E_FAILED, Parameter: "listener", Description: "the indication listener's certificate: " + err.Error()})
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme, pin = "https", "#"+certPin(cert)
	}
	host := ln.Addr().(*net.TCPAddr)
	// The URL's random path is the listener's secret: the server sends no
	// credentials, and any other request gets 404.
	path := "/gowbem/indications/" + id
	var mu sync.Mutex // one indication at a time, in order
	l := NewListener(func(ictx context.Context, ind *cim.Instance) error {
		mu.Lock()
		defer mu.Unlock()
		return w.Write(ind)
	}, ListenerOptions{AllowAnonymous: true})
	// The indications are read with their classes, as the other
	// backends' events are (an event IsA __InstanceOperationEvent).
	l.lookup = func(name string) (*cim.Class, error) { return c.class(ctx, ns, name, false) }
	mux := http.NewServeMux()
	mux.Handle(path, l)
	// Stray requests' failures (a TLS handshake a prober broke off) are
	// no business of the program's standard error.
	hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(ln)
	advertised := host.IP.String()
	if host.IP.IsUnspecified() {
		advertised = listenerHost(c.endpoint)
	}
	dest := scheme + "://" + net.JoinHostPort(advertised, strconv.Itoa(host.Port)) + path + pin

	if err := s.create(ctx, "CIM_ListenerDestinationCIMXML", [][2]string{{"Name", name}, {"Destination", dest}}, nil); err != nil {
		return fail(err)
	}
	if err := s.create(ctx, "CIM_IndicationSubscription", nil, func(b *bytes.Buffer) {
		enc := c.encoder(ns)
		for i, p := range []struct{ name, class string }{{"Filter", "CIM_IndicationFilter"}, {"Handler", "CIM_ListenerDestination"}} {
			b.WriteString(`<PROPERTY.REFERENCE NAME="` + p.name + `" REFERENCECLASS="` + p.class + `"><VALUE.REFERENCE>`)
			ref := s.paths[i]
			ref.Namespace, ref.Server = "", ""
			enc.instanceName(b, ref)
			b.WriteString(`</VALUE.REFERENCE></PROPERTY.REFERENCE>`)
		}
	}); err != nil {
		return fail(err)
	}
	if sub, ok := w.(wbem.Subscriber); ok {
		sub.Subscribed()
	}
	<-ctx.Done()
	return ctx.Err()
}

// create makes one instance of class with the string properties props and
// what more writes, and keeps its path.
func (s *clientSub) create(ctx context.Context, class string, props [][2]string, more func(b *bytes.Buffer)) error {
	var made *cim.ObjectPath
	_, err := s.c.call(ctx, &rpc{method: "CreateInstance", ns: s.ns, intrinsic: true, params: func(b *bytes.Buffer) {
		iparam(b, "NewInstance", func(b *bytes.Buffer) {
			b.WriteString(`<INSTANCE CLASSNAME="` + class + `">`)
			for _, p := range props {
				b.WriteString(`<PROPERTY NAME="` + p[0] + `" TYPE="string"><VALUE>`)
				escapeText(b, p[1])
				b.WriteString(`</VALUE></PROPERTY>`)
			}
			if more != nil {
				more(b)
			}
			b.WriteString(`</INSTANCE>`)
		})
	}}, func(it *item) error {
		n, err := it.node()
		if err != nil {
			return err
		}
		p, err := (&decoder{ns: s.ns}).objectPath(n)
		if err != nil {
			return err
		}
		made = &p
		return nil
	})
	if err == nil && made == nil {
		err = &cim.Error{Status: cim.WBEM_E_FAILED, Description: "the server created a " + class + " but did not say its name"}
	}
	if err != nil {
		return err
	}
	s.paths = append(s.paths, *made)
	return nil
}

// deleteAll deletes what create made, the subscription first.
func (s *clientSub) deleteAll(ctx context.Context) error {
	var errs []error
	for i := len(s.paths) - 1; i >= 0; i-- {
		p := s.paths[i]
		p.Namespace, p.Server = "", ""
		_, err := s.c.call(ctx, &rpc{method: "DeleteInstance", ns: s.ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparam(b, "InstanceName", func(b *bytes.Buffer) { s.c.encoder(s.ns).instanceName(b, p) })
		}}, nil)
		if err != nil && cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
			errs = append(errs, err)
		}
	}
	s.paths = nil
	return errors.Join(errs...)
}
