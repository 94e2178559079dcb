package cimxml

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/classcache"
	"github.com/gowbem/gowbem/internal/httpclient"
	"github.com/gowbem/gowbem/wbem"
)

func init() { wbem.RegisterProtocol("cimxml", connect, "/cimom") }

// ClientOptions tune a Client.
type ClientOptions struct {
	// MaxObjectCount is the batch of the pull operations
	// (DefaultClientBatch).
	MaxObjectCount int
	// NoPull makes the client use the plain intrinsic methods only
	// (EnumerateInstances, ExecQuery, …), whose responses it reads as they
	// stream. Without it the client uses the pull operations and falls back
	// to the plain methods when the server has none.
	NoPull bool
	// OperationTimeout is the idle timeout the client asks for its pull
	// enumerations (0: the server's default).
	OperationTimeout time.Duration
	// ListenerAddress is the host:port on which ExecNotificationQuery's
	// indication listener listens (one per event query), and the address
	// the server is told to send to. By default the client listens on an
	// ephemeral port of the local address its connections to the server
	// leave from; an unspecified host (":5990", "0.0.0.0:5990") listens on
	// every address and tells that one. The URL parameter "listener" sets
	// it.
	ListenerAddress string
	// HTTPClient replaces the client's own (keep-alive, TLS from the
	// credentials).
	HTTPClient *http.Client
}

// DefaultClientBatch is the default MaxObjectCount of a client's pulls.
const DefaultClientBatch = 1000

// ServerHeader is the response header in which gowbem's server tells its
// name (the __SERVER of the objects it returns).
const ServerHeader = "Gowbem-Server"

// Client is a wbem.Backend that reaches a remote CIM server over CIM-XML
// (DSP0200). wbem.Connect makes one for an http(s) URL ending in /cimom
// (the query parameters maxobjectcount, pull=false and operationtimeout set
// ClientOptions; a value that does not parse fails the connection with
// WBEM_E_INVALID_PARAMETER naming it); NewClient makes one directly.
type Client struct {
	endpoint string
	user, pw string
	hc       *http.Client
	opts     ClientOptions

	noPull atomic.Bool // the server has no pull operations
	ext    atomic.Bool // the server has gowbem's extensions
	pin    atomic.Bool // the server trusts a listener by its pinned certificate
	heard  atomic.Bool // a response came (ext is known)
	msgID  atomic.Uint64

	mu      sync.Mutex
	server  string            // the server's name, once told
	classes *classcache.Cache // see classcache for when an entry is trusted
}

func connect(ctx context.Context, u *url.URL, creds wbem.Credentials) (wbem.Backend, error) {
	var o ClientOptions
	q := httpclient.NewQuery(u)
	q.Int("maxobjectcount", &o.MaxObjectCount)
	pull := true
	q.Bool("pull", &pull)
	o.NoPull = !pull
	q.Duration("operationtimeout", &o.OperationTimeout)
	o.ListenerAddress = q.String("listener")
	if q.Err != nil {
		return nil, q.Err
	}
	endpoint, creds, err := httpclient.Endpoint(u, creds, "CIM-XML")
	if err != nil {
		return nil, err
	}
	return NewClient(endpoint, creds, o), nil
}

// NewClient returns a client of the CIM server at endpoint (e.g.
// "http://host:5988/cimom").
func NewClient(endpoint string, creds wbem.Credentials, opts ClientOptions) *Client {
	if opts.MaxObjectCount <= 0 {
		opts.MaxObjectCount = DefaultClientBatch
	}
	opts.MaxObjectCount = min(opts.MaxObjectCount, MaxObjectCount)
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: httpclient.Transport(creds.TLS)}
	}
	c := &Client{endpoint: endpoint, user: creds.User, pw: creds.Password, hc: hc, opts: opts, classes: classcache.New(classcache.MaxClient)}
	if u, err := url.Parse(endpoint); err == nil {
		c.server = u.Hostname()
	}
	return c
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Close implements io.Closer, for wbem.Services.Close: it closes the
// client's idle connections. Calls made afterwards open new ones.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// rpc is one method call to send.
type rpc struct {
	method    string
	ns        string
	intrinsic bool
	object    string                // the CIMObject header of an extrinsic call
	target    func(w *bytes.Buffer) // METHODCALL's LOCALINSTANCEPATH or LOCALCLASSPATH
	params    func(w *bytes.Buffer) // IPARAMVALUEs or PARAMVALUEs
	// fast, when set, is tried on each item of IRETURNVALUE before it is
	// read as a whole element: it reads the item at the start of s (the
	// rest of what has come) and reports its length, or false.
	fast func(s string) (n int, ok bool, err error)
}

func (c *Client) encoder(ns string) *encoder { return &encoder{host: c.serverName(), ns: ns} }

func (c *Client) serverName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server
}

// iparam writes an IPARAMVALUE holding what f writes.
func iparam(w *bytes.Buffer, name string, f func(w *bytes.Buffer)) {
	w.WriteString(`<IPARAMVALUE NAME="` + name + `">`)
	f(w)
	w.WriteString("</IPARAMVALUE>")
}

func iparamBool(w *bytes.Buffer, name string, v bool) {
	iparam(w, name, func(w *bytes.Buffer) {
		if v {
			w.WriteString("<VALUE>TRUE</VALUE>")
		} else {
			w.WriteString("<VALUE>FALSE</VALUE>")
		}
	})
}

func iparamString(w *bytes.Buffer, name, v string) {
	iparam(w, name, func(w *bytes.Buffer) {
		w.WriteString("<VALUE>")
		escapeText(w, v)
		w.WriteString("</VALUE>")
	})
}

func iparamClassName(w *bytes.Buffer, name, class string) {
	iparam(w, name, func(w *bytes.Buffer) {
		w.WriteString(`<CLASSNAME NAME="`)
		escapeAttr(w, class)
		w.WriteString(`"/>`)
	})
}

// request writes the whole request document.
func (c *Client) request(w *bytes.Buffer, r *rpc) {
	w.WriteString(xmlDecl + `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="`)
	w.WriteString(strconv.FormatUint(c.msgID.Add(1), 10))
	w.WriteString(`" PROTOCOLVERSION="1.0"><SIMPLEREQ>`)
	if r.intrinsic {
		w.WriteString(`<IMETHODCALL NAME="` + r.method + `">`)
		(&encoder{}).localNamespace(w, r.ns)
	} else {
		w.WriteString(`<METHODCALL NAME="`)
		escapeAttr(w, r.method)
		w.WriteString(`">`)
		r.target(w)
	}
	if r.params != nil {
		r.params(w)
	}
	if r.intrinsic {
		w.WriteString("</IMETHODCALL>")
	} else {
		w.WriteString("</METHODCALL>")
	}
	w.WriteString("</SIMPLEREQ></MESSAGE></CIM>\n")
}

// objectHeader URI-escapes a namespace or object path for CIMObject.
func objectHeader(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', strings.IndexByte("-_.!~*'()=,\"", ch) >= 0:
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// results of a call: the output parameters by lower-case name, and the
// RETURNVALUE of an extrinsic one.
type results struct {
	params map[string]*node
	ret    *node
}

func (r *results) param(name string) *node { return r.params[strings.ToLower(name)] }

// call sends r and reads the response as it streams: onItem gets each
// element of IRETURNVALUE in turn (and may keep it). A CIM error comes back
// as the *cim.Error the server reported.
func (c *Client) call(ctx context.Context, r *rpc, onItem func(*item) error) (*results, error) {
	buf := getBuf()
	defer putBuf(buf)
	c.request(buf, r)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "bad endpoint " + c.endpoint, Err: err}
	}
	h := req.Header
	h.Set("Content-Type", `application/xml; charset="utf-8"`)
	h.Set("CIMProtocolVersion", "1.0")
	h.Set("CIMOperation", "MethodCall")
	h.Set("CIMMethod", objectHeader(r.method))
	if r.intrinsic {
		h.Set("CIMObject", objectHeader(strings.ReplaceAll(r.ns, `\`, "/")))
	} else {
		h.Set("CIMObject", objectHeader(r.object))
	}
	h.Set("TE", "trailers")
	h.Set(ExtensionHeader, "cim-error")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pw)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "CIM-XML request to " + c.endpoint + " failed: " + err.Error(), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, httpFailure(resp, c.user)
	}
	if hasToken(resp.Header.Get(ExtensionHeader), "flags") {
		c.ext.Store(true)
	}
	if hasToken(resp.Header.Get(ExtensionHeader), "listener-pin") {
		c.pin.Store(true)
	}
	c.heard.Store(true)
	if s := resp.Header.Get(ServerHeader); s != "" {
		c.mu.Lock()
		c.server = s
		c.mu.Unlock()
	}
	res, err := readResponse(resp.Body, r, onItem)
	if err != nil {
		if _, ok := err.(*syntaxError); ok || err == io.ErrUnexpectedEOF {
			// A response that breaks off may say why in its trailer.
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			if code := resp.Trailer.Get("CIMStatusCode"); code != "" && code != "0" {
				n, _ := strconv.Atoi(code)
				desc, _ := url.PathUnescape(resp.Trailer.Get("CIMStatusCodeDescription"))
				if desc == "" {
					desc = cim.CIMStatus(n).String()
				}
				return nil, &cim.Error{Status: cim.CIMStatus(n).Status(), Description: desc}
			}
			return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "unreadable response to " + r.method + ": " + err.Error()}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, ok := err.(*cim.Error); !ok {
			return nil, &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Description: "reading the response to " + r.method + ": " + err.Error(), Err: err}
		}
		return nil, err
	}
	return res, nil
}

// httpFailure turns a response other than 200 into an error.
func httpFailure(resp *http.Response, user string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusUnauthorized {
		return &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Description: "the server refused the credentials of user " + strconv.Quote(user)}
	}
	why := strings.TrimSpace(string(body))
	ce := resp.Header.Get("CIMError")
	if ce != "" {
		why = ce + ": " + why
	}
	st := cim.WBEM_E_TRANSPORT_FAILURE
	switch {
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		st = cim.WBEM_E_QUOTA_VIOLATION
	case resp.StatusCode == http.StatusNotImplemented || ce == "unsupported-operation":
		st = cim.WBEM_E_NOT_SUPPORTED
	case resp.StatusCode == http.StatusBadRequest:
		st = cim.WBEM_E_INVALID_PARAMETER
	}
	return &cim.Error{Status: st, Description: fmt.Sprintf("the server answered HTTP %d: %s", resp.StatusCode, why)}
}

// readResponse reads a method response as it streams.
func readResponse(body io.Reader, r *rpc, onItem func(*item) error) (*results, error) {
	sr := newStreamReader(body)
	if err := sr.skip(true); err != nil {
		return nil, err
	}
	for _, name := range []string{"CIM", "MESSAGE", "SIMPLERSP"} {
		if _, empty, err := sr.open(name); err != nil {
			return nil, err
		} else if empty {
			return nil, &syntaxError{"<" + name + "> is empty"}
		}
	}
	rsp := "IMETHODRESPONSE"
	if !r.intrinsic {
		rsp = "METHODRESPONSE"
	}
	if _, empty, err := sr.open(rsp); err != nil {
		return nil, err
	} else if empty {
		return &results{params: map[string]*node{}}, nil
	}
	res := &results{params: map[string]*node{}}
	for {
		name, end, err := sr.peek()
		if err != nil {
			return nil, err
		}
		if end {
			if name != rsp {
				return nil, &syntaxError{"unexpected </" + name + ">"}
			}
			if err := sr.close(rsp); err != nil {
				return nil, err
			}
			return res, nil
		}
		switch name {
		case "ERROR":
			n, err := sr.element()
			if err != nil {
				return nil, err
			}
			e := readError(n)
			if e.Operation == "" {
				e.Operation = r.method
			}
			return nil, e
		case "IRETURNVALUE":
			_, empty, err := sr.open("IRETURNVALUE")
			if err != nil {
				return nil, err
			}
			for !empty {
				name, end, err := sr.peek()
				if err != nil {
					return nil, err
				}
				if end {
					if name != "IRETURNVALUE" {
						return nil, &syntaxError{"unexpected </" + name + ">"}
					}
					if err := sr.close("IRETURNVALUE"); err != nil {
						return nil, err
					}
					break
				}
				if r.fast != nil {
					n, ok, err := r.fast(sr.p.S[sr.p.Pos:])
					if err != nil {
						return nil, err
					}
					if ok {
						sr.p.Pos += n
						continue
					}
				}
				raw, err := sr.frame()
				if err != nil {
					return nil, err
				}
				if onItem != nil {
					if err := onItem(&item{raw: raw}); err != nil {
						return nil, err
					}
				}
			}
		case "RETURNVALUE":
			if res.ret, err = sr.element(); err != nil {
				return nil, err
			}
		case "PARAMVALUE":
			n, err := sr.element()
			if err != nil {
				return nil, err
			}
			pn, _ := n.attr("NAME")
			res.params[strings.ToLower(pn)] = n
		case "":
			return nil, &syntaxError{"the response ends inside <" + rsp + ">"}
		default:
			return nil, &syntaxError{"<" + rsp + "> holds <" + name + ">"}
		}
	}
}
