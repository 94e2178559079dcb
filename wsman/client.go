package wsman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/classcache"
	"github.com/gowbem/gowbem/internal/httpclient"
	"github.com/gowbem/gowbem/internal/xmltree"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

func init() { wbem.RegisterProtocol("wsman", connect, "/wsman") }

// ClientOptions tune a Client.
type ClientOptions struct {
	// MaxElements is the batch of Enumerate and Pull (DefaultClientBatch).
	MaxElements int
	// MaxEnvelopeSize is the largest response the client accepts
	// (DefaultClientEnvelope).
	MaxEnvelopeSize int
	// PullWait is the MaxTime of a Pull (DefaultClientPullWait): the server
	// answers when MaxElements objects are ready or PullWait has passed, so
	// it bounds how long objects a slow provider has produced wait on the
	// server. A Pull that times out is sent again until the enumeration is
	// cancelled.
	PullWait time.Duration
	// SubscriptionExpiry is the lifetime ExecNotificationQuery asks for its
	// subscription (DefaultClientSubscriptionExpiry); the client renews it
	// at half of what the server granted.
	SubscriptionExpiry time.Duration
	// HTTPClient replaces the client's own (keep-alive, TLS from the
	// credentials).
	HTTPClient *http.Client
}

// Client defaults.
const (
	DefaultClientBatch    = 1000
	DefaultClientEnvelope = 4 << 20
	DefaultClientPullWait = 500 * time.Millisecond
)

// Client is a wbem.Backend that reaches a remote object manager over
// WS-Management. wbem.Connect makes one for an http(s) URL ending in /wsman
// (the query parameters maxelements, maxenvelopesize and pullwait set
// ClientOptions; a value that does not parse fails the connection with
// WBEM_E_INVALID_PARAMETER naming it); NewClient makes one directly.
type Client struct {
	endpoint string
	user, pw string
	hc       *http.Client
	opts     ClientOptions

	identMu sync.Mutex
	ident   serverInfo
	known   bool // ident holds the server's answer (identify)

	classes *classcache.Cache // see classcache for when an entry is trusted
	mu      sync.Mutex
	noClass map[string]error // namespace + "\x00" + lower-case name: the failure to get a class a server has no definition of
}

// serverInfo is what Identify told of the server.
type serverInfo struct {
	name   string // the name the server gives objects' paths
	vendor string // ProductVendor
	gowbem bool   // gowbem's extensions are there (gw:ServerName came)
}

func connect(ctx context.Context, u *url.URL, creds wbem.Credentials) (wbem.Backend, error) {
	var o ClientOptions
	q := httpclient.NewQuery(u)
	q.Int("maxelements", &o.MaxElements)
	q.Int("maxenvelopesize", &o.MaxEnvelopeSize)
	q.Duration("pullwait", &o.PullWait)
	if q.Err != nil {
		return nil, q.Err
	}
	endpoint, creds, err := httpclient.Endpoint(u, creds, "WS-Management")
	if err != nil {
		return nil, err
	}
	return NewClient(endpoint, creds, o), nil
}

// NewClient returns a client of the WS-Management service at endpoint
// (e.g. "http://host:5985/wsman").
func NewClient(endpoint string, creds wbem.Credentials, opts ClientOptions) *Client {
	if opts.MaxElements <= 0 {
		opts.MaxElements = DefaultClientBatch
	}
	if opts.MaxEnvelopeSize < MinEnvelopeSize {
		opts.MaxEnvelopeSize = DefaultClientEnvelope
	}
	if opts.PullWait <= 0 {
		opts.PullWait = DefaultClientPullWait
	}
	if opts.SubscriptionExpiry <= 0 {
		opts.SubscriptionExpiry = DefaultClientSubscriptionExpiry
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: httpclient.Transport(creds.TLS)}
	}
	return &Client{endpoint: endpoint, user: creds.User, pw: creds.Password, hc: hc, opts: opts, classes: classcache.New(classcache.MaxClient), noClass: map[string]error{}}
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Close implements io.Closer, for wbem.Services.Close: it closes the
// client's idle connections. Calls made afterwards open new ones.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// msg is a request being built.
type msg struct {
	action, uri string
	keys        []cim.KeyBinding
	nsSel       string
	flags       *wbem.Flag
	options     []option
	timeout     time.Duration
	body        func(w *bytes.Buffer)
	headers     func(w *bytes.Buffer) // more header elements
	primary     string                // the URI bound to p
	// system: the system properties an enumeration's query names, which
	// the projections of its results return (the wire carries only
	// properties).
	system []string
	// mode is an Enumerate's wsman:EnumerationMode (modeNameEPR,
	// modeNameObjectAndEPR); "" asks for the objects alone.
	mode string
	// items is how many items the request asks for (Enumerate's and
	// Pull's MaxElements): the response may hold that many more elements
	// (responseElements).
	items int
}

// Elements a response may hold: MaxElements, as any message, and for a
// response of up to n items (an optimized Enumerate's or a Pull's) another
// ItemElements for each: what the client asked for, not a fixed limit that
// a Pull of 10,000 instances (about 12 elements each) would pass. Bounded
// by what MaxEnvelopeSize bytes can hold at all, minElementBytes per
// element ("<a/>").
const (
	ItemElements    = 64
	minElementBytes = 4
)

// responseElements returns how many XML elements a response to m may hold.
func (c *Client) responseElements(m *msg) int {
	if m.items <= 0 {
		return MaxElements
	}
	return max(MaxElements, min(MaxElements+m.items*ItemElements, c.opts.MaxEnvelopeSize/minElementBytes))
}

const clientEnvelopeStart = `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsa="` + nsWSA + `" xmlns:wsman="` + nsWSMAN +
	`" xmlns:wsen="` + nsWSEN + `" xmlns:wsmb="` + nsWSMB + `" xmlns:cim="` + nsCIM + `" xmlns:xsi="` + nsXSI + `" xmlns:gw="` + NamespaceGowbem + `"`

func (c *Client) write(w *bytes.Buffer, m *msg) {
	w.WriteString(clientEnvelopeStart)
	if m.primary != "" {
		w.WriteString(` xmlns:p="`)
		escapeAttr(w, m.primary)
		w.WriteByte('"')
	}
	w.WriteString("><s:Header>")
	if m.action != "" {
		w.WriteString(`<wsa:Action s:mustUnderstand="true">`)
		escapeText(w, m.action)
		w.WriteString("</wsa:Action>")
	}
	w.WriteString(`<wsa:To s:mustUnderstand="true">`)
	escapeText(w, c.endpoint)
	w.WriteString("</wsa:To>")
	if m.uri != "" {
		w.WriteString(`<wsman:ResourceURI s:mustUnderstand="true">`)
		escapeText(w, m.uri)
		w.WriteString("</wsman:ResourceURI>")
	}
	w.WriteString(`<wsa:MessageID s:mustUnderstand="true">uuid:` + newUUID() + `</wsa:MessageID><wsa:ReplyTo><wsa:Address>` + anonymous + `</wsa:Address></wsa:ReplyTo>`)
	w.WriteString(`<wsman:MaxEnvelopeSize s:mustUnderstand="true">` + strconv.Itoa(c.opts.MaxEnvelopeSize) + "</wsman:MaxEnvelopeSize>")
	if m.timeout > 0 {
		w.WriteString("<wsman:OperationTimeout>" + formatDuration(m.timeout) + "</wsman:OperationTimeout>")
	}
	if len(m.keys) > 0 || m.nsSel != "" {
		w.WriteString("<wsman:SelectorSet>")
		iw := newInstWriter(uriMapper{ns: m.nsSel}, "")
		iw.writeSelectors(w, cim.ObjectPath{Keys: m.keys}, m.nsSel)
		w.WriteString("</wsman:SelectorSet>")
	}
	if m.flags != nil || len(m.options) > 0 {
		w.WriteString(`<wsman:OptionSet>`)
		if m.flags != nil {
			w.WriteString(`<wsman:Option Name="` + OptionFlags + `">` + strconv.FormatUint(uint64(*m.flags), 10) + "</wsman:Option>")
		}
		for _, o := range m.options {
			w.WriteString(`<wsman:Option Name="`)
			escapeAttr(w, o.Name)
			w.WriteString(`">`)
			escapeText(w, o.Value)
			w.WriteString("</wsman:Option>")
		}
		w.WriteString(`</wsman:OptionSet>`)
	}
	if m.headers != nil {
		m.headers(w)
	}
	w.WriteString("</s:Header><s:Body>")
	if m.body != nil {
		m.body(w)
	}
	w.WriteString("</s:Body></s:Envelope>")
}

// roundTrip sends m and returns the response's s:Body (whose first
// element is the answer), or the fault as a *cim.Error.
func (c *Client) roundTrip(ctx context.Context, m *msg) (*node, error) {
	buf := getBuf()
	defer putBuf(buf)
	c.write(buf, m)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "bad endpoint " + c.endpoint, Err: err}
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pw)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "cannot connect to the WS-Management server " + c.endpoint + ": " + op.Error(), Err: err}
		}
		return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "WS-Management request to " + c.endpoint + " failed: " + err.Error(), Err: err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		if c.user == "" {
			return nil, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Description: "the server wants credentials and none were given", Err: wbem.ErrAuthentication}
		}
		return nil, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Description: "the server refused the credentials of user " + strconv.Quote(c.user), Err: wbem.ErrAuthentication}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			return nil, &cim.Error{Status: cim.WBEM_E_SERVER_TOO_BUSY, Description: fmt.Sprintf(
				"the server refused the login for now (HTTP %d: too many failed or waiting logins); retry after %s s", resp.StatusCode, resp.Header.Get("Retry-After"))}
		}
	}
	rb := getBuf()
	defer putBuf(rb)
	limit := int64(c.opts.MaxEnvelopeSize) + 64<<10
	if _, err := rb.ReadFrom(io.LimitReader(resp.Body, limit+1)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "reading the response: " + err.Error(), Err: err}
	}
	if int64(rb.Len()) > limit {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: fmt.Sprintf("the response is larger than MaxEnvelopeSize %d", c.opts.MaxEnvelopeSize)}
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		if bytes.Contains(rb.Bytes(), []byte("HTTP request to an HTTPS server")) {
			// Go's (and others') answer to plain http on a TLS port.
			return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE,
				Description: fmt.Sprintf("%s speaks https: the server answered plain http with HTTP %d", req.URL.Host, resp.StatusCode)}
		}
		return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE,
			Description: fmt.Sprintf("the server answered HTTP %d with %q, not a SOAP envelope", resp.StatusCode, resp.Header.Get("Content-Type"))}
	}
	if len(bytes.TrimSpace(rb.Bytes())) == 0 && resp.StatusCode != http.StatusOK {
		// OMI answers a request it cannot read with an empty body.
		return nil, &cim.Error{Status: cim.WBEM_E_FAILED,
			Description: fmt.Sprintf("the server answered HTTP %d with an empty body (it could not read the request)", resp.StatusCode)}
	}
	root, err := parseXMLLimit(rb.String(), c.responseElements(m))
	if err != nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "unreadable response: " + err.Error()}
	}
	body := root.child(nsSOAP, "Body")
	if root.Space != nsSOAP || body == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "the response is not a SOAP 1.2 envelope"}
	}
	if len(body.Kids) > 0 && body.Kids[0].Space == nsSOAP && body.Kids[0].Local == "Fault" {
		return nil, errorFromFault(body.Kids[0])
	}
	return body, nil
}

// first returns the first element of a response's body, or nil.
func first(body *node) *node {
	if body == nil || len(body.Kids) == 0 {
		return nil
	}
	return body.Kids[0]
}

// resourceURI is the WMI-style URI of a class in a namespace. The client
// always uses it, and sends the namespace in the __cimnamespace selector as
// well: WinRM reads it from the URI, OMI and DSP0227's other servers from
// the selector.
func resourceURI(ns, class string) string {
	return URIPrefixWMI + uriNamespace(ns) + "/" + class
}

// maxDerivation bounds the superclass chain the client follows to learn a
// class's derivation from a server that tells only the superclass.
const maxDerivation = 32

// class returns the definition of a class, from the cache unless fresh: from
// gowbem's own resource when the server is gowbem, from DSP0227's standard
// one (URIClassDefinitionDSP0201) otherwise. A server without a class's
// definition is not asked again for each object (noClass).
func (c *Client) class(ctx context.Context, ns, name string, fresh bool) (*cim.Class, error) {
	return c.classAt(ctx, ns, name, fresh, 0)
}

func (c *Client) classAt(ctx context.Context, ns, name string, fresh bool, depth int) (*cim.Class, error) {
	key := strings.ToLower(ns) + "\x00" + strings.ToLower(name)
	if !fresh {
		if cl, ok := c.classes.Get(ns, name); ok {
			return cl, nil
		}
		c.mu.Lock()
		err, ok := c.noClass[key]
		c.mu.Unlock()
		if ok {
			return nil, err
		}
	}
	info, err := c.info(ctx)
	if err != nil {
		return nil, err // not a fact about the class: not cached
	}
	var cl *cim.Class
	if info.gowbem {
		cl, err = c.gowbemClass(ctx, ns, name)
	} else {
		cl, err = c.standardClass(ctx, ns, name, depth)
	}
	if err != nil {
		if !canDoWithout(err) || ctx.Err() != nil {
			return nil, err // not a fact about the class: not cached
		}
		c.mu.Lock()
		if len(c.noClass) >= classcache.MaxClient {
			clear(c.noClass)
		}
		c.noClass[key] = err
		c.mu.Unlock()
		return nil, err
	}
	cl = cl.Located(info.name, ns)
	c.classes.Put(ns, cl)
	return cl, nil
}

// gowbemClass gets a class definition from gowbem's resource of classes.
func (c *Client) gowbemClass(ctx context.Context, ns, name string) (*cim.Class, error) {
	n, err := c.roundTrip(ctx, &msg{action: actGet, uri: URIClassDefinition, keys: []cim.KeyBinding{{Name: "ClassName", Value: cim.String(name)}}, nsSel: ns})
	if err != nil {
		return nil, err
	}
	n = first(n)
	if n == nil || n.Local != "CLASS" {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the server sent no class definition for %s", name)
	}
	return readClassDef(n)
}

// standardClass gets a class definition the standard way: a Get of
// URIClassDefinitionDSP0201 with the selectors ClassName and __cimnamespace
// and the option IncludeQualifiers, answered with a DSP0201 CLASS. Its
// derivation comes from its superclasses' definitions.
func (c *Client) standardClass(ctx context.Context, ns, name string, depth int) (*cim.Class, error) {
	n, err := c.roundTrip(ctx, &msg{action: actGet, uri: URIClassDefinitionDSP0201, nsSel: ns,
		keys:    []cim.KeyBinding{{Name: "ClassName", Value: cim.String(name)}},
		options: []option{{Name: optIncludeQualifiers, Value: "true"}}})
	if err != nil {
		return nil, err
	}
	n = first(n)
	if n == nil || n.Local != "CLASS" {
		return nil, cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "the server sent no DSP0201 CLASS for %s", name)
	}
	cl, err := readDSP0201Class(n)
	if err != nil {
		return nil, err
	}
	if cl.Superclass != "" && depth < maxDerivation {
		if super, err := c.classAt(ctx, ns, cl.Superclass, false, depth+1); err == nil && super != nil {
			cl.Derivation = append([]string{super.Name}, super.Derivation...)
		}
	}
	return cl, nil
}

// canDoWithout reports whether a failure to get a class definition leaves
// the client able to read the class's objects without one (adhocClass):
// not when the server could not be reached, refused the user, or the call
// was cancelled.
func canDoWithout(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch cim.StatusOf(err) {
	case cim.WBEM_E_TRANSPORT_FAILURE, cim.WBEM_E_ACCESS_DENIED, cim.WBEM_E_CALL_CANCELLED:
		return false
	}
	return true
}

// forgetClasses empties the class cache after a schema write.
func (c *Client) forgetClasses() {
	c.classes.Forget()
	c.mu.Lock()
	clear(c.noClass)
	c.mu.Unlock()
}

// identifyTimeout bounds the Identify that info sends.
const identifyTimeout = 10 * time.Second

// info asks the server who it is (Identify): the name it gives objects'
// paths, and whether it is gowbem. The answer is remembered; a failure
// that says nothing of the server (the caller's ctx ended, the connection
// failed, the server was busy or refused the credentials) is not, so the
// next call asks again — until then the server is taken for a standard
// one named as in the endpoint. The Identify runs under the caller's ctx
// (an interrupted command does not wait for it), at most identifyTimeout.
// A connection that could not be made (refused, no such host) is the
// error: the caller's operation fails with it rather than dialing again.
func (c *Client) info(ctx context.Context) (serverInfo, error) {
	si, _, err := c.identify(ctx)
	return si, err
}

// identify is info that also returns, as failed, the failure that kept
// the client from learning who the server is (it refused the
// credentials, was busy, timed out): nil once the server has answered.
func (c *Client) identify(ctx context.Context) (si serverInfo, failed, err error) {
	c.identMu.Lock()
	if c.known {
		defer c.identMu.Unlock()
		return c.ident, nil, nil
	}
	c.identMu.Unlock()
	if u, err := url.Parse(c.endpoint); err == nil {
		si.name = u.Hostname()
	}
	ictx, cancel := context.WithTimeout(ctx, identifyTimeout)
	defer cancel()
	n, err := c.roundTrip(ictx, &msg{body: func(w *bytes.Buffer) {
		w.WriteString(`<wsmid:Identify xmlns:wsmid="` + nsWSMID + `"/>`)
	}})
	if err == nil {
		resp := first(n)
		si.vendor = resp.child(nsWSMID, "ProductVendor").text()
		if s := resp.child(NamespaceGowbem, "ServerName").text(); s != "" {
			si.name, si.gowbem = s, true
		}
	}
	if notConnected(err) {
		return si, err, err
	}
	switch cim.StatusOf(err) {
	case cim.WBEM_E_TRANSPORT_FAILURE, cim.WBEM_E_SERVER_TOO_BUSY, cim.WBEM_E_ACCESS_DENIED, cim.WBEM_E_TIMED_OUT:
		return si, err, nil
	}
	if err != nil && ictx.Err() != nil {
		return si, err, nil
	}
	c.identMu.Lock()
	defer c.identMu.Unlock()
	if !c.known {
		c.ident, c.known = si, true
	}
	return c.ident, nil, nil
}

// notConnected reports whether err is a connection that could not be made
// (the dial failed: refused, unreachable, no such host): nothing reached
// the server.
func notConnected(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// serverName is the name the server gives objects' paths (the endpoint's
// host when the server does not say).
func (c *Client) serverName(ctx context.Context) string {
	si, _ := c.info(ctx)
	return si.name
}

// decoder reads objects of one namespace, fetching class definitions as
// needed.
func (c *Client) decoder(ctx context.Context, ns string) *reader {
	return &reader{ns: ns, adhoc: true, lookup: func(name string) (*cim.Class, error) { return c.class(ctx, ns, name, false) }}
}

// objReader reads the objects of one response, remembering the last class
// it looked up (a batch is usually of one class).
type objReader struct {
	c        *Client
	ctx      context.Context
	ns       string
	rd       *reader
	server   string
	last     *cim.Class
	lastName string

	// ref is the endpoint reference beside the object being read
	// (EnumerateObjectAndEPR), nil without one.
	ref *node

	// The projection of the last class: a query's rows share one class.
	proj, projOf *cim.Class
	projKey      string
	system       []string // the system properties the query names
}

// selectedSystem returns the system properties a data query's SELECT list
// names (nil for SELECT * and for other operations).
func selectedSystem(op *wbem.Op) []string {
	if op.Kind != wbem.OpExecQuery || op.Language != "WQL" {
		return nil
	}
	q, err := wql.Parse(op.Query)
	sq, ok := q.(*wql.SelectQuery)
	if err != nil || !ok || sq.All {
		return nil
	}
	var out []string
	for _, p := range sq.Props {
		if cim.IsSystemProperty(p.Path[0]) {
			out = append(out, p.Path[0])
		}
	}
	return out
}

func (c *Client) objReader(ctx context.Context, ns string) *objReader {
	return &objReader{c: c, ctx: ctx, ns: ns, rd: c.decoder(ctx, ns), server: c.serverName(ctx)}
}

// readObject reads an instance or class element from a response.
func (c *Client) readObject(ctx context.Context, ns string, n *node) (cim.Object, error) {
	return c.objReader(ctx, ns).read(n)
}

func (o *objReader) read(n *node) (cim.Object, error) {
	c, ctx, ns, rd := o.c, o.ctx, o.ns, o.rd
	if n.Space == NamespaceGowbem && n.Local == "CLASS" {
		cl, err := readClassDef(n)
		if err != nil {
			return nil, err
		}
		return cl.Located(o.server, ns), nil
	}
	cl := o.last
	if cl == nil || o.lastName != n.Local {
		var err error
		if cl, err = c.class(ctx, ns, n.Local, false); err != nil {
			if !canDoWithout(err) {
				return nil, err
			}
			cl = nil // no definition: read it by itself
		}
		o.last, o.lastName = cl, n.Local
	}
	if cl == nil {
		return o.readAdhoc(n)
	}
	inst, err := rd.readInstance(n, cl)
	if errors.Is(err, cim.ErrInvalidProperty) || errors.Is(err, cim.ErrTypeMismatch) {
		// The class may have changed since it was cached (internal/classcache).
		if cl, err = c.class(ctx, ns, n.Local, true); err != nil {
			if !canDoWithout(err) {
				return nil, err
			}
			o.last = nil
			return o.readAdhoc(n)
		}
		o.last = cl
		inst, err = rd.readInstance(n, cl)
		if si, _ := c.info(ctx); errors.Is(err, cim.ErrInvalidProperty) && !si.gowbem {
			// The server's definition does not match its instances.
			return o.readAdhoc(n)
		}
	}
	if err != nil {
		return nil, err
	}
	// A query's projection sends only the properties it selected: the
	// instance is then of the projected class, as in-process.
	count := 0
	for _, ok := range rd.seen {
		if ok {
			count++
		}
	}
	if count < len(cl.Properties) || len(o.system) > 0 {
		key := make([]byte, len(rd.seen))
		for i, ok := range rd.seen {
			if ok {
				key[i] = 1
			}
		}
		if o.proj == nil || o.projOf != cl || o.projKey != string(key) {
			names := make([]string, 0, count+len(o.system))
			for i, ok := range rd.seen {
				if ok {
					names = append(names, cl.Properties[i].Name)
				}
			}
			names = append(names, o.system...)
			o.proj, o.projOf, o.projKey = cl.Project(names, false), cl, string(key)
		}
		inst = inst.Project(o.proj)
	}
	inst.SetLocation(o.server, ns)
	return inst, nil
}

// readAdhoc reads an instance whose class definition the server does not
// give, with a class made up from the element (adhocClass).
func (o *objReader) readAdhoc(n *node) (cim.Object, error) {
	if o.ref != nil {
		p, err := parseEPRPath(o.ref, o.ns, nil)
		if err != nil {
			return nil, err
		}
		return o.withEPRKeys(n, p)
	}
	cl, err := adhocClass(n, nil)
	if err != nil {
		return nil, err
	}
	cl = cl.Located(o.server, o.ns)
	inst, err := o.rd.readInstance(n, cl)
	if err != nil {
		return nil, err
	}
	inst.SetLocation(o.server, o.ns)
	return inst, nil
}

// queryURI is the resource a query is sent to: the all-classes URI of the
// namespace to gowbem (and WinRM), which takes any query; the resource of
// the query's FROM class to other servers, as OMI wants it.
func (c *Client) queryURI(ctx context.Context, ns string, op *wbem.Op) (string, error) {
	if op.Kind != wbem.OpExecQuery || op.Language != "WQL" {
		return resourceURI(ns, "*"), nil
	}
	if si, err := c.info(ctx); err != nil || si.gowbem {
		return resourceURI(ns, "*"), err
	}
	if q, err := wql.Parse(op.Query); err == nil {
		if sq, ok := q.(*wql.SelectQuery); ok && sq.Class != "" {
			return resourceURI(ns, sq.Class), nil
		}
	}
	return resourceURI(ns, "*"), nil
}

// target parses an operation's path, checks its namespace and names every
// key (resolving a bare Class=value with the class).
func (c *Client) target(ctx context.Context, op *wbem.Op) (cim.ObjectPath, error) {
	p, err := cim.ParsePath(op.Path)
	if err != nil {
		return p, err
	}
	if p.Namespace != "" && !strings.EqualFold(cim.NormalNamespace(p.Namespace), cim.NormalNamespace(op.Namespace)) {
		return p, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: op.Path,
			Description: fmt.Sprintf("path %s is in namespace %s, not in %s of these services", op.Path, p.Namespace, op.Namespace)}
	}
	for _, k := range p.Keys {
		if k.Name == "" {
			cl, err := c.class(ctx, op.Namespace, p.Class, false)
			if err != nil {
				return p, err
			}
			return p.Resolve(cl)
		}
	}
	return p, nil
}

// Do implements wbem.Backend.
func (c *Client) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	ns := cim.NormalNamespace(op.Namespace)
	switch op.Kind {
	case wbem.OpOpenNamespace:
		n, err := c.roundTrip(ctx, &msg{action: actGet, uri: URINamespace, nsSel: ns, keys: []cim.KeyBinding{{Name: "Name", Value: cim.String(op.Path)}}})
		if err != nil {
			return err
		}
		w.SetResultString(first(n).text())
		return nil
	case wbem.OpGetObject:
		if op.Path == "" {
			return w.Write(&cim.Class{})
		}
		p, err := c.target(ctx, op)
		if err != nil {
			return err
		}
		if p.IsClass() {
			cl, err := c.class(ctx, ns, p.Class, true)
			if err != nil {
				return err
			}
			return w.Write(cl.Clone()) // the cache keeps cl; the caller owns its copy

		}
		n, err := c.roundTrip(ctx, &msg{action: actGet, uri: resourceURI(ns, p.Class), keys: p.Keys, nsSel: ns})
		if err != nil {
			return err
		}
		if first(n) == nil {
			return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the server sent an empty GetResponse")
		}
		obj, err := c.readObject(ctx, ns, first(n))
		if err != nil {
			return err
		}
		return w.Write(obj)
	case wbem.OpPutClass:
		cl, ok := op.Object.(*cim.Class)
		if !ok || cl == nil {
			return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "PutClass needs a class")
		}
		flags := op.Flags &^ wbem.WBEM_FLAG_RETURN_IMMEDIATELY
		defer c.forgetClasses()
		_, err := c.roundTrip(ctx, &msg{action: actPut, uri: URIClassDefinition, nsSel: ns, flags: &flags,
			keys: []cim.KeyBinding{{Name: "ClassName", Value: cim.String(cl.Name)}},
			body: func(w *bytes.Buffer) { writeClassDef(w, cl) }})
		return err
	case wbem.OpDeleteClass:
		defer c.forgetClasses()
		_, err := c.roundTrip(ctx, &msg{action: actDelete, uri: URIClassDefinition, nsSel: ns, keys: []cim.KeyBinding{{Name: "ClassName", Value: cim.String(op.Path)}}})
		return err
	case wbem.OpCreateClassEnum:
		flags := op.Flags & wbem.WBEM_FLAG_SHALLOW
		var keys []cim.KeyBinding
		if op.Path != "" {
			keys = []cim.KeyBinding{{Name: "ClassName", Value: cim.String(op.Path)}}
		}
		return c.enumerate(ctx, w, ns, &msg{uri: URIClassDefinition, nsSel: ns, keys: keys, flags: &flags}, nil)
	case wbem.OpPutInstance:
		return c.putInstance(ctx, op, ns, w)
	case wbem.OpDeleteInstance:
		p, err := c.target(ctx, op)
		if err != nil {
			return err
		}
		_, err = c.roundTrip(ctx, &msg{action: actDelete, uri: resourceURI(ns, p.Class), keys: p.Keys, nsSel: ns})
		return err
	case wbem.OpCreateInstanceEnum:
		flags := op.Flags & (wbem.WBEM_FLAG_SHALLOW | wbem.WBEM_FLAG_DIRECT_READ)
		m := &msg{uri: resourceURI(ns, op.Path), nsSel: ns, flags: &flags}
		if err := c.refused(ctx); err != nil {
			return err
		}
		if without, err := c.withoutDefinition(ctx, ns, op.Path); err != nil {
			return err
		} else if without {
			m.mode = modeNameObjectAndEPR // the paths come from the references
		}
		return c.enumerate(ctx, w, ns, m, nil)
	case wbem.OpExecNotificationQuery:
		return c.subscribe(ctx, w, ns, op)
	case wbem.OpExecQuery:
		if err := c.refused(ctx); err != nil {
			return err
		}
		af, err := c.associationFilter(ctx, op)
		if err != nil {
			return err
		}
		if af != nil {
			m := &msg{uri: URIAllClasses, nsSel: ns}
			if af.keysOnly {
				m.mode = modeNameEPR
			}
			return c.enumerate(ctx, w, ns, m, func(b *bytes.Buffer) { af.write(b, ns) })
		}
		dialect := DialectWQL
		if op.Language != "WQL" {
			dialect = DialectLanguagePrefix + url.PathEscape(op.Language)
		}
		uri, err := c.queryURI(ctx, ns, op)
		if err != nil {
			return err
		}
		m := &msg{uri: uri, nsSel: ns, system: selectedSystem(op)}
		query := op.Query
		if pq, ok := c.pathQuery(ctx, op); ok {
			m.mode, query = modeNameEPR, pq
		} else if class := selectAllClass(op); class != "" {
			if without, err := c.withoutDefinition(ctx, ns, class); err != nil {
				return err
			} else if without {
				m.mode = modeNameObjectAndEPR // the paths come from the references
			}
		}
		var filter func(w *bytes.Buffer)
		if query != "" {
			filter = func(w *bytes.Buffer) {
				w.WriteString(`<wsman:Filter Dialect="`)
				escapeAttr(w, dialect)
				w.WriteString(`">`)
				escapeText(w, query)
				w.WriteString("</wsman:Filter>")
			}
		}
		return c.enumerate(ctx, w, ns, m, filter)
	case wbem.OpExecMethod:
		return c.execMethod(ctx, op, ns, w)
	}
	return cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "operation %s is not supported over WS-Management", op.Kind)
}

func (c *Client) putInstance(ctx context.Context, op *wbem.Op, ns string, w wbem.ResultWriter) error {
	inst, ok := op.Object.(*cim.Instance)
	if !ok || inst == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "PutInstance needs an instance, not a class")
	}
	uri := resourceURI(ns, inst.ClassName())
	var keys []cim.KeyBinding
	for _, k := range inst.ObjectPath().Keys {
		if !k.Value.IsNull() {
			keys = append(keys, k)
		}
	}
	flags := op.Flags & (wbem.WBEM_FLAG_CREATE_ONLY | wbem.WBEM_FLAG_UPDATE_ONLY)
	iw := newInstWriter(uriMapper{base: resourceURI(ns, ""), ns: ns}, uri)
	n, err := c.roundTrip(ctx, &msg{action: actPut, uri: uri, keys: keys, nsSel: ns, flags: &flags, primary: uri,
		body: func(w *bytes.Buffer) { iw.writeInstance(w, inst) }})
	if err != nil {
		return err
	}
	// The response's body holds the instance and, from gowbem, its path.
	path := n.child(NamespaceGowbem, "Path").text()
	if path == "" {
		path = inst.ObjectPath().RelPath()
	}
	w.SetResultString(path)
	return nil
}

// parseXMLLimit is parseXMLString with another limit on the elements of the
// document.
func parseXMLLimit(s string, maxElements int) (*node, error) {
	if maxElements == soapXML.MaxElements {
		return parseXMLString(s)
	}
	c := *soapXML
	c.MaxElements = maxElements
	root, err := xmltree.Parse(&c, s)
	if e, ok := err.(*xmltree.SyntaxError); ok {
		return nil, &parseError{e.Msg}
	}
	return root, err
}
