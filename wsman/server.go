package wsman

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
	"github.com/gowbem/gowbem/internal/classcache"
	"github.com/gowbem/gowbem/internal/deadline"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/wbem"
)

// Defaults of Options.
const (
	DefaultMaxRequestBytes    = 512 << 10
	DefaultMaxEnvelopeSize    = 512000 // WinRM's default
	DefaultResponseChunk      = 32 << 10
	DefaultResponseBudget     = 1 << 20
	MinEnvelopeSize           = 8192 // DSP0226's least MaxEnvelopeSize a service must accept
	DefaultIdleTimeout        = 5 * time.Minute
	DefaultMaxContextsPerUser = 64
	DefaultOperationTimeout   = 60 * time.Second
	DefaultReadTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 60 * time.Second
	DefaultMaxElements        = 1 // WS-Enumeration's default for Pull
	MaxMaxElements            = 1 << 16
	// MaxPullWait caps a Pull's MaxTime (and an optimized Enumerate's
	// wait): a Pull holds its context busy, and a client that went away
	// cannot end the wait.
	MaxPullWait = 5 * time.Minute
)

// Options configure a Server.
type Options struct {
	// Authenticator finds out who sent a request, from its headers (e.g. an
	// auth.Basic over a users file, auth.Certificates, or an auth.Chain of
	// both); the caller it returns reaches the backend in the operation's
	// context (identity.FromContext). When nil, every request but an
	// anonymous Identify is refused with 401, unless AllowAnonymous is set.
	Authenticator auth.Authenticator
	// AllowAnonymous serves requests without credentials (tests only): they
	// run as the user "" with no caller in their context, that is with the
	// rights of the program itself.
	AllowAnonymous bool
	// IsLocal reports whether a request came from this machine, whose
	// callers need no RemoteAccess right (auth.IsLoopback by default).
	IsLocal func(r *http.Request) bool
	// ReadTimeout bounds the reading of a request's body (DefaultReadTimeout);
	// WriteTimeout bounds the writing of a response (DefaultWriteTimeout).
	// A stalled client is cut off and its memory freed.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// Logger receives refused requests and the internal causes of faults
	// (provider panics with their stacks, store errors); nothing is logged
	// when nil.
	Logger *slog.Logger
	// Realm is the realm of the Basic challenge ("gowbem" by default).
	Realm string
	// ServerName is the object manager's server name, told to clients in
	// Identify so that the __SERVER and __PATH of the objects they read are
	// the server's (the host name by default).
	ServerName string
	// DefaultNamespace is the namespace of resource URIs that name none and
	// come without a __cimnamespace selector (root\cimv2 by default).
	DefaultNamespace string
	// MaxRequestBytes caps a request body (DefaultMaxRequestBytes).
	MaxRequestBytes int64
	// MaxEnvelopeSize bounds responses whose request sets no MaxEnvelopeSize
	// (DefaultMaxEnvelopeSize).
	MaxEnvelopeSize int
	// ResponseChunk: an Enumerate or Pull response that grows past it is
	// written while its items are encoded, in writes of about this many
	// bytes (HTTP's chunked transfer coding), so that a response in flight
	// holds at most a chunk of memory; a smaller one goes in one write with
	// its Content-Length (DefaultResponseChunk; negative: every response
	// whole, in one write).
	ResponseChunk int
	// ResponseBudget bounds the bytes that the server's Enumerate and Pull
	// responses larger than ResponseChunk may hold in memory together to
	// go out whole, in one write with their Content-Length: a response
	// that finds no room in it goes out in chunks instead. A lone client
	// gets its responses whole (a response in chunks costs a write per
	// chunk); many at once get theirs in chunks, so that their memory stays
	// bounded (DefaultResponseBudget; negative: every response larger than
	// ResponseChunk in chunks).
	ResponseBudget int64
	// IdleTimeout closes an enumeration context, cancelling its provider,
	// when no Pull came for that long (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxContextsPerUser bounds the open enumeration contexts of one user
	// (DefaultMaxContextsPerUser); beyond it Enumerate gets wsman:QuotaLimit.
	MaxContextsPerUser int
	// OperationTimeout is the wait of a Pull without MaxTime and of an
	// optimized Enumerate, and the bound of every other operation (Get, Put,
	// Create, Delete, Invoke), when the request sets no OperationTimeout
	// (DefaultOperationTimeout). An operation is answered at its timeout
	// (wsman:TimedOut) even when its provider ignores its ctx.
	OperationTimeout time.Duration
	// ProductVersion is told in Identify to authenticated clients.
	ProductVersion string
	// Enumerations, when set, is a table of open enumeration contexts that
	// this server shares with other protocol servers of the program, and
	// with it their limit per user (MaxContextsPerUser is then the
	// table's). By default the server keeps its own.
	Enumerations *enumctx.Table

	// WS-Eventing (see the package documentation).
	//
	// MaxSubscriptionExpiry is the longest a subscription lives without a
	// Renew (DefaultMaxSubscriptionExpiry); a Subscribe or Renew asking for
	// more, or for no expiry, gets this.
	MaxSubscriptionExpiry time.Duration
	// BookmarkRetention is how long a subscription that sends bookmarks
	// outlives its subscriber, to be resumed (DefaultBookmarkRetention;
	// negative: not at all).
	BookmarkRetention time.Duration
	// PushTo decides whether user may have events pushed (Push, PushWithAck,
	// Events delivery, and SubscriptionEnd messages) to addr. Push makes
	// the server send HTTP requests where a subscriber says, so it is off
	// unless set: without it push subscriptions get
	// wse:DeliveryModeRequestedUnavailable.
	PushTo func(user string, addr *url.URL) error
	// PushClient sends pushed events (a client with DefaultPushTimeout by
	// default).
	PushClient *http.Client
}

// Server is a WS-Management service in front of a wbem.Backend. It is an
// http.Handler; see the package documentation for what it serves.
type Server struct {
	backend wbem.Backend // bounded: operations are answered at their timeout
	raw     wbem.Backend // as given: enumerations, which nothing waits on
	opts    Options
	base    context.Context
	cancel  context.CancelFunc

	ctxs *enumctx.Table
	own  bool // the table is the server's own

	subsOnce sync.Once
	subs     *subscriptions // WS-Eventing subscriptions, by identifier

	respBudget *respBudget // Options.ResponseBudget (nil: none)
}

// NewServer returns a server over backend.
func NewServer(backend wbem.Backend, opts Options) *Server {
	if opts.Realm == "" {
		opts.Realm = "gowbem"
	}
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = cim.DefaultNamespace
	}
	opts.DefaultNamespace = cim.NormalNamespace(opts.DefaultNamespace)
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.MaxEnvelopeSize <= 0 {
		opts.MaxEnvelopeSize = DefaultMaxEnvelopeSize
	}
	if opts.ResponseChunk == 0 {
		opts.ResponseChunk = DefaultResponseChunk
	}
	if opts.ResponseBudget == 0 {
		opts.ResponseBudget = DefaultResponseBudget
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxContextsPerUser <= 0 {
		opts.MaxContextsPerUser = DefaultMaxContextsPerUser
	}
	if opts.OperationTimeout <= 0 {
		opts.OperationTimeout = DefaultOperationTimeout
	}
	if opts.MaxSubscriptionExpiry <= 0 {
		opts.MaxSubscriptionExpiry = DefaultMaxSubscriptionExpiry
	}
	if opts.BookmarkRetention == 0 {
		opts.BookmarkRetention = DefaultBookmarkRetention
	}
	if opts.ServerName == "" {
		opts.ServerName, _ = os.Hostname()
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
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ProductVersion == "" {
		opts.ProductVersion = "gowbem 0.1"
	}
	ctx, cancel := context.WithCancel(context.Background())
	// A provider that ignores its ctx holds its goroutine, not the client.
	s := &Server{backend: deadline.Backend(backend), raw: backend, opts: opts, base: ctx, cancel: cancel, ctxs: opts.Enumerations}
	if s.ctxs == nil {
		s.ctxs, s.own = enumctx.New(opts.MaxContextsPerUser), true
	}
	s.opts.MaxContextsPerUser = s.ctxs.MaxPerUser()
	if opts.ResponseChunk > 0 && opts.ResponseBudget > 0 {
		s.respBudget = &respBudget{max: int(min(opts.ResponseBudget, math.MaxInt32))}
	}
	return s
}

// NewHandler returns NewServer(backend, opts) as an http.Handler. Use
// NewServer when the program must Close it.
func NewHandler(backend wbem.Backend, opts Options) http.Handler { return NewServer(backend, opts) }

// Close releases every open enumeration context, cancelling the providers
// behind them, and refuses new enumerations. Other requests are still
// answered. Close is idempotent.
func (s *Server) Close() error {
	s.closeSubscriptions()
	s.ctxs.CloseOwner(s)
	s.cancel()
	return nil
}

// OpenEnumerations returns the number of open enumeration contexts.
func (s *Server) OpenEnumerations() int { return s.ctxs.Count(s) }

// ConnContext sets TCP_NODELAY on an accepted connection; install it as
// http.Server.ConnContext so that small responses are not held back.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return ctx
}

// newUUID returns a random UUID (version 4) in its text form.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

const envelopeStart = `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsa="` + nsWSA + `" xmlns:wsman="` + nsWSMAN +
	`" xmlns:wsen="` + nsWSEN + `" xmlns:wxf="` + nsWXF + `" xmlns:wsmb="` + nsWSMB + `" xmlns:cim="` + nsCIM +
	`" xmlns:xsi="` + nsXSI + `" xmlns:gw="` + NamespaceGowbem + `"`

const envelopeEnd = "</s:Body></s:Envelope>"

// startEnvelope writes the envelope up to the body's content.
func startEnvelope(w *bytes.Buffer, req *request, action, primaryURI string) {
	w.WriteString(envelopeStart)
	if primaryURI != "" {
		w.WriteString(` xmlns:p="`)
		escapeAttr(w, primaryURI)
		w.WriteByte('"')
	}
	w.WriteString("><s:Header><wsa:To>" + anonymous + "</wsa:To>")
	if action != "" {
		elem(w, "wsa:Action", action)
	}
	w.WriteString("<wsa:MessageID>uuid:" + newUUID() + "</wsa:MessageID>")
	if req != nil && req.MessageID != "" {
		elem(w, "wsa:RelatesTo", req.MessageID)
	}
	if req != nil && req.CountEstimate && (action == actEnumerate+"Response" || action == actPull+"Response") {
		// Enumerations stream from their providers: the total is not
		// known, which DSP0226 says with a nil estimate, unless
		// setCountEstimate puts the count in its place.
		w.WriteString(countUnknown)
	}
	w.WriteString("</s:Header><s:Body>")
}

// countUnknown is the estimate of an enumeration whose total is not known.
const countUnknown = `<wsman:TotalItemsCountEstimate xsi:nil="true"/>`

// countSlack is what a number in place of countUnknown may add to a
// response, kept free of items.
const countSlack = len("<wsman:TotalItemsCountEstimate>18446744073709551615</wsman:TotalItemsCountEstimate>") - len(countUnknown)

// setCountEstimate replaces the nil estimate in the header of the response
// in w (if there is one) by n.
func setCountEstimate(w *bytes.Buffer, n int64) {
	b := w.Bytes()
	end := bytes.Index(b, []byte("</s:Header>"))
	if end < 0 {
		return
	}
	i := bytes.Index(b[:end], []byte(countUnknown))
	if i < 0 {
		return
	}
	num := "<wsman:TotalItemsCountEstimate>" + strconv.FormatInt(n, 10) + "</wsman:TotalItemsCountEstimate>"
	grow := len(num) - len(countUnknown)
	w.Write(make([]byte, grow)) // room at the end; b may move
	b = w.Bytes()
	copy(b[i+len(num):], b[i+len(countUnknown):len(b)-grow])
	copy(b[i:], num)
}

// send writes a complete response in one write with its length.
func send(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) sendFault(w http.ResponseWriter, req *request, f *fault) {
	if sw, ok := w.(*statusWriter); ok {
		sw.fault = f.code
		if f.subcode != "" {
			sw.fault = f.subcode
		}
	}
	if e := f.ext; e != nil && e.Err != nil {
		s.opts.Logger.Error("operation failed", "status", e.Status.Name(), "operation", e.Operation,
			"provider", e.Provider, "description", e.Description, "err", e.Err)
	}
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, f.action, "")
	writeFaultBody(buf, f, s.opts.ServerName)
	buf.WriteString(envelopeEnd)
	status := f.httpStatus
	if status == 0 {
		status = http.StatusInternalServerError
		if f.code == "s:Sender" || f.code == "s:MustUnderstand" || f.code == "s:VersionMismatch" {
			status = http.StatusBadRequest
		}
	}
	send(w, status, buf.Bytes())
}

// authenticate finds out who sent r from its headers alone. A nil caller
// without error is an anonymous request the options allow (tests).
func (s *Server) authenticate(r *http.Request) (*identity.Caller, error) {
	return auth.Gate{Authenticator: s.opts.Authenticator, AllowAnonymous: s.opts.AllowAnonymous, IsLocal: s.opts.IsLocal}.Caller(r)
}

// MaxIdentifyBytes bounds the body of an Identify that comes without
// credentials: only such a body is read before authentication, and only
// when its length is declared.
const MaxIdentifyBytes = 4096

// ServeHTTP implements http.Handler. A request is authenticated from its
// headers before anything of its body is read: without valid credentials it
// gets its 401 at once and the connection is closed, unless it is an
// Identify (WS-Management's only anonymous request) whose declared length
// is at most MaxIdentifyBytes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		w.Header().Set("Connection", "close")
		http.Error(w, "WS-Management accepts POST only", http.StatusMethodNotAllowed)
		return
	}
	w = &deadlineWriter{ResponseWriter: w, timeout: s.opts.WriteTimeout}
	caller, err := s.authenticate(r)
	anonymous := false
	if err != nil {
		anonymous = errors.Is(err, auth.ErrNoCredentials) && r.Header.Get("Authorization") == "" &&
			r.ContentLength > 0 && r.ContentLength <= MaxIdentifyBytes
		if !anonymous {
			s.refuse(w, r, err)
			return
		}
	}
	ctx := r.Context()
	if caller != nil {
		ctx = identity.NewContext(ctx, caller)
	}
	buf := getBuf()
	defer putBuf(buf)
	if !s.readBody(w, r, buf) {
		return
	}
	req, err := parseRequest(bytes.NewReader(buf.Bytes()))
	if anonymous {
		// Only Identify may come without credentials.
		if err != nil || req.Action != "" || req.Body == nil || req.Body.Local != "Identify" {
			s.refuse(w, r, auth.ErrNoCredentials)
			return
		}
	}
	if err != nil {
		s.sendFault(w, nil, faultFromError(err))
		return
	}
	user := ""
	if caller != nil {
		user = caller.Name
	}
	if !s.opts.Logger.Enabled(ctx, slog.LevelDebug) {
		s.dispatch(ctx, w, req, user, !anonymous)
		return
	}
	// At debug level every request is logged with its outcome.
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.dispatch(ctx, sw, req, user, !anonymous)
	s.opts.Logger.Debug("request", "addr", r.RemoteAddr, "user", user, "action", req.Action, "resource", req.ResourceURI,
		"status", sw.status, "fault", sw.fault, "took", time.Since(start))
}

// statusWriter notes the HTTP status and the fault of a response, for the
// debug log.
type statusWriter struct {
	http.ResponseWriter
	status int
	fault  string
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// refuse answers a request that failed authentication, and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrNoCredentials) && !errors.Is(err, auth.ErrBadCredentials) {
		s.opts.Logger.Info("request refused", "addr", r.RemoteAddr, "err", err)
	}
	auth.Refuse(w, s.opts.Realm, err)
}

// readBody reads the request body into buf within Options.ReadTimeout and
// Options.MaxRequestBytes. A body too large gets 413, one that stalls 408,
// a broken one (a bad chunk, a length cut short) 400, each with a fault; it
// reports whether the body was read.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) bool {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.opts.ReadTimeout)) // unsupported by test recorders: ignored
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBytes))
	if err == nil {
		rc.SetReadDeadline(time.Time{})
		return true
	}
	auth.DontRead(w) // what is left of a body too large, broken or stalled
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		s.sendFault(w, nil, &fault{code: "s:Sender", subcode: "wsman:EncodingLimit", detail: "ServiceEnvelopeLimit", action: actFaultWSMan,
			reason: fmt.Sprintf("the request is larger than this service's limit of %d bytes", s.opts.MaxRequestBytes),
			status: cim.WBEM_E_QUOTA_VIOLATION, httpStatus: http.StatusRequestEntityTooLarge})
	case errors.As(err, &ne) && ne.Timeout():
		s.sendFault(w, nil, &fault{code: "s:Sender", subcode: "wsman:TimedOut", action: actFaultWSMan,
			reason: fmt.Sprintf("the request body did not arrive within %v", s.opts.ReadTimeout),
			status: cim.WBEM_E_INVALID_PARAMETER, httpStatus: http.StatusRequestTimeout})
	default:
		s.sendFault(w, nil, &fault{code: "s:Sender", subcode: "wsman:SchemaValidationError", action: actFaultWSMan,
			reason: "the request body is broken: " + err.Error(), status: cim.WBEM_E_INVALID_PARAMETER})
	}
	return false
}

// deadlineWriter bounds the writing of a response: the write deadline is set
// when the response starts, so a client that stops reading cannot hold the
// connection.
type deadlineWriter struct {
	http.ResponseWriter
	timeout time.Duration
}

func (d *deadlineWriter) WriteHeader(code int) {
	http.NewResponseController(d.ResponseWriter).SetWriteDeadline(time.Now().Add(d.timeout))
	d.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

func (s *Server) dispatch(ctx context.Context, w http.ResponseWriter, req *request, user string, authed bool) {
	if req.Action == "" {
		if req.Body != nil && req.Body.Local == "Identify" && req.Body.Space == nsWSMID {
			s.identify(w, req, authed)
			return
		}
		s.sendFault(w, req, &fault{code: "s:Sender", subcode: "wsa:MessageInformationHeaderRequired", action: actFaultAddressing,
			reason: "the request has no wsa:Action header (only Identify may omit it)", status: statusInvalidParameter})
		return
	}
	if req.MessageID == "" {
		s.sendFault(w, req, &fault{code: "s:Sender", subcode: "wsa:MessageInformationHeaderRequired", action: actFaultAddressing,
			reason: "the request has no wsa:MessageID header", status: statusInvalidParameter})
		return
	}
	if req.To == "" {
		s.sendFault(w, req, &fault{code: "s:Sender", subcode: "wsa:MessageInformationHeaderRequired", action: actFaultAddressing,
			reason: "the request has no wsa:To header", status: statusInvalidParameter})
		return
	}
	for _, o := range req.Options {
		if o.MustComply && !strings.EqualFold(o.Name, OptionFlags) {
			s.sendFault(w, req, &fault{code: "s:Sender", subcode: "wsman:InvalidOptions", detail: "NotSupported", action: actFaultWSMan,
				reason: "option " + strconv.Quote(o.Name) + " must be complied with and is not supported", status: statusNotSupported})
			return
		}
	}
	var f *fault
	switch req.Action {
	case actPull:
		f = s.pull(ctx, w, req, user)
	case actRelease:
		f = s.release(w, req, user)
	case actEnumerate:
		f = s.enumerate(ctx, w, req, user)
	case actGet:
		f = s.get(ctx, w, req)
	case actPut:
		f = s.put(ctx, w, req, false)
	case actCreate:
		f = s.put(ctx, w, req, true)
	case actDelete:
		f = s.delete(ctx, w, req)
	case actRenew, actGetStatus:
		f = s.renewEnumeration(w, req, user, req.Action == actRenew)
	case actSubscribe:
		f = s.subscribe(ctx, w, req, user)
	case actEvRenew:
		f = s.renew(w, req, user)
	case actEvGetStatus:
		f = s.getStatus(w, req, user)
	case actUnsubscribe:
		f = s.unsubscribe(w, req, user)
	default:
		if req.ResourceURI != "" && strings.HasPrefix(req.Action, req.ResourceURI+"/") {
			f = s.invoke(ctx, w, req, req.Action[len(req.ResourceURI)+1:])
		} else {
			f = faultAction(req.Action)
		}
	}
	if f != nil {
		s.sendFault(w, req, f)
	}
}

func (s *Server) identify(w http.ResponseWriter, req *request, authed bool) {
	buf := getBuf()
	defer putBuf(buf)
	buf.WriteString(envelopeStart + ` xmlns:wsmid="` + nsWSMID + `"><s:Header/><s:Body><wsmid:IdentifyResponse>`)
	buf.WriteString("<wsmid:ProtocolVersion>" + nsWSMAN + "</wsmid:ProtocolVersion><wsmid:ProductVendor>gowbem</wsmid:ProductVendor>")
	if authed {
		elem(buf, "wsmid:ProductVersion", s.opts.ProductVersion)
	}
	buf.WriteString("<wsmid:SecurityProfiles><wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic</wsmid:SecurityProfileName>" +
		"<wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/basic</wsmid:SecurityProfileName></wsmid:SecurityProfiles>")
	if authed {
		elem(buf, "gw:ServerName", s.opts.ServerName)
	}
	buf.WriteString("</wsmid:IdentifyResponse>" + envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
}

// target is what a request addresses: the resource, the namespace and the
// services of that namespace.
type target struct {
	res  resource
	ns   string
	svc  *wbem.Services
	keys []selector // the selectors other than __cimnamespace
}

func (s *Server) target(req *request) (*target, *fault) {
	res, err := parseResourceURI(req.ResourceURI)
	if err != nil {
		return nil, faultFromError(err)
	}
	t := &target{res: res, ns: res.Namespace}
	for _, sel := range req.Selectors {
		if strings.EqualFold(sel.Name, selNamespace) {
			ns := cim.NormalNamespace(strings.TrimSpace(sel.Value))
			if ns == "" {
				return nil, faultSelectors("InvalidValue", "the __cimnamespace selector is empty")
			}
			t.ns = ns
			continue
		}
		t.keys = append(t.keys, sel)
	}
	if t.ns == "" {
		t.ns = s.opts.DefaultNamespace
	}
	t.svc = wbem.NewServices(s.backend, t.ns)
	return t, nil
}

// selectorValue returns the value of the selector called name.
func (t *target) selectorValue(name string) (string, bool) {
	for _, k := range t.keys {
		if strings.EqualFold(k.Name, name) {
			return strings.TrimSpace(k.Value), true
		}
	}
	return "", false
}

// instance gets the instance the selectors name.
func (t *target) instance(ctx context.Context) (*cim.Instance, *fault) {
	path, scoping, f := t.path(ctx)
	if f != nil {
		return nil, f
	}
	cr, err := t.svc.GetObject(ctx, path, 0)
	if err != nil {
		return nil, faultFromError(err)
	}
	obj, _ := cr.ResultObject(0)
	inst, ok := obj.(*cim.Instance)
	if !ok {
		return nil, faultSelectors("InsufficientSelectors", "the selectors name no instance of "+t.res.Class)
	}
	if f := checkScoping(inst, path, scoping); f != nil {
		return nil, f
	}
	return inst, nil
}

// path is the object path the selectors name (Class=@ without any) and
// the selectors it leaves out: on a DMTF resource URI
// (…/cim-schema/2/CIM_Processor) a client may name the class by DMTF's
// keys, as WinRM allows. WMI's classes keep one of them as the Key and
// mark the others CIM_Key (SystemCreationClassName, SystemName,
// CreationClassName of CIM_LogicalDevice); the Key goes into the path, the
// CIM_Key selectors scope it and are checked against the instance found
// (checkScoping). On WMI's URIs only WMI's keys name an instance.
func (t *target) path(ctx context.Context) (string, []selector, *fault) {
	if t.res.All || t.res.Class == "" {
		return "", nil, faultResource(URIAllClasses, "the all-classes URI names no object; use a class's resource URI")
	}
	p := cim.ObjectPath{Class: t.res.Class}
	keys, scoping := t.keys, []selector(nil)
	if t.res.Base == URIPrefixDMTF && len(keys) > 0 {
		if c, err := lookupIn(ctx, t.svc)(t.res.Class); err == nil {
			keys, scoping = splitDMTFKeys(c, keys)
		}
	}
	if len(keys) == 0 {
		p.Singleton = true
		if len(scoping) > 0 {
			return "", nil, faultSelectors("InsufficientSelectors", fmt.Sprintf("the selectors name none of the keys of %s that name an instance (%s)", t.res.Class, keyNames(ctx, t.svc, t.res.Class)))
		}
	}
	r := &reader{ns: t.ns, lookup: lookupIn(ctx, t.svc)}
	for _, k := range keys {
		// One rule with SelectorFilter: surrounding spaces do not count.
		v := cim.String(strings.TrimSpace(k.Value))
		if k.EPR != nil {
			ep, err := r.eprPath(k.EPR)
			if err != nil {
				return "", nil, faultSelectors("InvalidValue", "selector "+k.Name+": "+cim.AsError(err).Description)
			}
			v = cim.RefString(ep.String())
		}
		p.Keys = append(p.Keys, cim.KeyBinding{Name: k.Name, Value: v})
	}
	return p.String(), scoping, nil
}

// keyNames lists the keys of a class, for a fault.
func keyNames(ctx context.Context, svc *wbem.Services, class string) string {
	c, err := lookupIn(ctx, svc)(class)
	if err != nil {
		return "?"
	}
	var names []string
	for _, i := range c.Keys() {
		names = append(names, c.Properties[i].Name)
	}
	return strings.Join(names, ", ")
}

// splitDMTFKeys parts the selectors of a DMTF resource URI into those
// naming WMI's keys of c (and anything else, for the object manager to
// refuse) and those naming DMTF's other keys, the properties WMI marks
// CIM_Key.
func splitDMTFKeys(c *cim.Class, sels []selector) (keys, scoping []selector) {
	for _, s := range sels {
		if p, ok := c.Property(s.Name); ok && !p.IsKey() && p.Qualifiers.Has("CIM_Key") && s.EPR == nil {
			scoping = append(scoping, s)
			continue
		}
		keys = append(keys, s)
	}
	return keys, scoping
}

// checkScoping checks DMTF's scoping keys against the instance that WMI's
// keys found: a selector that names another system, or another class, names
// no instance (wsa:DestinationUnreachable, as any instance not found). A
// CreationClassName the provider leaves NULL is the instance's class.
func checkScoping(inst *cim.Instance, path string, scoping []selector) *fault {
	for _, s := range scoping {
		want := strings.TrimSpace(s.Value)
		v, err := inst.Get(s.Name)
		ok := err == nil && !v.IsNull() && sameKey(v, want)
		have := keyText(v)
		if err == nil && v.IsNull() {
			have = "NULL"
			if strings.EqualFold(s.Name, "CreationClassName") {
				ok, have = cim.EqualFold(inst.ClassName(), want), inst.ClassName()
			}
		}
		if !ok {
			return faultFromError(&cim.Error{Status: cim.WBEM_E_NOT_FOUND, Operation: "GetObject", Parameter: s.Name,
				Description: fmt.Sprintf("no instance %s with %s=%q: the instance's %s is %q", path, s.Name, want, s.Name, have)})
		}
	}
	return nil
}

// opContext bounds an operation by the request's OperationTimeout.
func (s *Server) opContext(ctx context.Context, req *request) (context.Context, context.CancelFunc) {
	if req.OperationTimeout > 0 {
		return context.WithTimeout(ctx, req.OperationTimeout)
	}
	return context.WithTimeout(ctx, s.opts.OperationTimeout)
}

func (s *Server) flagsOption(req *request, def wbem.Flag) (wbem.Flag, *fault) {
	v, ok := req.option(OptionFlags)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 0, 32)
	if err != nil {
		return 0, &fault{code: "s:Sender", subcode: "wsman:InvalidOptions", action: actFaultWSMan,
			reason: "option " + OptionFlags + " = " + strconv.Quote(v) + " is not a number", status: statusInvalidParameter}
	}
	return wbem.Flag(n), nil
}

// lookupIn returns a class lookup over svc for typing what one request
// reads; its cache lives as long as the request (see internal/classcache).
func lookupIn(ctx context.Context, svc *wbem.Services) classLookup {
	cache := classcache.New(classcache.MaxRequest)
	ns := svc.Namespace()
	return func(name string) (*cim.Class, error) {
		if c, ok := cache.Get(ns, name); ok {
			return c, nil
		}
		cr, err := svc.GetObject(ctx, name, 0)
		if err != nil {
			if e := cim.AsError(err); e.Status == cim.WBEM_E_NOT_FOUND {
				// The class of an operation: WMI says INVALID_CLASS.
				return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Operation: e.Operation, Description: e.Description}
			}
			return nil, err
		}
		obj, err := cr.ResultObject(0)
		if err != nil {
			return nil, err
		}
		c, ok := obj.(*cim.Class)
		if !ok || c.Name == "" {
			return nil, cim.Errorf(cim.WBEM_E_INVALID_CLASS, "%s is not a class", name)
		}
		cache.Put(ns, c)
		return c, nil
	}
}

func (s *Server) get(ctx context.Context, w http.ResponseWriter, req *request) *fault {
	t, f := s.target(req)
	if f != nil {
		return f
	}
	ctx, cancel := s.opContext(ctx, req)
	defer cancel()
	buf := getBuf()
	defer putBuf(buf)
	switch {
	case t.res.ClassDef:
		name, ok := t.selectorValue("ClassName")
		if !ok || name == "" {
			return faultSelectors("InsufficientSelectors", "a class definition is named by the selector ClassName")
		}
		cr, err := t.svc.GetObject(ctx, name, 0)
		if err != nil {
			return faultFromError(err)
		}
		obj, _ := cr.ResultObject(0)
		c, ok := obj.(*cim.Class)
		if !ok {
			return faultSelectors("InvalidValue", name+" names an instance, not a class")
		}
		startEnvelope(buf, req, actGet+"Response", "")
		if t.res.DSP0201 {
			q, _ := req.option(optIncludeQualifiers)
			writeDSP0201Class(buf, c, strings.EqualFold(strings.TrimSpace(q), "true"))
		} else {
			writeClassDef(buf, c)
		}
	case t.res.NSRes:
		name, _ := t.selectorValue("Name")
		cr, err := t.svc.OpenNamespace(ctx, name, 0)
		if err != nil {
			return faultFromError(err)
		}
		child, err := cr.ResultServices(0)
		if err != nil {
			return faultFromError(err)
		}
		startEnvelope(buf, req, actGet+"Response", "")
		elem(buf, "gw:Namespace", child.Namespace())
	default:
		inst, f := t.instance(ctx)
		if f != nil {
			return f
		}
		iw := newInstWriter(uriMapper{base: t.res.Base, ns: t.ns}, req.ResourceURI)
		startEnvelope(buf, req, actGet+"Response", req.ResourceURI)
		if req.HasFragment {
			if f := writeFragment(buf, inst, req.Fragment, iw); f != nil {
				return f
			}
		} else {
			iw.writeInstance(buf, inst)
		}
	}
	buf.WriteString(envelopeEnd)
	if max := s.envelopeLimit(req); buf.Len() > max {
		return faultEncodingLimit("MaxEnvelopeSize", fmt.Sprintf("the response of %d bytes exceeds MaxEnvelopeSize %d", buf.Len(), max))
	}
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// fragmentProperty reads the property a FragmentTransfer expression names:
// "Prop", "Prop/text()" or "/Class/Prop".
func fragmentProperty(expr string) string {
	e := strings.TrimSpace(expr)
	e = strings.TrimSuffix(e, "/text()")
	if i := strings.LastIndexByte(e, '/'); i >= 0 {
		e = e[i+1:]
	}
	if _, local, ok := strings.Cut(e, ":"); ok {
		e = local
	}
	return e
}

func writeFragment(buf *bytes.Buffer, inst *cim.Instance, expr string, iw *instWriter) *fault {
	name := fragmentProperty(expr)
	i := inst.Class().PropertyIndex(name)
	if i < 0 {
		return &fault{code: "s:Sender", subcode: "wsman:InvalidParameter", detail: "InvalidFragment", action: actFaultWSMan,
			reason: "fragment " + strconv.Quote(expr) + ": class " + inst.ClassName() + " has no property " + name, status: cim.WBEM_E_NOT_FOUND}
	}
	p := inst.Class().Properties[i].Name
	buf.WriteString("<wsman:XmlFragment>")
	iw.writeProperty(buf, p, inst.At(i))
	buf.WriteString("</wsman:XmlFragment>")
	return nil
}

func (s *Server) envelopeLimit(req *request) int {
	if req.MaxEnvelopeSize > 0 {
		return req.MaxEnvelopeSize
	}
	return s.opts.MaxEnvelopeSize
}

// put serves Put and Create: of a class definition (gowbem's resource), of
// a whole instance, or of one property (a fragment Put).
func (s *Server) put(ctx context.Context, w http.ResponseWriter, req *request, create bool) *fault {
	t, f := s.target(req)
	if f != nil {
		return f
	}
	ctx, cancel := s.opContext(ctx, req)
	defer cancel()
	action := actPut + "Response"
	if create {
		action = actCreate + "Response"
	}
	if t.res.DSP0201 {
		return faultDSP0201Only(req.Action)
	}
	if t.res.ClassDef {
		return s.putClassDef(ctx, w, req, t, create, action)
	}
	if t.res.All || t.res.Class == "" || t.res.NSRes {
		return faultResource(req.ResourceURI, "Put and Create need a class's resource URI")
	}
	rd := &reader{lookup: lookupIn(ctx, t.svc), ns: t.ns}
	var inst *cim.Instance
	if req.HasFragment {
		if create {
			return &fault{code: "s:Sender", subcode: "wsman:UnsupportedFeature", detail: "FragmentLevelAccess", action: actFaultWSMan,
				reason: "Create does not take a fragment", status: statusNotSupported}
		}
		inst, f = s.fragmentInstance(ctx, req, t, rd)
	} else {
		inst, f = bodyInstance(req, t, rd)
		if f == nil && !create {
			// DMTF's scoping keys in the selectors name the instance
			// to update or none.
			if _, scoping, pf := t.path(ctx); pf == nil && len(scoping) > 0 {
				_, f = t.instance(ctx)
			}
		}
	}
	if f != nil {
		return f
	}
	def := wbem.WBEM_FLAG_UPDATE_ONLY
	if create {
		def = wbem.WBEM_FLAG_CREATE_ONLY
	}
	flags, f := s.flagsOption(req, def)
	if f != nil {
		return f
	}
	cr, err := t.svc.PutInstance(ctx, inst, flags)
	if err != nil {
		return faultFromError(err)
	}
	path, _ := cr.ResultString(0)
	buf := getBuf()
	defer putBuf(buf)
	if f := writePutResponse(ctx, buf, req, t, action, create, inst, path); f != nil {
		return f
	}
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// putClassDef puts a class definition (a gw:CLASS body).
func (s *Server) putClassDef(ctx context.Context, w http.ResponseWriter, req *request, t *target, create bool, action string) *fault {
	if req.Body == nil || req.Body.Local != "CLASS" || req.Body.Space != NamespaceGowbem {
		return faultRepresentation("InvalidValues", "the body must be a gw:CLASS element", cim.WBEM_E_INVALID_OBJECT)
	}
	c, err := readClassDef(req.Body)
	if err != nil {
		return faultFromError(err)
	}
	def := wbem.Flag(0)
	if create {
		def = wbem.WBEM_FLAG_CREATE_ONLY
	}
	flags, f := s.flagsOption(req, def)
	if f != nil {
		return f
	}
	if _, err := t.svc.PutClass(ctx, c, flags); err != nil {
		return faultFromError(err)
	}
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, action, "")
	buf.WriteString(envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

// fragmentInstance is the instance the selectors name with the one
// property of the request's fragment set from its wsman:XmlFragment body.
func (s *Server) fragmentInstance(ctx context.Context, req *request, t *target, rd *reader) (*cim.Instance, *fault) {
	cur, f := t.instance(ctx)
	if f != nil {
		return nil, f
	}
	inst := cur.Clone()
	frag := req.Body
	if frag == nil || frag.Local != "XmlFragment" {
		return nil, faultRepresentation("InvalidFragment", "a fragment Put needs a wsman:XmlFragment body", cim.WBEM_E_INVALID_PARAMETER)
	}
	name := fragmentProperty(req.Fragment)
	i := inst.Class().PropertyIndex(name)
	if i < 0 {
		return nil, faultRepresentation("InvalidFragment", "class "+inst.ClassName()+" has no property "+name, cim.WBEM_E_INVALID_PROPERTY)
	}
	p := &inst.Class().Properties[i]
	var vals []cim.Value
	isNull := false
	for _, k := range frag.Kids {
		if !strings.EqualFold(k.Local, p.Name) {
			return nil, faultRepresentation("InvalidFragment", fmt.Sprintf("line %d: the fragment holds <%s>, not %s", k.Line, k.Local, p.Name), cim.WBEM_E_INVALID_PROPERTY)
		}
		if k.isNil() {
			isNull = true
			continue
		}
		v, err := rd.readScalar(k, p.Type.Elem(), inst.ClassName(), p.Name)
		if err != nil {
			return nil, faultFromError(err)
		}
		vals = append(vals, v)
	}
	if len(frag.Kids) == 0 && strings.TrimSpace(frag.Text) != "" {
		v, err := rd.readScalar(frag, p.Type.Elem(), inst.ClassName(), p.Name)
		if err != nil {
			return nil, faultFromError(err)
		}
		vals = append(vals, v)
	}
	switch {
	case isNull:
		inst.SetAt(i, cim.Null)
	case p.Type.IsArray():
		a, err := cim.ArrayOf(p.Type.Elem(), vals)
		if err != nil {
			return nil, faultFromError(err)
		}
		inst.SetAt(i, a)
	case len(vals) == 1:
		inst.SetAt(i, vals[0])
	default:
		return nil, faultRepresentation("InvalidFragment", fmt.Sprintf("property %s takes one value, not %d", p.Name, len(vals)), cim.WBEM_E_TYPE_MISMATCH)
	}
	return inst, nil
}

// bodyInstance reads the instance of a Put's or a Create's body; keys it
// leaves NULL come from the selectors.
func bodyInstance(req *request, t *target, rd *reader) (*cim.Instance, *fault) {
	if req.Body == nil {
		return nil, faultRepresentation("MissingValues", "the body holds no instance", cim.WBEM_E_INVALID_OBJECT)
	}
	c, err := rd.lookup(req.Body.Local)
	if err != nil {
		return nil, faultFromError(err)
	}
	// The resource URI decides the class; a body of a subclass is
	// allowed, as WinRM allows it.
	if !c.IsA(t.res.Class) {
		return nil, faultRepresentation("InvalidValues", fmt.Sprintf("the body is an instance of %s, which is not the resource URI's class %s nor derived from it", c.Name, t.res.Class), cim.WBEM_E_INVALID_CLASS)
	}
	inst, err := rd.readInstance(req.Body, c)
	if err != nil {
		f := faultFromError(err)
		if f.subcode == "wsa:DestinationUnreachable" {
			return nil, f
		}
		f.code, f.subcode, f.detail, f.action = "s:Sender", "wxf:InvalidRepresentation", "InvalidValues", actFaultTransfer
		return nil, f
	}
	// Keys the body leaves NULL come from the selectors; those it gives
	// must be the ones the selectors name.
	for _, k := range t.keys {
		i := c.PropertyIndex(k.Name)
		if i < 0 || k.EPR != nil {
			continue
		}
		want := strings.TrimSpace(k.Value)
		if v := inst.At(i); v.IsNull() {
			if err := inst.Set(c.Properties[i].Name, cim.String(want)); err != nil {
				return nil, faultFromError(err)
			}
		} else if !sameKey(v, want) {
			return nil, faultRepresentation("InvalidValues", fmt.Sprintf("the body's %s is %q, the selector names %q", c.Properties[i].Name, keyText(v), want), cim.WBEM_E_INVALID_OBJECT)
		}
	}
	return inst, nil
}

// sameKey reports whether a key value of a body is the one a selector
// names: strings without regard to case (WMI's keys), integers by value;
// other types are left to the object manager.
func sameKey(v cim.Value, sel string) bool {
	t := v.Type()
	switch {
	case t == cim.TypeString:
		return strings.EqualFold(v.Str(), sel)
	case t.IsSigned():
		n, err := strconv.ParseInt(sel, 0, 64)
		return err == nil && n == v.Int()
	case t.IsUnsigned():
		n, err := strconv.ParseUint(sel, 0, 64)
		return err == nil && n == v.Uint()
	}
	return true
}

// writePutResponse writes the answer to a Put (the instance as it now is,
// or its fragment) or to a Create (the new instance's endpoint reference).
func writePutResponse(ctx context.Context, buf *bytes.Buffer, req *request, t *target, action string, create bool, inst *cim.Instance, path string) *fault {
	iw := newInstWriter(uriMapper{base: t.res.Base, ns: t.ns}, req.ResourceURI)
	if create {
		p, err := cim.ParsePath(path)
		if err != nil {
			return faultFromError(err)
		}
		startEnvelope(buf, req, action, "")
		buf.WriteString("<wxf:ResourceCreated><wsa:Address>" + anonymous + "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>")
		escapeText(buf, iw.uris.uri(p.Class))
		buf.WriteString("</wsman:ResourceURI><wsman:SelectorSet>")
		iw.writeSelectors(buf, p, t.ns)
		buf.WriteString("</wsman:SelectorSet></wsa:ReferenceParameters></wxf:ResourceCreated>")
		buf.WriteString(envelopeEnd)
		return nil
	}
	startEnvelope(buf, req, action, req.ResourceURI)
	// The instance as it now is (providers may change what they store).
	cr, err := t.svc.GetObject(ctx, path, 0)
	var now *cim.Instance
	if err == nil {
		obj, _ := cr.ResultObject(0)
		now, _ = obj.(*cim.Instance)
	}
	if now == nil {
		now = inst
	}
	if req.HasFragment {
		writeFragment(buf, now, req.Fragment, iw)
	} else {
		iw.writeInstance(buf, now)
	}
	buf.WriteString(`<gw:Path>`)
	escapeText(buf, path)
	buf.WriteString(`</gw:Path>`)
	buf.WriteString(envelopeEnd)
	return nil
}

func (s *Server) delete(ctx context.Context, w http.ResponseWriter, req *request) *fault {
	t, f := s.target(req)
	if f != nil {
		return f
	}
	ctx, cancel := s.opContext(ctx, req)
	defer cancel()
	if t.res.DSP0201 {
		return faultDSP0201Only(req.Action)
	}
	if t.res.ClassDef {
		name, ok := t.selectorValue("ClassName")
		if !ok || name == "" {
			return faultSelectors("InsufficientSelectors", "a class definition is named by the selector ClassName")
		}
		if _, err := t.svc.DeleteClass(ctx, name, 0); err != nil {
			return faultFromError(err)
		}
	} else {
		path, scoping, f := t.path(ctx)
		if f != nil {
			return f
		}
		if len(scoping) > 0 {
			// DMTF's scoping keys name this instance or none.
			if _, f := t.instance(ctx); f != nil {
				return f
			}
		}
		if _, err := t.svc.DeleteInstance(ctx, path, 0); err != nil {
			return faultFromError(err)
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, actDelete+"Response", "")
	buf.WriteString(envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}

func (s *Server) invoke(ctx context.Context, w http.ResponseWriter, req *request, method string) *fault {
	t, f := s.target(req)
	if f != nil {
		return f
	}
	if t.res.All || t.res.Class == "" {
		return faultResource(req.ResourceURI, "methods are invoked on a class's resource URI")
	}
	if !validClassName(method) {
		return faultAction(req.Action)
	}
	ctx, cancel := s.opContext(ctx, req)
	defer cancel()
	lookup := lookupIn(ctx, t.svc)
	c, err := lookup(t.res.Class)
	if err != nil {
		return faultFromError(err)
	}
	m, ok := c.Method(method)
	if !ok {
		return faultFromError(&cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: method,
			Description: fmt.Sprintf("class %s has no method %s", c.Name, method)})
	}
	var in *cim.Instance
	if body := req.Body; body != nil && len(body.Kids) > 0 {
		if !strings.EqualFold(body.Local, m.Name+"_INPUT") {
			return faultSchema(fmt.Sprintf("line %d: the body of %s is <%s>, expected <%s_INPUT>", body.Line, m.Name, body.Local, m.Name))
		}
		pc, _ := m.ParameterClasses()
		rd := &reader{lookup: lookup, ns: t.ns}
		in, err = rd.readInstance(body, pc)
		if err != nil {
			e := cim.AsError(err)
			return faultFromError(&cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Parameter: e.Parameter, Description: e.Description})
		}
	}
	path := t.res.Class
	if len(t.keys) > 0 {
		var scoping []selector
		if path, scoping, f = t.path(ctx); f != nil {
			return f
		}
		if len(scoping) > 0 {
			if _, f := t.instance(ctx); f != nil {
				return f
			}
		}
	}
	cr, err := t.svc.ExecMethod(ctx, path, m.Name, in, 0)
	if err != nil {
		return faultFromError(err)
	}
	obj, _ := cr.ResultObject(0)
	out, _ := obj.(*cim.Instance)
	buf := getBuf()
	defer putBuf(buf)
	startEnvelope(buf, req, req.Action+"Response", req.ResourceURI)
	iw := newInstWriter(uriMapper{base: t.res.Base, ns: t.ns}, req.ResourceURI)
	buf.WriteString("<p:" + m.Name + "_OUTPUT>")
	if out != nil {
		oc := out.Class()
		order := make([]int, 0, len(oc.Properties))
		if i := oc.PropertyIndex("ReturnValue"); i >= 0 {
			order = append(order, i)
		}
		for i := range oc.Properties {
			if !strings.EqualFold(oc.Properties[i].Name, "ReturnValue") {
				order = append(order, i)
			}
		}
		for _, i := range order {
			iw.writeProperty(buf, "p:"+oc.Properties[i].Name, out.At(i))
		}
	}
	buf.WriteString("</p:" + m.Name + "_OUTPUT>" + envelopeEnd)
	send(w, http.StatusOK, buf.Bytes())
	return nil
}
