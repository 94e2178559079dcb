package cimxml

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/deadline"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/wbem"
)

// Defaults and limits of a Server.
const (
	// DefaultMaxRequestBytes caps a request body.
	DefaultMaxRequestBytes = 4 << 20
	// DefaultMaxContextsPerUser bounds one user's open pull enumerations
	// (when the server keeps its own table).
	DefaultMaxContextsPerUser = 64
	// DefaultOperationTimeout is the idle time after which a pull
	// enumeration whose Open set no OperationTimeout (NULL) is closed and
	// its provider cancelled.
	DefaultOperationTimeout = 5 * time.Minute
	// MaxOperationTimeout is the longest OperationTimeout a client may ask
	// for; 0 (no timeout) and longer ones get
	// CIM_ERR_INVALID_OPERATION_TIMEOUT: a forgotten enumeration must end.
	MaxOperationTimeout = time.Hour
	// MaxObjectCount caps a pull's MaxObjectCount; a larger one is served
	// in several pulls.
	MaxObjectCount = 1 << 16
	// DefaultPullWait is how long a pull (or an Open) waits for
	// MaxObjectCount objects before it answers with those that came.
	DefaultPullWait = time.Second
	// flushBytes is how much of a response is held before it goes out
	// chunked; a smaller response goes whole, with a Content-Length.
	flushBytes = 64 << 10
)

// ExtensionHeader is the HTTP header in which gowbem's server tells its
// extensions (in every response) and a client asks for them (in requests):
//   - "cim-error": an ERROR element holds a CIM_Error instance carrying the
//     WBEM status (MessageID "0x80041002"), its description, operation,
//     parameter and provider; only a client that asks gets it, as older
//     parsers (wbemcli's) refuse anything inside ERROR;
//   - "flags": the intrinsic methods CreateClass, ModifyClass,
//     CreateInstance, ModifyInstance and SetQualifier take the extra parameter FlagsParam
//     with WMI's flags (create only, update only, the class update modes);
//   - "listener-pin": the server trusts an https listener whose
//     destination URL pins its certificate ("#gowbem-sha256=HEX"), so the
//     client's indication listener is https when the server is.
const ExtensionHeader = "Gowbem-Extensions"

// FlagsParam is the IPARAMVALUE of the "flags" extension.
const FlagsParam = "Gowbem_Flags"

// Options configure a Server.
type Options struct {
	// Authenticator finds out who sent a request, from its headers (an
	// auth.Basic over a users file, auth.Certificates, or an auth.Chain of
	// both: a daemon gives both protocols the same one); the caller it
	// returns reaches the backend in the operation's context
	// (identity.FromContext), also for a pull enumeration, which outlives
	// its request. When nil, every request is refused with 401, unless
	// AllowAnonymous is set.
	Authenticator auth.Authenticator
	// AllowAnonymous serves requests without credentials (tests only): they
	// run as the user "" with no caller in their context, that is with the
	// rights of the program itself.
	AllowAnonymous bool
	// IsLocal reports whether a request came from this machine, whose
	// callers need no RemoteAccess right (auth.IsLoopback by default).
	IsLocal func(r *http.Request) bool
	// ReadTimeout bounds the reading of a request's body
	// (DefaultReadTimeout); WriteTimeout bounds each write of a response
	// (DefaultWriteTimeout), so that a client that stops reading a long
	// streamed response is cut off.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// Logger receives refused requests and the internal causes of failures;
	// nothing is logged when nil.
	Logger *slog.Logger
	// Realm is the realm of the Basic challenge ("gowbem" by default).
	Realm string
	// ServerName is the HOST of the paths the server writes (the host name
	// by default).
	ServerName string
	// MaxRequestBytes caps a request body (DefaultMaxRequestBytes).
	MaxRequestBytes int64
	// Enumerations, when set, is a table of open enumeration contexts
	// shared with other protocol servers (wsman.Options.Enumerations), and
	// with it their limit per user. By default the server keeps its own,
	// limited by MaxContextsPerUser (DefaultMaxContextsPerUser).
	Enumerations       *enumctx.Table
	MaxContextsPerUser int
	// Indications, when set, serves CIM-XML indication subscriptions
	// (DSP1054: filters, listener destinations and subscriptions made with
	// CreateInstance); without it creating them is CIM_ERR_NOT_SUPPORTED.
	Indications *IndicationOptions
	// OperationTimeout is the idle timeout of a pull enumeration opened
	// with OperationTimeout NULL (DefaultOperationTimeout).
	OperationTimeout time.Duration
	// PullWait is how long a pull waits to fill its batch
	// (DefaultPullWait).
	PullWait time.Duration
	// CallTimeout bounds every operation that is not an enumeration
	// (DefaultCallTimeout): GetClass, GetInstance, CreateInstance,
	// ModifyInstance, DeleteInstance, the class and qualifier declaration
	// operations, GetProperty, SetProperty and extrinsic method calls. At
	// its end the request is answered CIM_ERR_FAILED (WBEM_E_TIMED_OUT),
	// whether or not the backend has returned: a provider that ignores its
	// ctx goes on in a goroutine of its own, what it writes afterwards
	// dropped. Enumerations are bounded by their reader instead (the
	// client's connection, WriteTimeout, a pull context's
	// OperationTimeout).
	CallTimeout time.Duration
}

// Timeouts of a request's reading and writing.
const (
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 60 * time.Second
	// DefaultCallTimeout is Options.CallTimeout's default, WS-Management's
	// operation timeout (wsman.DefaultOperationTimeout).
	DefaultCallTimeout = 60 * time.Second
)

// Server is a CIM-XML service (DSP0200) in front of a wbem.Backend. It is
// an http.Handler for POST and M-POST to /cimom; see the package
// documentation for what it serves.
type Server struct {
	backend wbem.Backend // as given: enumerations, which their reader bounds
	bounded wbem.Backend // backend answering at its ctx's end (internal/deadline)
	opts    Options
	base    context.Context
	cancel  context.CancelFunc
	ctxs    *enumctx.Table
	subs    *subTable      // nil without Options.Indications
	retry   sync.WaitGroup // the restore's retries (restoreLater)
}

// NewServer returns a server over backend.
func NewServer(backend wbem.Backend, opts Options) *Server {
	if opts.Realm == "" {
		opts.Realm = "gowbem"
	}
	if opts.ServerName == "" {
		opts.ServerName, _ = os.Hostname()
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.MaxContextsPerUser <= 0 {
		opts.MaxContextsPerUser = DefaultMaxContextsPerUser
	}
	if opts.OperationTimeout <= 0 {
		opts.OperationTimeout = DefaultOperationTimeout
	}
	if opts.PullWait <= 0 {
		opts.PullWait = DefaultPullWait
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.IsLocal == nil {
		opts.IsLocal = auth.IsLoopback
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(discard{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	// A provider that ignores its ctx holds its goroutine, not the client.
	s := &Server{backend: backend, bounded: deadline.Backend(backend), opts: opts, base: ctx, cancel: cancel, ctxs: opts.Enumerations}
	if s.ctxs == nil {
		s.ctxs = enumctx.New(opts.MaxContextsPerUser)
	}
	s.opts.MaxContextsPerUser = s.ctxs.MaxPerUser()
	if opts.Indications != nil {
		s.subs = newSubTable(*opts.Indications)
		for _, ns := range opts.Indications.ClassNamespaces {
			if err := s.subs.ensureClasses(s, ns); err != nil {
				s.opts.Logger.Error("the CIM-XML subscription classes are not installed", "namespace", ns, "err", err)
			}
		}
		if s.subs.persist {
			s.restore()
		}
	}
	return s
}

// Close closes every open pull enumeration, cancelling the providers
// behind them, and refuses new ones (CIM_ERR_SERVER_IS_SHUTTING_DOWN).
// Other requests are still answered. Close is idempotent.
func (s *Server) Close() error {
	s.ctxs.CloseOwner(s)
	s.cancel()
	s.retry.Wait()
	if s.subs != nil {
		s.subs.closeAll()
	}
	return nil
}

// OpenEnumerations returns the number of open pull enumerations.
func (s *Server) OpenEnumerations() int { return s.ctxs.Count(s) }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 8<<20 {
		bufPool.Put(b)
	}
}

// httpError answers with an HTTP status and DSP0200's CIMError header.
func httpError(w http.ResponseWriter, prefix string, status int, cimError, why string) {
	h := w.Header()
	h.Set(prefix+"CIMError", cimError)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(why)+1))
	w.WriteHeader(status)
	w.Write([]byte(why + "\n"))
}

// discard is a slog.Handler that drops everything.
type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }

// authenticate finds out who sent r from its headers alone. A nil caller
// without error is an anonymous request the options allow (tests).
func (s *Server) authenticate(r *http.Request) (*identity.Caller, error) {
	return auth.Gate{Authenticator: s.opts.Authenticator, AllowAnonymous: s.opts.AllowAnonymous, IsLocal: s.opts.IsLocal}.Caller(r)
}

// refuse answers a request that failed authentication, and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrNoCredentials) {
		s.opts.Logger.Info("CIM-XML request refused", "addr", r.RemoteAddr, "err", err)
	}
	auth.Refuse(w, s.opts.Realm, err)
}

// manPrefix reads the Man header of an M-POST: the prefix ("73-") its CIM
// headers carry.
func manPrefix(r *http.Request) (string, bool) {
	for _, man := range r.Header.Values("Man") {
		for _, ext := range strings.Split(man, ",") {
			uri, params, _ := strings.Cut(ext, ";")
			uri = strings.Trim(strings.TrimSpace(uri), `"`)
			if uri != "http://www.dmtf.org/cim/mapping/http/v1.0" {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.TrimSpace(k) == "ns" {
					v = strings.TrimSpace(v)
					if v == "" || strings.Trim(v, "0123456789") != "" {
						return "", false
					}
					return v + "-", true
				}
			}
			return "", true
		}
	}
	return "", false
}

// headerPrefix reads a request's method: POST, or M-POST with the prefix
// ("73-") its CIM headers carry. Any other gets 405 and an M-POST without
// DSP0200's Man header 400; ok is false then. who names the receiver
// ("CIM-XML", "a CIM-XML listener") in the message.
func headerPrefix(w http.ResponseWriter, r *http.Request, who string) (prefix string, ok bool) {
	switch r.Method {
	case http.MethodPost:
		return "", true
	case "M-POST":
		p, ok := manPrefix(r)
		if !ok {
			httpError(w, "", http.StatusBadRequest, "request-not-valid", "M-POST needs a Man header naming http://www.dmtf.org/cim/mapping/http/v1.0")
		}
		return p, ok
	default:
		w.Header().Set("Allow", "POST, M-POST")
		http.Error(w, who+" accepts POST and M-POST only", http.StatusMethodNotAllowed)
		return "", false
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, ok := headerPrefix(w, r, "CIM-XML")
	if !ok {
		return
	}
	// Authentication comes from the headers, before any of the body is
	// read: a request without valid credentials gets its 401 at once.
	caller, err := s.authenticate(r)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	ctx, user := r.Context(), ""
	if caller != nil {
		ctx, user = identity.NewContext(ctx, caller), caller.Name
	}
	hdr := func(name string) string { return r.Header.Get(prefix + name) }
	if hdr("CIMOperation") == "" && hdr("CIMExport") != "" {
		httpError(w, prefix, http.StatusBadRequest, "unsupported-operation",
			"this is a CIM server, not an indication listener: export requests (CIMExport) are not accepted")
		return
	}
	if op := hdr("CIMOperation"); !strings.EqualFold(strings.TrimSpace(op), "MethodCall") {
		httpError(w, prefix, http.StatusBadRequest, "unsupported-operation", "the CIMOperation header must be MethodCall, not "+strconv.Quote(op))
		return
	}
	if v := strings.TrimSpace(hdr("CIMProtocolVersion")); v != "" && !strings.HasPrefix(v, "1.") {
		httpError(w, prefix, http.StatusNotImplemented, "unsupported-protocol-version", "CIMProtocolVersion "+strconv.Quote(v)+" is not supported; this server speaks 1.x")
		return
	}
	method := strings.TrimSpace(hdr("CIMMethod"))
	object := strings.TrimSpace(hdr("CIMObject"))
	if method == "" || object == "" {
		httpError(w, prefix, http.StatusBadRequest, "header-mismatch", "a method call needs the CIMMethod and CIMObject headers")
		return
	}
	root, rc := readDocument(w, r, prefix, "server", s.opts.MaxRequestBytes, s.opts.ReadTimeout)
	if root == nil {
		return
	}
	req, status, cimError, why := readRequest(root)
	if cimError != "" {
		httpError(w, prefix, status, cimError, why)
		return
	}
	if !strings.EqualFold(req.method, method) {
		httpError(w, prefix, http.StatusBadRequest, "header-mismatch",
			"the CIMMethod header names "+strconv.Quote(method)+" but the request calls "+req.method)
		return
	}
	if why := req.checkObject(object); why != "" {
		httpError(w, prefix, http.StatusBadRequest, "header-mismatch", why)
		return
	}
	resp := &response{w: w, rc: rc, timeout: s.opts.WriteTimeout, prefix: prefix, id: req.id, method: req.method, intrinsic: req.intrinsic, server: s.opts.ServerName,
		trailers: acceptsTrailers(r), errorInstances: hasToken(r.Header.Get(ExtensionHeader), "cim-error")}
	resp.buf = getBuf()
	defer putBuf(resp.buf)
	c := &call{s: s, req: req, user: user, resp: resp, ctx: ctx}
	c.svc = wbem.NewServices(s.bounded, req.ns)
	c.raw = wbem.NewServices(s.backend, req.ns)
	c.enc = &encoder{host: s.opts.ServerName, ns: req.ns}
	c.dec = &decoder{ns: req.ns, lookup: c.lookupClass}
	s.dispatch(c)
}

// readDocument reads a request's body — at most limit bytes, within
// timeout — and parses it. On failure it answers the request (the HTTP
// status and CIMError) and returns a nil root; who names the receiver in
// messages ("server", "listener").
func readDocument(w http.ResponseWriter, r *http.Request, prefix, who string, limit int64, timeout time.Duration) (*node, *http.ResponseController) {
	tooBig := func() {
		httpError(w, prefix, http.StatusRequestEntityTooLarge, "request-not-valid",
			"the request is larger than this "+who+"'s limit of "+strconv.FormatInt(limit, 10)+" bytes")
	}
	if r.ContentLength > limit {
		tooBig()
		return nil, nil
	}
	buf := getBuf()
	defer putBuf(buf)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(timeout)) // unsupported by test recorders: ignored
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		w.Header().Set("Connection", "close")
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			tooBig()
		case errors.As(err, &ne) && ne.Timeout():
			httpError(w, prefix, http.StatusRequestTimeout, "request-not-valid", "the request body did not arrive within "+timeout.String())
		default:
			httpError(w, prefix, http.StatusBadRequest, "request-not-valid", "the request body is broken: "+err.Error())
		}
		return nil, nil
	}
	rc.SetReadDeadline(time.Time{})
	root, err := parseDocument(buf.String())
	if err != nil {
		httpError(w, prefix, http.StatusBadRequest, "request-not-well-formed", err.Error())
		return nil, nil
	}
	return root, rc
}

func acceptsTrailers(r *http.Request) bool {
	for _, v := range r.Header.Values("TE") {
		if hasToken(v, "trailers") {
			return true
		}
	}
	return false
}

func hasToken(list, token string) bool {
	for _, t := range strings.Split(list, ",") {
		t, _, _ = strings.Cut(t, ";")
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// request is a parsed method call.
type request struct {
	id        string // MESSAGE ID
	intrinsic bool
	method    string
	ns        string // `root\cimv2`
	call      *node  // IMETHODCALL or METHODCALL
	target    *node  // METHODCALL's LOCALINSTANCEPATH or LOCALCLASSPATH
}

// readRequest checks the envelope of a request; on failure it returns the
// HTTP status and CIMError value to answer with.
func readRequest(root *node) (req *request, status int, cimError, why string) {
	bad := func(format string) (*request, int, string, string) {
		return nil, http.StatusBadRequest, "request-not-valid", format
	}
	if root.Name != "CIM" {
		return bad("the root element is <" + root.Name + ">, not <CIM>")
	}
	if v, _ := root.attr("CIMVERSION"); !strings.HasPrefix(v, "2.") {
		return nil, http.StatusNotImplemented, "unsupported-cim-version", "CIMVERSION " + strconv.Quote(v) + " is not supported; this server reads 2.x"
	}
	if v, _ := root.attr("DTDVERSION"); !strings.HasPrefix(v, "2.") {
		return nil, http.StatusNotImplemented, "unsupported-dtd-version", "DTDVERSION " + strconv.Quote(v) + " is not supported; this server reads 2.x"
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
		return nil, http.StatusNotImplemented, "unsupported-protocol-version", "PROTOCOLVERSION " + strconv.Quote(v) + " is not supported; this server speaks 1.x"
	}
	if len(msg.Kids) != 1 {
		return bad("<MESSAGE> must hold one request")
	}
	switch body := msg.Kids[0]; body.Name {
	case "MULTIREQ":
		return nil, http.StatusNotImplemented, "multiple-requests-unsupported", "this server takes one request per message (SIMPLEREQ)"
	case "SIMPLEEXPREQ", "MULTIEXPREQ":
		return bad("this is a CIM server, not an indication listener: export requests are not accepted")
	case "SIMPLEREQ":
		if len(body.Kids) != 1 {
			return bad("<SIMPLEREQ> must hold one IMETHODCALL or METHODCALL")
		}
		c := body.Kids[0]
		req = &request{id: id, call: c}
		name, _ := c.attr("NAME")
		req.method = strings.TrimSpace(name)
		if req.method == "" {
			return bad("<" + c.Name + "> has no NAME")
		}
		switch c.Name {
		case "IMETHODCALL":
			req.intrinsic = true
			if len(c.Kids) == 0 {
				return bad("<IMETHODCALL> holds no <LOCALNAMESPACEPATH>")
			}
			ns, err := namespace(c.Kids[0])
			if err != nil {
				return bad(cim.AsError(err).Description)
			}
			req.ns = ns
		case "METHODCALL":
			if len(c.Kids) == 0 || c.Kids[0].Name != "LOCALINSTANCEPATH" && c.Kids[0].Name != "LOCALCLASSPATH" {
				return bad("<METHODCALL> must start with <LOCALINSTANCEPATH> or <LOCALCLASSPATH>")
			}
			req.target = c.Kids[0]
			if len(req.target.Kids) == 0 {
				return bad("<" + req.target.Name + "> holds no <LOCALNAMESPACEPATH>")
			}
			ns, err := namespace(req.target.Kids[0])
			if err != nil {
				return bad(cim.AsError(err).Description)
			}
			req.ns = ns
		default:
			return bad("<SIMPLEREQ> holds <" + c.Name + ">, not IMETHODCALL or METHODCALL")
		}
		return req, 0, "", ""
	}
	return bad("<MESSAGE> holds <" + msg.Kids[0].Name + ">")
}

// checkObject compares the CIMObject header with the request: the
// namespace of an intrinsic call, the namespace and class of an extrinsic
// one. It returns why they differ, or "".
func (req *request) checkObject(object string) string {
	v, err := url.PathUnescape(object)
	if err != nil {
		v = object
	}
	ns, rest, hasClass := strings.Cut(v, ":")
	if !cim.EqualFold(cim.NormalNamespace(ns), req.ns) {
		return "the CIMObject header names namespace " + strconv.Quote(ns) + " but the request addresses " + req.ns
	}
	if req.intrinsic {
		return ""
	}
	class, _ := req.target.Kids[len(req.target.Kids)-1].attr("CLASSNAME")
	if c := req.target.Kids[len(req.target.Kids)-1]; c.Name == "CLASSNAME" {
		class, _ = c.attr("NAME")
	}
	name, _, _ := strings.Cut(rest, ".")
	name, _, _ = strings.Cut(name, "=")
	if !hasClass || !cim.EqualFold(strings.TrimSpace(name), class) {
		return "the CIMObject header names " + strconv.Quote(v) + " but the request calls a method of " + class
	}
	return ""
}

// response writes one method response: held in buf until it is complete
// or large, then sent chunked as it grows.
type response struct {
	w              http.ResponseWriter
	rc             *http.ResponseController
	timeout        time.Duration // each write's deadline
	prefix         string
	id, method     string
	intrinsic      bool
	server         string // the server's name (ServerHeader)
	trailers       bool   // the client accepts trailers (TE: trailers)
	errorInstances bool   // the client asked for CIM_Error in ERROR

	buf     *bytes.Buffer
	started bool // headers sent: the response streams
	begun   bool // the envelope's start is in buf
	done    bool
}

func (r *response) header() {
	h := r.w.Header()
	h.Set("Content-Type", `application/xml; charset="utf-8"`)
	h.Set(r.prefix+"CIMOperation", "MethodResponse")
	h.Set(ExtensionHeader, "cim-error, flags, listener-pin")
	h.Set(ServerHeader, r.server)
	if r.prefix != "" {
		h.Set("Ext", "")
	}
}

const xmlDecl = `<?xml version="1.0" encoding="utf-8" ?>` + "\n"

// begin writes the envelope up to the method response's content.
func (r *response) begin() {
	if r.begun {
		return
	}
	r.begun = true
	r.buf.WriteString(xmlDecl + `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="`)
	escapeAttr(r.buf, r.id)
	r.buf.WriteString(`" PROTOCOLVERSION="1.0"><SIMPLERSP>`)
	if r.intrinsic {
		r.buf.WriteString(`<IMETHODRESPONSE NAME="`)
	} else {
		r.buf.WriteString(`<METHODRESPONSE NAME="`)
	}
	escapeAttr(r.buf, r.method)
	r.buf.WriteString(`">`)
}

// maybeFlush sends what is held once it is large (or when force is set and
// something is held): from then on the response streams.
func (r *response) maybeFlush(force bool) error {
	if r.buf.Len() < flushBytes && !(force && r.buf.Len() > 0) {
		return nil
	}
	r.rc.SetWriteDeadline(time.Now().Add(r.timeout))
	if !r.started {
		r.started = true
		r.header()
		if r.trailers {
			r.w.Header().Set("Trailer", r.prefix+"CIMStatusCode, "+r.prefix+"CIMStatusCodeDescription")
		}
		r.w.WriteHeader(http.StatusOK)
	}
	_, err := r.w.Write(r.buf.Bytes())
	r.buf.Reset()
	if f, ok := r.w.(http.Flusher); ok && force {
		f.Flush()
	}
	return err
}

// end closes the envelope and sends what remains.
func (r *response) end() {
	if r.done {
		return
	}
	r.done = true
	r.begin()
	if r.intrinsic {
		r.buf.WriteString("</IMETHODRESPONSE>")
	} else {
		r.buf.WriteString("</METHODRESPONSE>")
	}
	r.buf.WriteString("</SIMPLERSP></MESSAGE></CIM>\n")
	r.rc.SetWriteDeadline(time.Now().Add(r.timeout))
	if !r.started {
		r.header()
		r.w.Header().Set("Content-Length", strconv.Itoa(r.buf.Len()))
		r.w.WriteHeader(http.StatusOK)
		r.w.Write(r.buf.Bytes())
		return
	}
	r.w.Write(r.buf.Bytes())
	if r.trailers {
		r.w.Header().Set(r.prefix+"CIMStatusCode", "0")
	}
}

// fail answers with the operation's failure: an ERROR response while
// nothing has been sent; once the response streams, the CIMStatusCode
// trailer when the client accepts trailers, and otherwise a connection
// closed without the end of the chunked body — a client sees a broken
// response rather than a short one that looks complete.
func (r *response) fail(err error) {
	if r.done {
		return
	}
	e, code := errorCode(err)
	if !r.started {
		r.buf.Reset()
		r.begun = false
		r.begin()
		writeError(r.buf, e, code, r.errorInstances)
		r.end()
		return
	}
	r.done = true
	if r.trailers {
		// The body stops where it is: not well-formed, as DSP0200 says
		// for a failure after the response has started.
		r.w.Write(r.buf.Bytes())
		r.w.Header().Set(r.prefix+"CIMStatusCode", strconv.Itoa(int(code)))
		r.w.Header().Set(r.prefix+"CIMStatusCodeDescription", url.PathEscape(description(e)))
		return
	}
	panic(http.ErrAbortHandler)
}
