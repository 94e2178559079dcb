package wmi

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/go-ole/go-ole"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// BatchSize is how many objects one IEnumWbemClassObject::Next asks for.
const BatchSize = 100

// PollInterval is the timeout of each IEnumWbemClassObject::Next and
// IWbemCallResult::GetCallStatus: how long a cancelled operation may wait
// before the backend notices and releases the WMI call.
const PollInterval = 200 * time.Millisecond

func init() {
	wbem.RegisterProtocol(Scheme, func(ctx context.Context, u *url.URL, creds wbem.Credentials) (wbem.Backend, error) {
		return Open(ctx, u.Host, creds)
	})
}

// Backend is a wbem.Backend over the WMI of this machine or, over DCOM, of
// a remote one. It keeps an IWbemServices per namespace it was asked for;
// Close releases them. A Backend is safe for concurrent use.
type Backend struct {
	server   string // "" for this machine
	user     string
	password string
	identity *coAuthIdentity // remote credentials for the proxies, or nil
	wine     bool

	mu     sync.Mutex
	svcs   map[string]*object // lower-case namespace → IWbemServices
	closed bool
	stop   chan struct{} // ends the apartment's anchor thread
	done   chan struct{}
}

// Open connects to WMI: server "" (or ".", "localhost") is this machine;
// another name reaches that machine over DCOM with creds (none: the
// caller's own logon). Credentials for the local machine are refused, as
// WMI refuses them (WBEM_E_LOCAL_CREDENTIALS).
func Open(ctx context.Context, server string, creds wbem.Credentials) (*Backend, error) {
	if server == "." || strings.EqualFold(server, "localhost") {
		server = ""
	}
	b := &Backend{server: server, user: creds.User, password: creds.Password, wine: onWine(),
		svcs: map[string]*object{}, stop: make(chan struct{}), done: make(chan struct{})}
	if server != "" && creds.User != "" {
		b.identity = newIdentity(creds.User, creds.Password)
	}
	// The anchor keeps the multithreaded apartment, and so every interface
	// pointer the backend holds, alive between operations.
	ready := make(chan uint32)
	go func() {
		runtime.LockOSThread()
		hr := coInitializeEx()
		ready <- hr
		if !failed(hr) {
			<-b.stop
			ole.CoUninitialize()
		}
		close(b.done)
	}()
	if hr := <-ready; failed(hr) {
		return nil, hresultError("Connect", hr, "")
	}
	// Connect to the default namespace now, so that a wrong server or
	// credentials fail here rather than on the first operation.
	err := runMTA(func() error {
		if b.wine {
			wineMu.Lock()
			defer wineMu.Unlock()
		}
		s, err := b.services(ctx, cim.DefaultNamespace)
		s.release()
		return err
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close releases the backend's WMI connections. Operations still running
// keep their own references and end normally.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	svcs := b.svcs
	b.svcs = nil
	b.mu.Unlock()
	_ = runMTA(func() error {
		if b.wine {
			wineMu.Lock()
			defer wineMu.Unlock()
		}
		for _, s := range svcs {
			s.release()
		}
		return nil
	})
	close(b.stop)
	<-b.done
	return nil
}

// services returns an AddRef'd IWbemServices of namespace, connecting on
// first use. It runs on an MTA thread.
func (b *Backend) services(ctx context.Context, namespace string) (*object, error) {
	key := strings.ToLower(cim.NormalNamespace(namespace))
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Description: "the WMI backend is closed"}
	}
	if s := b.svcs[key]; s != nil {
		s.addRef()
		b.mu.Unlock()
		return s, nil
	}
	b.mu.Unlock()

	unk, err := ole.CreateInstance(clsidWbemLocator, iidWbemLocator)
	if err != nil {
		return nil, oleError("Connect", err)
	}
	loc := (*object)(unsafe.Pointer(unk))
	defer loc.release()
	resource := cim.NormalNamespace(namespace)
	flags := uintptr(0)
	if b.server != "" {
		resource = `\\` + b.server + `\` + resource
		flags = wbemFlagConnectMaxWait // give up after two minutes, not never
	}
	res, user, pass := newBSTR(resource), bstr{}, bstr{}
	defer res.free()
	if b.user != "" {
		user, pass = newBSTR(b.user), newBSTR(b.password)
		defer user.free()
		defer pass.free()
	}
	var svc *object
	hr := loc.call(mConnectServer, res.ptr(), user.ptr(), pass.ptr(), 0, flags, 0, 0, uintptr(unsafe.Pointer(&svc)))
	if failed(hr) {
		return nil, b.failure("Connect", hr, namespace)
	}
	if err := ctx.Err(); err != nil {
		svc.release()
		return nil, err
	}
	setBlanket(svc, b.identity)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		svc.release()
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Description: "the WMI backend is closed"}
	}
	if old := b.svcs[key]; old != nil { // another operation connected first
		svc.release()
		svc = old
	} else {
		b.svcs[key] = svc
	}
	svc.addRef()
	return svc, nil
}

func oleError(op string, err error) *cim.Error {
	if oe, ok := err.(*ole.OleError); ok {
		return hresultError(op, uint32(oe.Code()), "")
	}
	return &cim.Error{Status: cim.WBEM_E_FAILED, Operation: op, Description: err.Error(), Err: err}
}

// failure turns a failed call's HRESULT into a *cim.Error with the
// __ExtendedStatus WMI attached to the thread (IErrorInfo), or else the
// text IWbemStatusCodeText gives for the code.
func (b *Backend) failure(op string, hr uint32, param string) *cim.Error {
	var e *cim.Error
	if ext := extendedStatus(); ext != nil {
		e = hresultError(op, hr, ext.Description)
		e.Operation = firstNonEmpty(ext.Operation, op)
		e.Parameter = ext.Parameter
		e.Provider = ext.Provider
	} else {
		e = hresultError(op, hr, statusText(hr))
	}
	if e.Parameter == "" {
		e.Parameter = param
	}
	if param != "" && !strings.Contains(e.Description, param) {
		e.Description += ": " + param
	}
	return e
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// extendedStatus reads the __ExtendedStatus object of the last failure on
// this thread, if WMI left one.
func extendedStatus() *cim.Error {
	var info *object
	hr, _, _ := procGetErrorInfo.Call(0, uintptr(unsafe.Pointer(&info)))
	if uint32(hr) != sOK || info == nil {
		return nil
	}
	defer info.release()
	obj, qhr := info.queryInterface(iidWbemClassObject)
	if failed(qhr) || obj == nil {
		return nil
	}
	defer obj.release()
	str := func(name string) string {
		v, _, err := getProperty(obj, name)
		if err != nil || v.vt != vtBSTR {
			return ""
		}
		return v.s
	}
	e := &cim.Error{Description: str("Description"), Operation: str("Operation"),
		Parameter: str("ParameterInfo"), Provider: str("ProviderName")}
	if e.Description == "" && e.Operation == "" {
		return nil
	}
	return e
}

// statusText asks IWbemStatusCodeText for WMI's text of a code.
func statusText(hr uint32) string {
	unk, err := ole.CreateInstance(clsidWbemStatusCodeText, iidWbemStatusCodeText)
	if err != nil {
		return ""
	}
	t := (*object)(unsafe.Pointer(unk))
	defer t.release()
	var msg *uint16
	if failed(t.call(mGetErrorCodeText, uintptr(hr), 0, 0, uintptr(unsafe.Pointer(&msg)))) {
		return ""
	}
	return strings.TrimSpace(takeBSTR(msg))
}

// wineMu serializes operations on Wine (see Do).
var wineMu sync.Mutex

// buffer collects an operation's results (on Wine, see Do).
type buffer struct {
	objs   []cim.Object
	result *string
}

func (b *buffer) Write(obj cim.Object) error { b.objs = append(b.objs, obj); return nil }
func (b *buffer) SetResultString(s string)   { b.result = &s }
func (b *buffer) Progress(int, int)          {}

// guard forwards to a ResultWriter until Do has returned, so a COM thread
// still finishing after a cancellation cannot write past the final status.
type guard struct {
	mu   sync.Mutex
	w    wbem.ResultWriter
	shut bool
}

var errShut = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the operation was cancelled"}

func (g *guard) Write(obj cim.Object) error {
	g.mu.Lock()
	shut := g.shut
	g.mu.Unlock()
	if shut {
		return errShut
	}
	return g.w.Write(obj) // may block on a full queue: not under the lock
}

func (g *guard) SetResultString(s string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.shut {
		g.w.SetResultString(s)
	}
}

func (g *guard) Progress(done, total int) {}

func (g *guard) close() {
	g.mu.Lock()
	g.shut = true
	g.mu.Unlock()
}

// Do implements wbem.Backend: it runs op on a thread of COM's
// multithreaded apartment and returns once op completes or ctx is done.
func (b *Backend) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	g := &guard{w: w}
	errc := make(chan error, 1)
	go func() {
		errc <- runMTA(func() error {
			if b.wine {
				wineMu.Lock()
			}
			svc, err := b.services(ctx, op.Namespace)
			if b.wine {
				wineMu.Unlock()
			}
			if err != nil {
				return err
			}
			defer func() {
				if b.wine {
					wineMu.Lock()
					defer wineMu.Unlock()
				}
				svc.release()
			}()
			r := &run{b: b, svc: svc, ctx: ctx, op: op, w: g, ns: op.Namespace,
				classes: map[string]*cim.Class{}, shapes: map[string]*cim.Class{}}
			if !b.wine {
				return r.do()
			}
			// Wine's WMI fills process-wide tables per query, so two
			// operations at once corrupt each other (and crash): on Wine
			// operations run one at a time, each collected under the lock
			// and delivered after it, so that no operation holds the lock
			// while its consumer is behind.
			buf := &buffer{}
			r.w = buf
			wineMu.Lock()
			err = r.do()
			wineMu.Unlock()
			for _, o := range buf.objs {
				if werr := g.Write(o); werr != nil {
					return werr
				}
			}
			if buf.result != nil {
				g.SetResultString(*buf.result)
			}
			return err
		})
	}()
	select {
	case err := <-errc:
		if pe, ok := err.(*panicError); ok {
			return &cim.Error{Status: cim.WBEM_E_CRITICAL_ERROR, Operation: op.Kind.String(), Description: pe.Error(), Err: pe}
		}
		return err
	case <-ctx.Done():
		g.close() // the COM thread finishes and releases on its own
		return ctx.Err()
	}
}

// run is one operation on one IWbemServices.
type run struct {
	b   *Backend
	svc *object
	ctx context.Context
	op  *wbem.Op
	w   wbem.ResultWriter
	ns  string

	classes map[string]*cim.Class // class definitions by lower-case name
	shapes  map[string]*cim.Class // projections by class and property list
}

func (r *run) name() string { return r.op.Kind.String() }

// flags are the caller's flags less those the backend decides itself (the
// call mode and the direction: package wbem provides them over the stream).
func (r *run) flags() uintptr {
	f := r.op.Flags &^ (wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_SEND_STATUS)
	if r.op.Kind.Enumerates() {
		f &^= wbem.WBEM_FLAG_FORWARD_ONLY
	}
	return uintptr(uint32(f))
}

func (r *run) do() error {
	op := r.op
	switch op.Kind {
	case wbem.OpOpenNamespace:
		return r.openNamespace()
	case wbem.OpGetObject:
		obj, err := r.getObject(op.Path, r.flags())
		if err != nil {
			return err
		}
		defer obj.release()
		o, err := r.convert(obj)
		if err != nil {
			return err
		}
		return r.w.Write(o)
	case wbem.OpDeleteClass:
		return r.simple(mDeleteClass, op.Path)
	case wbem.OpDeleteInstance:
		return r.simple(mDeleteInstance, op.Path)
	case wbem.OpCreateClassEnum:
		super := newBSTR(op.Path)
		defer super.free()
		return r.enumerate(mCreateClassEnum, super.ptr(), 0, false)
	case wbem.OpCreateInstanceEnum:
		class := newBSTR(op.Path)
		defer class.free()
		return r.enumerate(mCreateInstanceEnum, class.ptr(), 0, false)
	case wbem.OpExecQuery, wbem.OpExecNotificationQuery:
		lang, q := newBSTR(op.Language), newBSTR(op.Query)
		defer lang.free()
		defer q.free()
		m := mExecQuery
		if op.Kind == wbem.OpExecNotificationQuery {
			m = mExecNotificationQuery
		}
		return r.enumerate(m, lang.ptr(), q.ptr(), true)
	case wbem.OpPutInstance:
		return r.putInstance()
	case wbem.OpPutClass:
		return r.putClass()
	case wbem.OpExecMethod:
		return r.execMethod()
	}
	return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Operation: r.name(), Description: "operation " + r.name() + " is not supported by the WMI backend"}
}

// semisync reports whether calls that give an IWbemCallResult are issued
// with WBEM_FLAG_RETURN_IMMEDIATELY. Wine's WMI has no call results.
func (r *run) semisync() bool { return !r.b.wine }

// wait polls a call result until the call completes or the context is
// done, and returns the call's own status.
func (r *run) wait(cr *object) error {
	for {
		var status int32
		hr := cr.call(mGetCallStatus, uintptr(PollInterval/time.Millisecond), uintptr(unsafe.Pointer(&status)))
		switch {
		case hr == wbemSTimedOut:
			if err := r.ctx.Err(); err != nil {
				return err
			}
			continue
		case failed(hr):
			return r.b.failure(r.name(), hr, "")
		case failed(uint32(status)):
			return r.b.failure(r.name(), uint32(status), r.op.Path)
		}
		return nil
	}
}

// simple runs a call whose only result is its status (DeleteClass,
// DeleteInstance): IWbemServices::M(path, flags, ctx, ppCallResult).
func (r *run) simple(m int, path string) error {
	p := newBSTR(path)
	defer p.free()
	var cr *object
	pcr := uintptr(0)
	flags := r.flags()
	if r.semisync() {
		flags |= uintptr(wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
		pcr = uintptr(unsafe.Pointer(&cr))
	}
	hr := r.svc.call(m, p.ptr(), flags, 0, pcr)
	if failed(hr) {
		return r.b.failure(r.name(), hr, path)
	}
	if cr == nil {
		return nil
	}
	defer cr.release()
	setBlanket(cr, r.b.identity)
	return r.wait(cr)
}

func (r *run) openNamespace() error {
	full := r.ns + `\` + strings.ReplaceAll(r.op.Path, "/", `\`)
	p := newBSTR(r.op.Path)
	defer p.free()
	var svc *object
	hr := r.svc.call(mOpenNamespace, p.ptr(), 0, 0, uintptr(unsafe.Pointer(&svc)), 0)
	if failed(hr) {
		if hr == 0x80004001 || hr == uint32(cim.WBEM_E_NOT_SUPPORTED) { // Wine: connect to it instead
			s, err := r.b.services(r.ctx, full)
			if err != nil {
				return err
			}
			s.release()
			r.w.SetResultString(full)
			return nil
		}
		return r.b.failure(r.name(), hr, r.op.Path)
	}
	setBlanket(svc, r.b.identity)
	key := strings.ToLower(full)
	r.b.mu.Lock()
	if r.b.closed || r.b.svcs[key] != nil {
		svc.release()
	} else {
		r.b.svcs[key] = svc
	}
	r.b.mu.Unlock()
	r.w.SetResultString(full)
	return nil
}

// getObject runs IWbemServices::GetObject and returns the object, which the
// caller releases.
func (r *run) getObject(path string, flags uintptr) (*object, error) {
	if path == "" && r.b.wine {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Operation: "GetObject",
			Description: "Wine's WMI cannot give the empty class (it crashes on it)"}
	}
	p := bstr{}
	if path != "" {
		p = newBSTR(path)
		defer p.free()
	}
	var obj, cr *object
	if r.semisync() {
		hr := r.svc.call(mGetObject, p.ptr(), flags|uintptr(wbem.WBEM_FLAG_RETURN_IMMEDIATELY), 0, 0, uintptr(unsafe.Pointer(&cr)))
		if failed(hr) {
			return nil, r.b.failure("GetObject", hr, path)
		}
		defer cr.release()
		setBlanket(cr, r.b.identity)
		if err := r.wait(cr); err != nil {
			return nil, err
		}
		if hr := cr.call(mGetResultObject, 0, uintptr(unsafe.Pointer(&obj))); failed(hr) {
			return nil, r.b.failure("GetObject", hr, path)
		}
		return obj, nil
	}
	hr := r.svc.call(mGetObject, p.ptr(), flags, 0, uintptr(unsafe.Pointer(&obj)), 0)
	if failed(hr) {
		return nil, r.b.failure("GetObject", hr, path)
	}
	return obj, nil
}

// enumerate issues an enumerating call semisynchronously and forward-only,
// then reads it in batches into the stream until the end, a failure, the
// consumer's release or the context's end.
// The call takes one BSTR (a0) or, with two, two (a0, a1) before its flags.
func (r *run) enumerate(m int, a0, a1 uintptr, two bool) error {
	var enum *object
	flags := r.flags() | uintptr(wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	var hr uint32
	if two {
		hr = r.svc.call(m, a0, a1, flags, 0, uintptr(unsafe.Pointer(&enum)))
	} else {
		hr = r.svc.call(m, a0, flags, 0, uintptr(unsafe.Pointer(&enum)))
	}
	if failed(hr) {
		return r.b.failure(r.name(), hr, firstNonEmpty(r.op.Query, r.op.Path))
	}
	defer enum.release() // Release cancels what WMI has not delivered
	setBlanket(enum, r.b.identity)
	var batch [BatchSize]*object
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		var n uint32
		hr := enum.call(mEnumNext, uintptr(PollInterval/time.Millisecond), BatchSize,
			uintptr(unsafe.Pointer(&batch[0])), uintptr(unsafe.Pointer(&n)))
		if failed(hr) {
			return r.b.failure(r.name(), hr, firstNonEmpty(r.op.Query, r.op.Path))
		}
		var werr error
		for i := range n {
			if werr == nil {
				var o cim.Object
				if o, werr = r.convert(batch[i]); werr == nil {
					werr = r.w.Write(o)
				}
			}
			batch[i].release()
			batch[i] = nil
		}
		if werr != nil {
			return werr
		}
		switch hr {
		case sFalse:
			return nil
		case sOK, wbemSTimedOut:
			if hr == sOK && n == 0 { // a WMI that returns S_OK with nothing: the end
				return nil
			}
		default:
			return r.b.failure(r.name(), hr, "")
		}
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }
