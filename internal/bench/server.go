package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// The benchmark server's one user. Its password is held in plain text
// (auth.Static): the cost of logins is measured elsewhere
// (internal/users's BenchmarkFirstLogins).
const (
	User     = "bench"
	Password = "bench"
)

// ServerConfig configures the benchmark server (Serve).
type ServerConfig struct {
	N           int   // instances the workload provider yields per enumeration
	MaxContexts int   // open enumeration contexts allowed to the user
	Pprof       bool  // serve net/http/pprof under /debug/pprof/
	MaxBuffered int64 // the contexts' budget (enumctx.DefaultMaxBuffered when 0)
	// ResponseChunk is the server's wsman.Options.ResponseChunk (0: the
	// default) at /wsman.
	ResponseChunk int
	// ResponseBudget is the server's wsman.Options.ResponseBudget (0: the
	// default; negative: none, every response past a chunk in chunks) at
	// /wsman.
	ResponseBudget int64
	// MemoryLimit is a soft memory limit (debug.SetMemoryLimit) to set;
	// 0: none (as wbemd, unless GOMEMLIMIT sets one).
	MemoryLimit int64
}

// Serve runs the benchmark server in this process, as `wbembench -serve`
// does in the child process that the server measurements start: a
// WS-Management server (wsman.Server, as wbemd configures it) in front of an
// object manager with the workload provider, on 127.0.0.1, at /wsman; the
// same server writing every response whole (wsman.Options.ResponseChunk
// negative), over the same object manager and contexts, at /wsman-whole;
// /debug/set?memlimit=N&maxbuffered=N to change the soft memory limit and
// the contexts' budget between measurements; the
// bare handler of the wire's ceiling at /ceiling/K (CeilingHandler); the
// Go heap's figures at /debug/heap. It writes "ADDR host:port" to out
// once it listens and serves until in reaches its end.
func Serve(cfg ServerConfig, in io.Reader, out io.Writer) error {
	om := workload.NewObjectManager(&workload.Provider{N: cfg.N})
	enums := enumctx.New(cfg.MaxContexts)
	if cfg.MaxBuffered > 0 {
		enums.SetMaxBuffered(cfg.MaxBuffered)
	}
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	opts := wsman.Options{
		Authenticator:  auth.NewBasic(auth.Static{User: {Password: Password, Admin: true}}, auth.BasicOptions{}),
		ServerName:     "benchhost",
		Enumerations:   enums,
		ResponseChunk:  cfg.ResponseChunk,
		ResponseBudget: cfg.ResponseBudget,
	}
	srv := wsman.NewServer(om, opts)
	defer srv.Close()
	opts.ResponseChunk = -1
	whole := wsman.NewServer(om, opts)
	defer whole.Close()
	mux := http.NewServeMux()
	mux.Handle("/wsman", srv)
	mux.Handle("/wsman-whole", whole)
	mux.Handle("/ceiling/{k}/{n}", &CeilingHandler{Server: srv})
	mux.HandleFunc("/debug/heap", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("gc") != "" {
			runtime.GC()
		}
		json.NewEncoder(w).Encode(ReadHeap())
	})
	mux.HandleFunc("/debug/set", func(w http.ResponseWriter, r *http.Request) {
		// ?memlimit=N sets the soft memory limit (negative: none),
		// ?maxbuffered=N the contexts' budget, for measurements that
		// compare settings in one process.
		for name, set := range map[string]func(int64){
			"memlimit": func(n int64) {
				if n < 0 {
					n = math.MaxInt64
				}
				debug.SetMemoryLimit(n)
			},
			"maxbuffered": enums.SetMaxBuffered,
		} {
			if v := r.FormValue(name); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				set(n)
			}
		}
	})
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ConnContext: wsman.ConnContext}
	go hs.Serve(ln)
	fmt.Fprintf(out, "ADDR %s\n", ln.Addr())
	io.Copy(io.Discard, in)
	return hs.Close()
}

// Heap is what the Go runtime says of a process's memory.
type Heap struct {
	Objects    uint64 // bytes of live and not yet swept heap objects
	Total      uint64 // bytes mapped by the runtime and not released
	Goroutines uint64
}

// ReadHeap reads this process's Heap.
func ReadHeap() Heap {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"}, {Name: "/sched/goroutines:goroutines"}}
	metrics.Read(s)
	return Heap{Objects: s[0].Value.Uint64(), Total: s[1].Value.Uint64() - s[2].Value.Uint64(), Goroutines: s[3].Value.Uint64()}
}

// CeilingHandler is the wire's ceiling: a bare net/http handler that
// answers an enumeration with pre-rendered bytes, the responses the
// WS-Management server gave once for the same request, so that a client
// enumerating through it pays everything but the server's work (the same
// HTTP stack, connection, TCP_NODELAY and one write per response). Its path
// is /ceiling/K/N: it serves N instances (a multiple of K) in an optimized
// Enumerate of K and Pulls of K, and hands every other request
// (Identify, the class definition) to Server. One enumeration at a time.
type CeilingHandler struct {
	Server http.Handler

	mu     sync.Mutex
	canned map[int]*canned
	left   atomic.Int64 // Pulls before the last one of the current enumeration
}

type canned struct {
	enumerate, pull, last []byte
}

var (
	pullAction      = []byte("enumeration/Pull<")
	enumerateAction = []byte("enumeration/Enumerate<")
)

func (h *CeilingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k, err := strconv.Atoi(r.PathValue("k"))
	n, err2 := strconv.Atoi(r.PathValue("n"))
	if err != nil || err2 != nil || k <= 0 || n%k != 0 || n < 2*k {
		http.Error(w, "the path is /ceiling/K/N, N a multiple of K, at least 2K", http.StatusNotFound)
		return
	}
	var body bytes.Buffer
	body.ReadFrom(r.Body)
	var resp []byte
	switch {
	case bytes.Contains(body.Bytes(), pullAction):
		c := h.get(r, k)
		if c == nil {
			http.Error(w, "no canned response", http.StatusInternalServerError)
			return
		}
		resp = c.pull
		if h.left.Add(-1) < 0 {
			resp = c.last
		}
	case bytes.Contains(body.Bytes(), enumerateAction):
		c := h.get(r, k)
		if c == nil {
			http.Error(w, "no canned response", http.StatusInternalServerError)
			return
		}
		h.left.Store(int64(n/k - 2)) // the Enumerate's batch, the Pulls', the last one
		resp = c.enumerate
	default:
		r.Body = io.NopCloser(&body)
		h.Server.ServeHTTP(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	hd.Set("Content-Length", strconv.Itoa(len(resp)))
	w.WriteHeader(http.StatusOK)
	w.Write(resp)
}

var ctxElem = []byte("<wsen:EnumerationContext>")

// get renders (once) the responses of batch size k by asking Server: an
// Enumerate, then Pulls until 2k instances came, whose items are spliced
// into exactly k per response.
func (h *CeilingHandler) get(r *http.Request, k int) *canned {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.canned[k]; c != nil {
		return c
	}
	ask := func(action, body string) []byte {
		req := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(SOAP(action, body, BigEnvelope)))
		req.Header = r.Header.Clone()
		rec := httptest.NewRecorder()
		h.Server.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return nil
		}
		return rec.Body.Bytes()
	}
	ks := strconv.Itoa(k)
	enum := ask(ActionEnumerate, "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>"+ks+"</wsman:MaxElements></wsen:Enumerate>")
	id := ContextOf(enum)
	ei, ej, ok := itemsIn(enum, "wsman:Items")
	if id == "" || !ok {
		return nil
	}
	items := slices.Clone(enum[ei:ej])
	var pull []byte
	var pi, pj int
	for bytes.Count(items, itemStart) < 2*k {
		pull = ask(ActionPull, "<wsen:Pull><wsen:EnumerationContext>"+id+"</wsen:EnumerationContext><wsen:MaxElements>"+ks+"</wsen:MaxElements></wsen:Pull>")
		if pi, pj, ok = itemsIn(pull, "wsen:Items"); !ok || bytes.Contains(pull, []byte("EndOfSequence")) {
			return nil
		}
		items = append(items, pull[pi:pj]...)
	}
	ask(ActionRelease, "<wsen:Release><wsen:EnumerationContext>"+id+"</wsen:EnumerationContext></wsen:Release>")
	// Cut the items at their starts: the first k for the Enumerate, the
	// next k for every Pull.
	cut := func(from, count int) []byte {
		b := items
		for range from {
			b = b[len(itemStart)+bytes.Index(b[len(itemStart):], itemStart):]
		}
		end := 0
		for range count {
			i := bytes.Index(b[end+len(itemStart):], itemStart)
			if i < 0 {
				end = len(b)
				break
			}
			end += len(itemStart) + i
		}
		return b[:end]
	}
	splice := func(resp []byte, i, j int, it []byte) []byte {
		return slices.Concat(resp[:i], it, resp[j:])
	}
	c := &canned{enumerate: splice(enum, ei, ej, cut(0, k))}
	c.pull = splice(pull, pi, pj, cut(k, k))
	i := bytes.Index(c.pull, ctxElem)
	j := bytes.Index(c.pull, []byte("</wsen:PullResponse>"))
	end := i + bytes.Index(c.pull[i:], []byte("</wsen:EnumerationContext>")) + len("</wsen:EnumerationContext>")
	if i < 0 || j < end {
		return nil
	}
	c.last = slices.Concat(c.pull[:i], c.pull[end:j], []byte("<wsen:EndOfSequence/>"), c.pull[j:])
	if h.canned == nil {
		h.canned = map[int]*canned{}
	}
	h.canned[k] = c
	return c
}

var itemStart = []byte("<p:" + workload.ClassName)

// itemsIn returns where the content of the element elem starts and ends.
func itemsIn(resp []byte, elem string) (int, int, bool) {
	i := bytes.Index(resp, []byte("<"+elem+">"))
	j := bytes.Index(resp, []byte("</"+elem+">"))
	if i < 0 || j < i {
		return 0, 0, false
	}
	return i + len(elem) + 2, j, true
}

// The WS-Enumeration actions.
const (
	ActionEnumerate = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
	ActionPull      = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	ActionRelease   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
)

// SOAP returns a request for the workload class, as a client would send it.
func SOAP(action, body string, maxEnvelope int) string {
	return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header>` +
		`<wsa:Action s:mustUnderstand="true">` + action + `</wsa:Action><wsa:To>/wsman</wsa:To><wsa:MessageID>uuid:00000000-0000-0000-0000-000000000001</wsa:MessageID>` +
		`<wsman:ResourceURI s:mustUnderstand="true">` + wsman.URIPrefixWMI + "root/cimv2/" + workload.ClassName + `</wsman:ResourceURI>` +
		`<wsman:MaxEnvelopeSize s:mustUnderstand="true">` + strconv.Itoa(maxEnvelope) + `</wsman:MaxEnvelopeSize>` +
		`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

// ContextOf returns the enumeration context of a response ("" when none).
func ContextOf(resp []byte) string {
	i := bytes.Index(resp, ctxElem)
	if i < 0 {
		return ""
	}
	rest := resp[i+len(ctxElem):]
	j := bytes.IndexByte(rest, '<')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// Process is a benchmark server running in a child process.
type Process struct {
	Addr  string // host:port
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// StartProcess runs exe with args, a program that calls Serve (wbembench
// -serve …), and waits until it listens.
func StartProcess(exe string, args ...string) (*Process, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		p.Close()
		return nil, fmt.Errorf("the server process said %q (%v)", line, err)
	}
	p.Addr = addr
	return p, nil
}

// URL returns the URL of path on the server.
func (p *Process) URL(path string) string { return "http://" + p.Addr + path }

// Close ends the server process and waits for it.
func (p *Process) Close() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		return <-done
	}
}

// Memory returns the process's resident set (VmRSS) and its peak since
// start or the last ResetPeak (VmHWM), in bytes, from /proc (Linux).
func (p *Process) Memory() (rss, peak uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseUint(f[0], 10, 64)
		switch name {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			peak = n << 10
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc/PID/status")
	}
	return rss, peak, nil
}

// ResetPeak starts VmHWM again from the current resident set.
func (p *Process) ResetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// Heap asks the server for its Go heap's figures, after a collection when
// gc is set.
func (p *Process) Heap(gc bool) (Heap, error) {
	u := p.URL("/debug/heap")
	if gc {
		u += "?gc=1"
	}
	var h Heap
	resp, err := http.Get(u)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// Poster sends raw requests as the benchmark user on one keep-alive
// connection.
type Poster struct {
	URL string
	hc  *http.Client
}

// NewPoster returns a Poster of url.
func NewPoster(url string) *Poster {
	return &Poster{URL: url, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}}
}

// Post sends a request and returns the response's body; a status other
// than 200 is an error.
func (p *Poster) Post(ctx context.Context, action, body string, maxEnvelope int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, strings.NewReader(SOAP(action, body, maxEnvelope)))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(User, Password)
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, out)
	}
	return out, err
}

// Close closes the Poster's idle connection.
func (p *Poster) Close() { p.hc.CloseIdleConnections() }

// CPU returns the processor time (user and system) the process has used,
// from /proc (Linux; clock ticks of 10 ms).
func (p *Process) CPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after it.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
