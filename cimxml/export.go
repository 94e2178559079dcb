package cimxml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/wbem"
)

// This file is the export half of DSP0200 (§5.4, export methods): an
// indication listener (Listener) and the call that sends an indication to
// one (Exporter). They are the wire of CIM-XML indications: the server's
// subscriptions (subscribe.go) export with an Exporter, the client's event
// enumerators (clientevents.go) listen with a Listener.

// DefaultMaxExportBytes caps the body of an export request a Listener reads.
const DefaultMaxExportBytes = 1 << 20

// ListenerOptions configures a Listener.
type ListenerOptions struct {
	// Authenticator finds out who sent an export request; when nil every
	// request is refused with 401, unless AllowAnonymous is set.
	Authenticator auth.Authenticator
	// AllowAnonymous takes export requests without credentials (CIM
	// servers often send indications without any): they reach Deliver
	// with no caller in their context.
	AllowAnonymous bool
	// MaxRequestBytes caps a request body (DefaultMaxExportBytes); a
	// larger one gets 413.
	MaxRequestBytes int64
	// ReadTimeout bounds the reading of a body (DefaultReadTimeout).
	ReadTimeout time.Duration
	// Realm is the realm of the Basic challenge ("gowbem" by default).
	Realm string
	// Logger receives refused requests; nothing is logged when nil.
	Logger *slog.Logger
}

// Listener is a CIM-XML indication listener: an http.Handler that takes
// DSP0200's export requests (POST or M-POST with CIMExport: MethodRequest)
// of the method ExportIndication and hands each indication to its deliver
// function. The indication is read without its class (its properties are
// typed by their TYPE attributes), as a listener knows no schema. A
// deliver error is the ERROR of the response, with the CIM status code its
// WBEM status maps to; another export method is CIM_ERR_NOT_SUPPORTED, a
// MULTIEXPREQ 501 multiple-requests-unsupported, a request that is not an
// export request 400 unsupported-operation. The limits of the server's
// parser (MaxDepth, MaxElements, MaxEmbedding) hold.
type Listener struct {
	deliver func(ctx context.Context, indication *cim.Instance) error
	opts    ListenerOptions
	lookup  classLookup // the client's: classes from the server subscribed to
}

// NewListener returns a listener that calls deliver for each indication,
// in the request's context (with the authenticated caller in it), one
// request at a time per connection; the listener answers once deliver
// returns.
func NewListener(deliver func(ctx context.Context, indication *cim.Instance) error, opts ListenerOptions) *Listener {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxExportBytes
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.Realm == "" {
		opts.Realm = "gowbem"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(discard{})
	}
	return &Listener{deliver: deliver, opts: opts}
}

// ServeHTTP implements http.Handler.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, ok := headerPrefix(w, r, "a CIM-XML listener")
	if !ok {
		return
	}
	ctx := r.Context()
	if !(l.opts.AllowAnonymous && r.Header.Get("Authorization") == "") {
		if l.opts.Authenticator == nil {
			auth.Refuse(w, l.opts.Realm, auth.ErrNoCredentials)
			return
		}
		c, err := l.opts.Authenticator.Authenticate(r)
		if err != nil {
			if !errors.Is(err, auth.ErrNoCredentials) {
				l.opts.Logger.Info("CIM-XML export request refused", "addr", r.RemoteAddr, "err", err)
			}
			auth.Refuse(w, l.opts.Realm, err)
			return
		}
		c.Address = r.RemoteAddr
		ctx = identity.NewContext(ctx, c)
	}
	hdr := func(name string) string { return strings.TrimSpace(r.Header.Get(prefix + name)) }
	if !strings.EqualFold(hdr("CIMExport"), "MethodRequest") {
		httpError(w, prefix, http.StatusBadRequest, "unsupported-operation",
			"this is an indication listener: it takes export requests (CIMExport: MethodRequest), not "+strconv.Quote(hdr("CIMExport")))
		return
	}
	if v := hdr("CIMProtocolVersion"); v != "" && !strings.HasPrefix(v, "1.") {
		httpError(w, prefix, http.StatusNotImplemented, "unsupported-protocol-version", "CIMProtocolVersion "+strconv.Quote(v)+" is not supported; this listener speaks 1.x")
		return
	}
	method := hdr("CIMExportMethod")
	if method == "" {
		httpError(w, prefix, http.StatusBadRequest, "header-mismatch", "an export request needs the CIMExportMethod header")
		return
	}
	root, _ := readDocument(w, r, prefix, "listener", l.opts.MaxRequestBytes, l.opts.ReadTimeout)
	if root == nil {
		return
	}
	id, call, status, cimError, why := readExport(root)
	if cimError != "" {
		httpError(w, prefix, status, cimError, why)
		return
	}
	name, _ := call.attr("NAME")
	if !strings.EqualFold(strings.TrimSpace(name), method) {
		httpError(w, prefix, http.StatusBadRequest, "header-mismatch",
			"the CIMExportMethod header names "+strconv.Quote(method)+" but the request calls "+strconv.Quote(name))
		return
	}
	err := l.export(ctx, call)
	out := getBuf()
	defer putBuf(out)
	out.WriteString(`<?xml version="1.0" encoding="utf-8" ?>` + "\n" + `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="`)
	escapeAttr(out, id)
	out.WriteString(`" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="`)
	escapeAttr(out, strings.TrimSpace(name))
	out.WriteString(`">`)
	if err != nil {
		e, code := errorCode(err)
		writeError(out, e, code, false)
	} else {
		out.WriteString(`<IRETURNVALUE></IRETURNVALUE>`)
	}
	out.WriteString(`</EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>` + "\n")
	h := w.Header()
	h.Set("Content-Type", `application/xml; charset="utf-8"`)
	h.Set("Content-Length", strconv.Itoa(out.Len()))
	h.Set(prefix+"CIMExport", "MethodResponse")
	if prefix != "" {
		h.Set("Ext", "")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out.Bytes())
}

// readExport checks the envelope of an export request; on failure it
// returns the HTTP status and CIMError value to answer with.
func readExport(root *node) (id string, call *node, status int, cimError, why string) {
	bad := func(why string) (string, *node, int, string, string) {
		return "", nil, http.StatusBadRequest, "request-not-valid", why
	}
	if root.Name != "CIM" {
		return bad("the root element is <" + root.Name + ">, not <CIM>")
	}
	if v, _ := root.attr("CIMVERSION"); !strings.HasPrefix(v, "2.") {
		return "", nil, http.StatusNotImplemented, "unsupported-cim-version", "CIMVERSION " + strconv.Quote(v) + " is not supported; this listener reads 2.x"
	}
	if v, _ := root.attr("DTDVERSION"); !strings.HasPrefix(v, "2.") {
		return "", nil, http.StatusNotImplemented, "unsupported-dtd-version", "DTDVERSION " + strconv.Quote(v) + " is not supported; this listener reads 2.x"
	}
	msg := root.child("MESSAGE")
	if msg == nil || len(root.Kids) != 1 {
		return bad("<CIM> must hold one <MESSAGE>")
	}
	id, ok := msg.attr("ID")
	if !ok {
		return bad("<MESSAGE> has no ID")
	}
	if v, _ := msg.attr("PROTOCOLVERSION"); !strings.HasPrefix(v, "1.") {
		return "", nil, http.StatusNotImplemented, "unsupported-protocol-version", "PROTOCOLVERSION " + strconv.Quote(v) + " is not supported; this listener speaks 1.x"
	}
	if len(msg.Kids) != 1 {
		return bad("<MESSAGE> must hold one request")
	}
	switch body := msg.Kids[0]; body.Name {
	case "MULTIEXPREQ":
		return "", nil, http.StatusNotImplemented, "multiple-requests-unsupported", "this listener takes one export request per message (SIMPLEEXPREQ)"
	case "SIMPLEEXPREQ":
		if len(body.Kids) != 1 || body.Kids[0].Name != "EXPMETHODCALL" {
			return bad("<SIMPLEEXPREQ> must hold one <EXPMETHODCALL>")
		}
		return id, body.Kids[0], 0, "", ""
	default:
		return bad("this is an indication listener: <MESSAGE> must hold <SIMPLEEXPREQ>, not <" + body.Name + ">")
	}
}

// export runs one EXPMETHODCALL.
func (l *Listener) export(ctx context.Context, call *node) error {
	name, _ := call.attr("NAME")
	if !strings.EqualFold(strings.TrimSpace(name), "ExportIndication") {
		return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: name, Description: "export method " + strconv.Quote(name) + " is not supported: this listener takes ExportIndication"}
	}
	var ind *node
	for _, k := range call.Kids {
		if k.Name != "EXPPARAMVALUE" {
			return badXML(k, "<EXPMETHODCALL> holds <%s>, not <EXPPARAMVALUE>", k.Name)
		}
		if pn, _ := k.attr("NAME"); !strings.EqualFold(pn, "NewIndication") {
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: pn, Description: "ExportIndication has no parameter " + strconv.Quote(pn)}
		}
		if ind != nil {
			return badXML(k, "NewIndication given twice")
		}
		if len(k.Kids) != 1 || k.Kids[0].Name != "INSTANCE" {
			return badXML(k, "NewIndication must hold one <INSTANCE>")
		}
		ind = k.Kids[0]
	}
	if ind == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "NewIndication", Description: "ExportIndication without NewIndication"}
	}
	d := &decoder{lookup: l.lookup}
	obj, err := d.object(ind, true)
	if err != nil {
		return err
	}
	return l.deliver(ctx, obj.(*cim.Instance))
}

// Exporter sends indications to CIM-XML listeners (DSP0200's export
// method ExportIndication). It is safe for concurrent use.
type Exporter struct {
	// HTTPClient sends the requests (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Credentials are sent with Basic authentication when User is set.
	Credentials wbem.Credentials
}

// ExportIndication sends indication to the listener at url and returns
// once the listener has taken it. A listener's ERROR comes back as its
// WBEM status; a listener that cannot be reached, or answers with anything
// but an export response, is WBEM_E_TRANSPORT_FAILURE (HTTP 400 with
// CIMError unsupported-operation, a server that is no listener:
// WBEM_E_NOT_SUPPORTED). A redirect is not followed (an HTTP 3xx answer is
// WBEM_E_TRANSPORT_FAILURE). A URL whose fragment is
// "gowbem-sha256=HEX" (https only) pins the listener's certificate: that
// certificate is trusted, by its SHA-256, and no other (the HTTPClient's
// transport is not used for it).
func (x *Exporter) ExportIndication(ctx context.Context, url string, indication *cim.Instance) error {
	if indication == nil || indication.Class() == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "indication", Description: "no indication to export"}
	}
	body := getBuf()
	defer putBuf(body)
	body.WriteString(`<?xml version="1.0" encoding="utf-8" ?>` + "\n" +
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication">`)
	(&encoder{}).instance(body, indication, instOpts{})
	body.WriteString(`</EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>` + "\n")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body.Bytes()))
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "url", Description: "listener URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("CIMExport", "MethodRequest")
	req.Header.Set("CIMExportMethod", "ExportIndication")
	req.Header.Set("CIMProtocolVersion", "1.0")
	if x.Credentials.User != "" {
		req.SetBasicAuth(x.Credentials.User, x.Credentials.Password)
	}
	hc := x.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	// No redirect is followed: the indication goes where the subscriber
	// named, and a listener may not send it on elsewhere (a destination of
	// a user who is no administrator is checked to be on their own host).
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc = &noRedirect
	// A listener whose URL pins its certificate is trusted for that
	// certificate alone.
	if pin, err := listenerPin(req.URL); err != nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "url", Description: "listener URL: " + err.Error()}
	} else if pin != nil {
		var release func()
		hc, release = pinnedClient(hc, pin)
		defer release()
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "the listener at " + url + " cannot be reached: " + err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return httpFailure(resp, x.Credentials.User)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "reading the listener's answer: " + err.Error()}
	}
	root, err := parseDocument(string(raw))
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "the listener's answer is not XML: " + err.Error()}
	}
	msg := root.child("MESSAGE")
	var rsp *node
	if msg != nil {
		if s := msg.child("SIMPLEEXPRSP"); s != nil {
			rsp = s.child("EXPMETHODRESPONSE")
		}
	}
	if root.Name != "CIM" || rsp == nil {
		return &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: fmt.Sprintf("the listener at %s answered with no <EXPMETHODRESPONSE>", url)}
	}
	if e := rsp.child("ERROR"); e != nil {
		err := readError(e)
		if err.Operation == "" {
			err.Operation = "ExportIndication"
		}
		return err
	}
	return nil
}
