//go:build linux

package host

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// DefaultEventPollInterval is how often the host's event watchers poll
// when the kernel cannot tell them of changes (Config.EventPollInterval).
const DefaultEventPollInterval = time.Second

// How process events are found, as the events' Source property says.
const (
	SourceConnector = "netlink" // the kernel's process events connector
	SourcePolling   = "poll"    // comparing /proc between polls
)

func (h *host) pollInterval() time.Duration {
	if h.cfg.EventPollInterval > 0 {
		return h.cfg.EventPollInterval
	}
	return DefaultEventPollInterval
}

// procEvent is a process that started (ran a program) or stopped.
type procEvent struct {
	start      bool
	pid, ppid  int
	name       string
	exitStatus int // stops seen by the connector: the wait status's exit code
	exitKnown  bool
	source     string
}

// procName returns the name of a running process: the base name of its
// executable, else the kernel's comm.
func (h *host) procName(pid int) (name string, ppid int) {
	dir := h.cfg.path("/proc/" + strconv.Itoa(pid))
	if b, err := readInto(make([]byte, 0, 512), dir+"/stat", 4096); err == nil {
		if st, ok := parseStat(b); ok {
			name, ppid = st.comm, st.ppid
		}
	}
	if exe, err := os.Readlink(dir + "/exe"); err == nil {
		if base := filepath.Base(strings.TrimSuffix(exe, " (deleted)")); base != "" && base != "/" {
			name = base
		}
	}
	return name, ppid
}

// procHub shares one process watcher among the subscriptions that need it:
// the kernel delivers its process events to one connector socket of a
// process only (a second socket silences the first), and one watcher costs
// less than many.
type procHub struct {
	mu     sync.Mutex
	subs   map[int]func(procEvent)
	next   int
	source string
	stop   context.CancelFunc
}

// subscribeProcesses calls fn with every process event until ctx ends,
// starting the host's one watcher for the first subscriber and stopping it
// after the last.
func (h *host) subscribeProcesses(ctx context.Context, fn func(procEvent)) (string, error) {
	hub := &h.procs
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if hub.subs == nil {
		wctx, cancel := context.WithCancel(context.Background())
		src, err := h.watchProcesses(wctx, func(e procEvent) {
			hub.mu.Lock()
			fns := make([]func(procEvent), 0, len(hub.subs))
			for _, f := range hub.subs {
				fns = append(fns, f)
			}
			hub.mu.Unlock()
			for _, f := range fns {
				f(e)
			}
		})
		if err != nil {
			cancel()
			return "", err
		}
		hub.subs, hub.source, hub.stop = map[int]func(procEvent){}, src, cancel
	}
	id := hub.next
	hub.next++
	hub.subs[id] = fn
	go func() {
		<-ctx.Done()
		hub.mu.Lock()
		defer hub.mu.Unlock()
		delete(hub.subs, id)
		if len(hub.subs) == 0 {
			hub.stop()
			hub.subs = nil
		}
	}()
	return hub.source, nil
}

// watchProcesses reports process starts and stops to fn until ctx ends:
// from the kernel's process events connector (exec and exit of processes,
// not threads) when the daemon may open it (it needs CAP_NET_ADMIN), else
// by comparing /proc every Config.EventPollInterval. It returns the source
// once watching, so that no event after its return is missed.
func (h *host) watchProcesses(ctx context.Context, fn func(procEvent)) (string, error) {
	if h.cfg.Root == "" && !h.cfg.PollProcesses {
		if ok := h.watchConnector(ctx, fn); ok {
			return SourceConnector, nil
		}
	}
	return SourcePolling, h.pollProcesses(ctx, fn)
}

func (h *host) watchConnector(ctx context.Context, fn func(procEvent)) bool {
	sock, err := nl.Subscribe(unix.NETLINK_CONNECTOR, netlink.CN_IDX_PROC)
	if err != nil {
		return false
	}
	req := &nl.NetlinkRequest{NlMsghdr: unix.NlMsghdr{Type: unix.NLMSG_DONE, Len: unix.SizeofNlMsghdr, Pid: uint32(os.Getpid())}}
	req.AddData(nl.NewCnMsg(netlink.CN_IDX_PROC, netlink.CN_VAL_PROC, netlink.PROC_CN_MCAST_LISTEN))
	if err := sock.Send(req); err != nil {
		sock.Close()
		return false
	}
	// Wake at least every poll interval, to see ctx end.
	tv := unix.NsecToTimeval(int64(h.pollInterval()))
	sock.SetReceiveTimeout(&tv)
	names := map[int]string{}
	h.eachPID(ctx, func(pid int) error {
		names[pid], _ = h.procName(pid)
		return nil
	})
	h.goSafe("process events (connector)", func() {
		defer sock.Close()
		for ctx.Err() == nil {
			msgs, from, err := sock.Receive()
			if err != nil {
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					continue
				}
				// ENOBUFS: the kernel dropped events for a slow reader;
				// anything else ends the socket. Poll from here on.
				if ctx.Err() == nil {
					h.log().Info("host: the process events connector failed; polling /proc instead", "error", err)
					h.pollProcesses(ctx, fn)
				}
				return
			}
			if from == nil || from.Pid != 0 {
				continue // not the kernel's: another program's listen request
			}
			for _, m := range msgs {
				if m.Header.Type != unix.NLMSG_DONE {
					continue
				}
				e, ok := parseProcEvent(m.Data)
				if !ok {
					continue
				}
				if e.start {
					e.name, e.ppid = h.procName(e.pid)
					names[e.pid] = e.name
				} else {
					e.name = names[e.pid]
					delete(names, e.pid)
				}
				e.source = SourceConnector
				fn(e)
			}
		}
	})
	return true
}

// The kernel's process events (linux/cn_proc.h) gowbem reads.
const (
	procEventExec = 0x00000002
	procEventExit = 0x80000000
)

// parseProcEvent reads one connector message of the process events
// connector: a cn_msg header (20 bytes: idx, val, seq, ack, len, flags),
// then a proc_event (what, cpu, timestamp, then the event's data), in the
// host's byte order. It keeps exec and exit events of processes (a thread's
// pid differs from its thread group's); ok is false for every other
// message.
func parseProcEvent(b []byte) (procEvent, bool) {
	ne := binary.NativeEndian
	const cnHdr, peHdr = 20, 16
	if len(b) < cnHdr || ne.Uint32(b[0:]) != netlink.CN_IDX_PROC || ne.Uint32(b[4:]) != netlink.CN_VAL_PROC {
		return procEvent{}, false
	}
	n := int(ne.Uint16(b[16:]))
	b = b[cnHdr:]
	if n > len(b) {
		return procEvent{}, false
	}
	b = b[:n]
	if len(b) < peHdr {
		return procEvent{}, false
	}
	what, d := ne.Uint32(b[0:]), b[peHdr:]
	switch what {
	case procEventExec:
		if len(d) < 8 {
			return procEvent{}, false
		}
		pid, tgid := int32(ne.Uint32(d[0:])), int32(ne.Uint32(d[4:]))
		if pid != tgid || pid <= 0 {
			return procEvent{}, false
		}
		return procEvent{start: true, pid: int(tgid)}, true
	case procEventExit:
		if len(d) < 24 {
			return procEvent{}, false
		}
		pid, tgid := int32(ne.Uint32(d[0:])), int32(ne.Uint32(d[4:]))
		code := ne.Uint32(d[8:])
		ptgid := int32(ne.Uint32(d[20:]))
		if pid != tgid || pid <= 0 {
			return procEvent{}, false
		}
		return procEvent{pid: int(tgid), ppid: int(max(ptgid, 0)), exitStatus: int(code>>8) & 0xFF, exitKnown: code&0x7F == 0}, true
	}
	return procEvent{}, false
}

// pollProcesses compares the processes of /proc every interval.
func (h *host) pollProcesses(ctx context.Context, fn func(procEvent)) error {
	snap := func() map[int]procEvent {
		m := map[int]procEvent{}
		h.eachPID(ctx, func(pid int) error {
			// A process being released may still be listed without a
			// readable stat: it has ended, leave it out.
			if name, ppid := h.procName(pid); name != "" {
				m[pid] = procEvent{pid: pid, ppid: ppid, name: name, source: SourcePolling}
			}
			return nil
		})
		return m
	}
	prev := snap()
	h.goSafe("process events (polling)", func() {
		t := time.NewTicker(h.pollInterval())
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			cur := snap()
			for pid, p := range cur {
				if _, ok := prev[pid]; !ok {
					p.start = true
					fn(p)
				}
			}
			for pid, p := range prev {
				if _, ok := cur[pid]; !ok {
					fn(p)
				}
			}
			prev = cur
		}
	})
	return nil
}

// mountEvent is a mount point that appeared or went away.
type mountEvent struct {
	arrival bool
	point   string
	source  string
	fstype  string
}

// watchMounts reports mounts and unmounts of file systems that hold files
// (pseudoFS aside) to fn until ctx ends: woken by the kernel (poll(2) on
// mountinfo signals a change of the mount table) or, where it cannot wait
// on mountinfo (a fixture), every Config.EventPollInterval.
func (h *host) watchMounts(ctx context.Context, fn func(mountEvent)) error {
	// read returns nil when mountinfo cannot be read: a failed read is no
	// evidence that every volume went away, so that round raises nothing.
	read := func() map[string]mount {
		ms, err := h.mounts()
		if err != nil {
			return nil
		}
		m := map[string]mount{}
		for _, x := range ms {
			if !pseudoFS[x.fstype] {
				m[x.point] = x
			}
		}
		return m
	}
	prev := read()
	diff := func() {
		cur := read()
		if cur == nil {
			return
		}
		if prev == nil {
			prev = cur
			return
		}
		for p, m := range cur {
			if o, ok := prev[p]; !ok || o.source != m.source || o.majMin != m.majMin {
				if ok {
					fn(mountEvent{point: p, source: o.source, fstype: o.fstype})
				}
				fn(mountEvent{arrival: true, point: p, source: m.source, fstype: m.fstype})
			}
		}
		for p, m := range prev {
			if _, ok := cur[p]; !ok {
				fn(mountEvent{point: p, source: m.source, fstype: m.fstype})
			}
		}
		prev = cur
	}
	fd, err := unix.Open(h.cfg.path("/proc/self/mountinfo"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	h.goSafe("mount events", func() {
		defer unix.Close(fd)
		kernel := h.cfg.Root == ""
		for ctx.Err() == nil {
			if kernel {
				// Wake at least every interval to see ctx end.
				fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI | unix.POLLERR}}
				n, err := unix.Poll(fds, int(h.pollInterval()/time.Millisecond))
				if err != nil && !errors.Is(err, unix.EINTR) {
					kernel = false
					continue
				}
				if n > 0 && fds[0].Revents&(unix.POLLPRI|unix.POLLERR) != 0 {
					// Reading the file acknowledges the change.
					var buf [4096]byte
					unix.Seek(fd, 0, 0)
					for {
						n, err := unix.Read(fd, buf[:])
						if n <= 0 || err != nil {
							break
						}
					}
					diff()
				}
				continue
			}
			t := time.NewTimer(h.pollInterval())
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			diff()
		}
	})
	return nil
}

// serviceEvent is a change of a service unit's state.
type serviceEvent struct {
	unit            string
	state, previous string // WMI's State; previous "" when not seen before
	active, sub     string // systemd's ActiveState and SubState now
}

// watchServices reports changes of service units' ActiveState (and
// FreezerState) from systemd's PropertiesChanged signals until ctx ends,
// over a D-Bus connection of its own.
func (h *host) watchServices(ctx context.Context, fn func(serviceEvent)) error {
	conn, err := h.sd.rawDial()
	if err != nil {
		return err
	}
	// On the bus, ask for the signals (systemd's own socket sends every
	// signal to subscribed peers, and has no bus to ask).
	conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus.Properties"), dbus.WithMatchMember("PropertiesChanged"))
	sig := make(chan *dbus.Signal, 256)
	conn.Signal(sig)
	mgr := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	if err := mgr.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.Subscribe", 0).Store(); err != nil {
		conn.Close()
		return err
	}
	type state struct{ active, freezer string }
	last := map[dbus.ObjectPath]state{}
	names := map[dbus.ObjectPath]string{}
	nameOf := func(p dbus.ObjectPath) string {
		if n, ok := names[p]; ok {
			return n
		}
		v, err := conn.Object("org.freedesktop.systemd1", p).GetProperty("org.freedesktop.systemd1.Unit.Id")
		n, _ := v.Value().(string)
		if err == nil {
			names[p] = n
		}
		return n
	}
	h.goSafe("service events", func() {
		defer conn.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-sig:
				if !ok {
					return
				}
				if s.Name != "org.freedesktop.DBus.Properties.PropertiesChanged" || len(s.Body) < 2 {
					continue
				}
				if iface, _ := s.Body[0].(string); iface != "org.freedesktop.systemd1.Unit" {
					continue
				}
				changed, _ := s.Body[1].(map[string]dbus.Variant)
				prev, seen := last[s.Path]
				cur := prev
				if v, ok := changed["ActiveState"]; ok {
					cur.active, _ = v.Value().(string)
				}
				if v, ok := changed["FreezerState"]; ok {
					cur.freezer, _ = v.Value().(string)
				}
				if cur == prev || cur.active == "" {
					continue
				}
				last[s.Path] = cur
				name := nameOf(s.Path)
				if !strings.HasSuffix(name, ".service") {
					continue
				}
				ev := serviceEvent{unit: name, state: serviceState(cur.active, cur.freezer), active: cur.active}
				if seen {
					ev.previous = serviceState(prev.active, prev.freezer)
				}
				if v, ok := changed["SubState"]; ok {
					ev.sub, _ = v.Value().(string)
				}
				if ev.state == ev.previous {
					continue
				}
				fn(ev)
			}
		}
	})
	return nil
}
