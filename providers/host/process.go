//go:build linux

package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/provider"
)

// Win32_Process return codes (Microsoft's list for Create, Terminate and
// GetOwner).
const (
	ReturnSuccess               = 0
	ReturnAccessDenied          = 2
	ReturnInsufficientPrivilege = 3
	ReturnUnknownFailure        = 8
	ReturnPathNotFound          = 9
	ReturnInvalidParameter      = 21
)

// procDirChunk is how many /proc entries one ReadDir call returns: the
// enumeration never holds more names than this.
const procDirChunk = 128

// ProcessProvider serves Win32_Process from /proc. It implements
// provider.InstanceProvider, provider.QueryProvider and
// provider.MethodProvider.
type ProcessProvider struct{ h *host }

var procProps = []string{
	"Handle", "ProcessId", "ParentProcessId", "Name", "Caption", "Description",
	"ExecutablePath", "CommandLine", "CreationDate", "ThreadCount",
	"WorkingSetSize", "VirtualSize", "KernelModeTime", "UserModeTime",
	"Priority", "ExecutionState", "PageFaults", "SessionId",
	"CSCreationClassName", "CSName", "OSCreationClassName", "OSName",
	"CreationClassName", "WindowsVersion",
	// Costly ones, read only when selected: /proc/<pid>/status and fd.
	"PeakVirtualSize", "PeakWorkingSetSize", "HandleCount",
}

const (
	pHandle = iota
	pProcessId
	pParentProcessId
	pName
	pCaption
	pDescription
	pExecutablePath
	pCommandLine
	pCreationDate
	pThreadCount
	pWorkingSetSize
	pVirtualSize
	pKernelModeTime
	pUserModeTime
	pPriority
	pExecutionState
	pPageFaults
	pSessionId
	pCSCreationClassName
	pCSName
	pOSCreationClassName
	pOSName
	pCreationClassName
	pWindowsVersion
	pPeakVirtualSize
	pPeakWorkingSetSize
	pHandleCount
)

// procReader builds Win32_Process instances; one serves one call, reusing
// its buffer.
type procReader struct {
	h        *host
	class    *cim.Class
	ix       []int
	buf      []byte
	boot     time.Time
	bootOK   bool
	pageSize uint64
	csName   string
	osName   string
	kernel   string
}

func (p *ProcessProvider) reader(class *cim.Class, hint *provider.Hint) *procReader {
	h := p.h
	f := h.facts()
	r := &procReader{h: h, class: class, ix: indexes(class, procProps), buf: make([]byte, 0, 1024),
		pageSize: uint64(os.Getpagesize()), csName: f.hostname, kernel: f.kernel, boot: f.boot, osName: f.osName}
	r.bootOK = !r.boot.IsZero()
	if hint != nil && hint.Properties != nil {
		// Skip the costly properties the query neither selects nor
		// mentions (its WHERE clause may test them).
		sel := map[string]bool{}
		for _, n := range hint.Properties {
			sel[strings.ToLower(n)] = true
		}
		q := strings.ToLower(hint.Query)
		for i := pPeakVirtualSize; i <= pHandleCount; i++ {
			name := strings.ToLower(procProps[i])
			if !sel[name] && !strings.Contains(q, name) {
				r.ix[i] = -1
			}
		}
	}
	return r
}

// errGone marks a process that ended while it was being read.
var errGone = errors.New("process has ended")

// read builds the instance of process pid; errGone when it does not exist.
func (r *procReader) read(pid int) (*cim.Instance, error) {
	dir := r.h.cfg.path("/proc/" + strconv.Itoa(pid))
	var err error
	r.buf, err = readInto(r.buf, dir+"/stat", 4096)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESRCH) {
			return nil, errGone
		}
		return nil, err
	}
	st, ok := parseStat(r.buf)
	if !ok || st.pid != pid {
		return nil, errGone
	}
	inst := r.class.NewInstance()
	ix := r.ix
	put(inst, ix[pHandle], cim.String(strconv.Itoa(pid)))
	put(inst, ix[pProcessId], cim.Uint32(uint32(pid)))
	put(inst, ix[pParentProcessId], cim.Uint32(uint32(st.ppid)))
	put(inst, ix[pCSCreationClassName], cim.String("Win32_ComputerSystem"))
	put(inst, ix[pCSName], str(r.csName))
	put(inst, ix[pOSCreationClassName], cim.String("Win32_OperatingSystem"))
	put(inst, ix[pOSName], str(r.osName))
	put(inst, ix[pCreationClassName], cim.String(r.class.Name))
	put(inst, ix[pWindowsVersion], str(r.kernel))
	put(inst, ix[pThreadCount], cim.Uint32(uint32(st.threads)))
	put(inst, ix[pWorkingSetSize], cim.Uint64(st.rss*r.pageSize))
	put(inst, ix[pVirtualSize], cim.Uint64(st.vsize))
	put(inst, ix[pKernelModeTime], cim.Uint64(st.stime*(1e7/userHZ)))
	put(inst, ix[pUserModeTime], cim.Uint64(st.utime*(1e7/userHZ)))
	put(inst, ix[pPriority], cim.Uint32(st.wmiPriority()))
	if es, ok := executionState(st.state); ok {
		put(inst, ix[pExecutionState], cim.Uint16(es))
	}
	put(inst, ix[pPageFaults], cim.Uint32(uint32(min(st.minflt+st.majflt, 1<<32-1))))
	put(inst, ix[pSessionId], cim.Uint32(uint32(st.session)))
	if r.bootOK {
		put(inst, ix[pCreationDate], cim.TimeValue(r.boot.Add(time.Duration(st.start)*(time.Second/userHZ)).Local()))
	}

	name := st.comm
	if ix[pExecutablePath] >= 0 || ix[pName] >= 0 || ix[pCaption] >= 0 || ix[pDescription] >= 0 {
		// A kernel thread or another user's process has no readable exe:
		// ExecutablePath stays NULL and the name is the kernel's comm.
		if exe, err := os.Readlink(dir + "/exe"); err == nil {
			put(inst, ix[pExecutablePath], cim.String(exe))
			if base := filepath.Base(strings.TrimSuffix(exe, " (deleted)")); base != "" && base != "/" {
				name = base
			}
		}
	}
	put(inst, ix[pName], str(name))
	put(inst, ix[pCaption], str(name))
	put(inst, ix[pDescription], str(name))

	if ix[pCommandLine] >= 0 {
		if b, err := readInto(r.buf, dir+"/cmdline", MaxCommandLine+1); err == nil && len(b) > 0 {
			r.buf = b
			put(inst, ix[pCommandLine], cim.String(commandLine(b)))
		}
	}
	if ix[pPeakVirtualSize] >= 0 || ix[pPeakWorkingSetSize] >= 0 {
		if b, err := readInto(r.buf, dir+"/status", 16384); err == nil {
			r.buf = b
			if v, ok := statusField(b, "VmPeak"); ok {
				put(inst, ix[pPeakVirtualSize], cim.Uint64(v*1024))
			}
			if v, ok := statusField(b, "VmHWM"); ok {
				put(inst, ix[pPeakWorkingSetSize], cim.Uint32(uint32(min(v, 1<<32-1))))
			}
		}
	}
	if ix[pHandleCount] >= 0 {
		if n, ok := countDir(dir + "/fd"); ok {
			put(inst, ix[pHandleCount], cim.Uint32(uint32(n)))
		}
	}
	return inst, nil
}

// commandLine turns /proc/<pid>/cmdline (NUL-terminated arguments) into
// one line, cut at MaxCommandLine bytes.
func commandLine(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	args := strings.Split(string(b), "\x00")
	s := JoinCommandLine(args)
	if len(s) > MaxCommandLine {
		s = s[:MaxCommandLine]
	}
	return s
}

// statusField returns the number of a "Name:  123 kB" line of
// /proc/<pid>/status.
func statusField(b []byte, name string) (uint64, bool) {
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte(name+":")); ok {
			f := bytes.Fields(v)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseUint(string(f[0]), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// countDir counts the entries of a directory (. and .. aside) from raw
// getdents records, without making a string per entry.
func countDir(path string) (int, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer syscall.Close(fd)
	var buf [8192]byte
	n := 0
	for {
		m, err := syscall.ReadDirent(fd, buf[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, false
		}
		if m <= 0 {
			return n, true
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for off := 0; off+19 < m; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen == 0 {
				break
			}
			name := buf[off+19 : min(off+reclen, m)]
			if !(name[0] == '.' && (name[1] == 0 || name[1] == '.' && name[2] == 0)) {
				n++
			}
			off += reclen
		}
	}
}

// procStat is what gowbem uses of /proc/<pid>/stat.
type procStat struct {
	pid, ppid, session int
	comm               string
	state              byte
	minflt, majflt     uint64
	utime, stime       uint64
	priority, nice     int64
	threads            uint64
	start, vsize, rss  uint64
	rtPriority, policy uint64
}

// parseStat parses /proc/<pid>/stat; the command name may hold spaces and
// parentheses, so the fields after it are found from the last ')'.
func parseStat(b []byte) (procStat, bool) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return st, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, false
	}
	st.pid = pid
	st.comm = string(b[open+1 : end])
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state) of proc(5); field n is f[n-3].
	if len(f) < 22 || len(f[0]) != 1 {
		return st, false
	}
	u := func(n int) uint64 {
		if n-3 >= len(f) {
			return 0
		}
		v, _ := strconv.ParseUint(string(f[n-3]), 10, 64)
		return v
	}
	i := func(n int) int64 {
		if n-3 >= len(f) {
			return 0
		}
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	st.state = f[0][0]
	st.ppid = int(i(4))
	st.session = int(i(6))
	st.minflt, st.majflt = u(10), u(12)
	st.utime, st.stime = u(14), u(15)
	st.priority, st.nice = i(18), i(19)
	st.threads = u(20)
	st.start, st.vsize, st.rss = u(22), u(23), u(24)
	st.rtPriority, st.policy = u(40), u(41)
	return st, true
}

// wmiPriority maps the Linux scheduling priority onto one number where, as
// in WMI, higher runs first: 20 - nice (1..40) for normal tasks and
// 40 + rt_priority (41..139) for real-time ones.
func (st procStat) wmiPriority() uint32 {
	if st.policy == 1 || st.policy == 2 { // SCHED_FIFO, SCHED_RR
		return uint32(40 + st.rtPriority)
	}
	p := 20 - st.nice
	return uint32(max(min(p, 40), 1))
}

// executionState maps the state letter of /proc/<pid>/stat onto CIM's
// ExecutionState.
func executionState(s byte) (uint16, bool) {
	switch s {
	case 'R':
		return 3, true // Running
	case 'S', 'D', 'I', 'W', 'P':
		return 4, true // Blocked: waiting for an event or I/O
	case 'T', 't':
		return 8, true // Stopped
	case 'Z', 'X', 'x':
		return 7, true // Terminated
	}
	return 0, false
}

// EnumerateInstances emits every process, reading /proc in chunks of
// procDirChunk names; a process that ends meanwhile is skipped.
func (p *ProcessProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return p.enumerate(ctx, class, nil, out)
}

func (p *ProcessProvider) enumerate(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	r := p.reader(class, hint)
	return p.h.eachPID(ctx, func(pid int) error {
		inst, err := r.read(pid)
		if err != nil {
			return nil // ended, or unreadable: skip the row
		}
		return out.Emit(inst)
	})
}

// eachPID calls fn for every process directory of /proc, reading the
// directory procDirChunk entries at a time and checking ctx between them.
func (h *host) eachPID(ctx context.Context, fn func(pid int) error) error {
	d, err := os.Open(h.cfg.path("/proc"))
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "cannot read /proc: " + err.Error(), Err: err}
	}
	defer d.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		names, rerr := d.Readdirnames(procDirChunk)
		for _, n := range names {
			if n == "" || n[0] < '1' || n[0] > '9' {
				continue
			}
			pid, err := strconv.Atoi(n)
			if err != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(pid); err != nil {
				return err
			}
		}
		if rerr != nil {
			return nil // io.EOF, or /proc itself went away
		}
	}
}

// GetInstance reads the one process the path's Handle names.
func (p *ProcessProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	h, ok := keyString(path, "Handle")
	pid, err := strconv.Atoi(h)
	if !ok || err != nil || pid <= 0 || strconv.Itoa(pid) != h {
		return nil, notFound(path)
	}
	inst, err := p.reader(class, nil).read(pid)
	if err != nil {
		return nil, notFound(path)
	}
	return inst, nil
}

// ExecQuery reads only the processes a WHERE clause names by ProcessId or
// Handle; other queries enumerate (the object manager filters).
func (p *ProcessProvider) ExecQuery(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	var pids []int
	constrained := false
	for _, name := range []string{"ProcessId", "Handle"} {
		vals, ok := hint.Values(name)
		if !ok {
			continue
		}
		constrained = true
		for _, v := range vals {
			if pid, err := strconv.Atoi(v.Text()); err == nil && pid > 0 && strconv.Itoa(pid) == v.Text() {
				pids = append(pids, pid)
			}
		}
		break
	}
	if !constrained {
		return p.enumerate(ctx, class, hint, out)
	}
	r := p.reader(class, hint)
	seen := map[int]bool{}
	for _, pid := range pids {
		if seen[pid] {
			continue
		}
		seen[pid] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		inst, err := r.read(pid)
		if err != nil {
			continue
		}
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

// ExecMethod runs Create, Terminate and GetOwner.
func (p *ProcessProvider) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	switch strings.ToLower(call.Method.Name) {
	case "create":
		return p.create(ctx, call)
	case "terminate":
		return p.terminate(ctx, call)
	case "getowner":
		return p.getOwner(call)
	}
	return nil, &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED, Parameter: call.Method.Name,
		Description: "the host process provider does not implement " + call.Method.Name}
}

// pidOf returns the process the call's instance path names.
func pidOf(call *provider.MethodCall) (int, bool) {
	h, ok := keyString(call.Path, "Handle")
	pid, err := strconv.Atoi(h)
	return pid, ok && err == nil && pid > 0
}

// terminate sends TerminateSignal (SIGKILL by default). Linux cannot impose
// an exit status on another process, so Reason is accepted and unused. The
// provider's own process is refused (2), as ending it would end the call,
// and so is every process when Config.Root points at a fixture.
//
// It signals as the caller: a caller who is no administrator may end only
// the processes its Linux account may signal (the kernel's rule: the
// account is the process's real or saved user), and a caller without an
// account none (2). The process is held by a pidfd from the check to the
// signal, so that a pid reused meanwhile is never signalled.
func (p *ProcessProvider) terminate(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	pid, ok := pidOf(call)
	if !ok {
		return outParams(call.Out, ReturnInvalidParameter), nil
	}
	// With Config.Root set the provider reads a fixture, whose pids are not
	// the live processes: it signals nothing.
	if p.h.cfg.DenyTerminate || p.h.cfg.Root != "" || pid == os.Getpid() {
		return outParams(call.Out, ReturnAccessDenied), nil
	}
	a, ok := actingAs(ctx)
	if !ok {
		return outParams(call.Out, ReturnAccessDenied), nil
	}
	sig := p.h.cfg.TerminateSignal
	if sig == 0 {
		sig = syscall.SIGKILL
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return outParams(call.Out, ReturnPathNotFound), nil
	}
	defer proc.Release()
	if !a.privileged() {
		b, err := readSmall(p.h.cfg.path("/proc/" + strconv.Itoa(pid) + "/status"))
		if err != nil {
			return outParams(call.Out, ReturnPathNotFound), nil
		}
		// What was read belongs to the process held only if it still lives.
		if err := proc.Signal(syscall.Signal(0)); err != nil {
			return outParams(call.Out, signalReturn(err)), nil
		}
		real, saved, ok := statusRealSavedUID(b)
		if !ok || a.account.UID != real && a.account.UID != saved {
			return outParams(call.Out, ReturnAccessDenied), nil
		}
	}
	if err := proc.Signal(sig); err != nil {
		return outParams(call.Out, signalReturn(err)), nil
	}
	return outParams(call.Out, ReturnSuccess), nil
}

// signalReturn maps a failed signal onto Terminate's codes.
func signalReturn(err error) uint32 {
	switch {
	case errors.Is(err, os.ErrProcessDone), errors.Is(err, syscall.ESRCH):
		return ReturnPathNotFound
	case errors.Is(err, syscall.EPERM):
		return ReturnAccessDenied
	}
	return ReturnUnknownFailure
}

// statusRealSavedUID returns the real and saved uid of a
// /proc/<pid>/status ("Uid: real effective saved fs").
func statusRealSavedUID(b []byte) (real, saved uint32, ok bool) {
	for line := range bytes.Lines(b) {
		if v, found := bytes.CutPrefix(line, []byte("Uid:")); found {
			f := bytes.Fields(v)
			if len(f) < 3 {
				return 0, 0, false
			}
			r, err1 := strconv.ParseUint(string(f[0]), 10, 32)
			s, err2 := strconv.ParseUint(string(f[2]), 10, 32)
			return uint32(r), uint32(s), err1 == nil && err2 == nil
		}
	}
	return 0, 0, false
}

// getOwner reports the effective user of the process, named through
// /etc/passwd, and the host name as its domain (a local account).
func (p *ProcessProvider) getOwner(call *provider.MethodCall) (*cim.Instance, error) {
	pid, ok := pidOf(call)
	if !ok {
		return outParams(call.Out, ReturnInvalidParameter), nil
	}
	b, err := readSmall(p.h.cfg.path("/proc/" + strconv.Itoa(pid) + "/status"))
	switch {
	case errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESRCH):
		return outParams(call.Out, ReturnPathNotFound), nil
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return outParams(call.Out, ReturnAccessDenied), nil
	case err != nil:
		return outParams(call.Out, ReturnUnknownFailure), nil
	}
	uid, ok := statusUID(b)
	if !ok {
		return outParams(call.Out, ReturnUnknownFailure), nil
	}
	out := outParams(call.Out, ReturnSuccess)
	put(out, out.Class().PropertyIndex("User"), cim.String(p.h.userName(uid)))
	put(out, out.Class().PropertyIndex("Domain"), str(p.h.hostname()))
	return out, nil
}

// statusUID returns the effective uid of a /proc/<pid>/status.
func statusUID(b []byte) (uint32, bool) {
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("Uid:")); ok {
			f := bytes.Fields(v)
			if len(f) < 2 {
				return 0, false
			}
			n, err := strconv.ParseUint(string(f[1]), 10, 32)
			return uint32(n), err == nil
		}
	}
	return 0, false
}

// create starts CommandLine (split by SplitCommandLine, the program looked
// up in $PATH) in CurrentDirectory, detached from the call: the provider
// reaps it when it ends. Without Config.AllowCreate it returns 2.
//
// The process runs as the caller's Linux account, with that account's
// groups and a fresh environment (HOME, USER, LOGNAME, PATH); an
// administrator who maps to no account starts it as the daemon; any other
// caller without an account gets 2. A non-administrator's process is never
// root's.
func (p *ProcessProvider) create(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	if !p.h.cfg.AllowCreate {
		return outParams(call.Out, ReturnAccessDenied), nil
	}
	a, ok := actingAs(ctx)
	if !ok {
		return outParams(call.Out, ReturnAccessDenied), nil
	}
	line := call.In.Value("CommandLine").Str()
	args, err := SplitCommandLine(line)
	if err != nil || len(args) == 0 {
		return outParams(call.Out, ReturnInvalidParameter), nil
	}
	prog, err := exec.LookPath(args[0])
	if err != nil {
		return outParams(call.Out, ReturnPathNotFound), nil
	}
	cmd := exec.Command(prog, args[1:]...) // not CommandContext: it outlives the call
	cmd.Args[0] = args[0]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if a.account != nil && a.account.UID != uint32(os.Geteuid()) {
		// The kernel checks the directory and the program as the account.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.account.UID, Gid: a.account.GID, Groups: a.account.Groups}
		cmd.Env = accountEnv(a.account)
	}
	if dir := call.In.Value("CurrentDirectory").Str(); dir != "" {
		if a.self {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return outParams(call.Out, ReturnPathNotFound), nil
			}
		}
		cmd.Dir = dir
	}
	if err := cmd.Start(); err != nil {
		switch {
		case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EPERM):
			return outParams(call.Out, ReturnAccessDenied), nil
		case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			return outParams(call.Out, ReturnPathNotFound), nil
		}
		return outParams(call.Out, ReturnUnknownFailure), nil
	}
	go cmd.Wait() // reap it whenever it ends
	out := outParams(call.Out, ReturnSuccess)
	put(out, out.Class().PropertyIndex("ProcessId"), cim.Uint32(uint32(cmd.Process.Pid)))
	return out, nil
}

// accountEnv is the environment of a process started as a:
// nothing of the daemon's.
func accountEnv(a *identity.Account) []string {
	home := a.Home
	if home == "" {
		home = "/"
	}
	return []string{"HOME=" + home, "USER=" + a.Name, "LOGNAME=" + a.Name, "PATH=/usr/local/bin:/usr/bin:/bin"}
}

// kernelRelease returns the kernel release, e.g. "6.1.0-18-amd64".
func (h *host) kernelRelease() string {
	return readLine(h.cfg.path("/proc/sys/kernel/osrelease"))
}
