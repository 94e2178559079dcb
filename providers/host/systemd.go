//go:build linux

package host

import (
	"context"
	"errors"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// SystemdPrivateSocket is the D-Bus address of systemd's own socket, which
// only root may open; an unprivileged daemon reaches systemd through the
// system bus instead.
const SystemdPrivateSocket = "unix:path=/run/systemd/private"

// errNoSystemd marks a host where no service manager answers.
var errNoSystemd = errors.New("systemd is not reachable")

// systemd holds the one connection the service providers share, made on
// first use and made again after it breaks.
type systemd struct {
	h    *host
	mu   sync.Mutex
	conn *sd.Conn
	// down is true while the last attempt failed, so that the log says
	// once that services are unavailable rather than at every call.
	down bool
}

// get returns a live connection, dialling when there is none.
func (s *systemd) get(context.Context) (*sd.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && s.conn.Connected() {
		return s.conn, nil
	}
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	// The connection outlives this call: dial with a context of its own
	// (godbus closes a connection when its dial context ends).
	c, addr, err := s.dial(context.Background())
	if err != nil {
		if !s.down {
			s.h.log().Warn("host: no systemd service manager answers; Win32_Service and its associations are empty",
				"address", addr, "error", err)
		}
		s.down = true
		return nil, errNoSystemd
	}
	if err := c.Subscribe(); err != nil {
		c.Close()
		if !s.down {
			s.h.log().Warn("host: systemd refuses to send job signals; Win32_Service is empty", "address", addr, "error", err)
		}
		s.down = true
		return nil, errNoSystemd
	}
	if s.down {
		s.h.log().Info("host: systemd answers again", "address", addr)
	}
	s.down = false
	s.conn = c
	return c, nil
}

// drop forgets a connection that failed a call, so the next call dials.
func (s *systemd) drop(c *sd.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == c {
		s.conn.Close()
		s.conn = nil
	}
}

// address returns the D-Bus address of systemd and whether it is systemd's
// own socket (peer to peer) rather than a bus: Config.Systemd, else the
// private socket when the daemon is root and it exists, else the system
// bus ("").
func (s *systemd) address() (string, bool, error) {
	addr := s.h.cfg.Systemd
	switch {
	case addr != "":
		return addr, true, nil
	case s.h.cfg.Root != "":
		return "", false, errors.New("Config.Root points at a fixture, which has no service manager")
	}
	if os.Geteuid() == 0 {
		if _, err := os.Stat("/run/systemd/private"); err == nil {
			return SystemdPrivateSocket, true, nil
		}
	}
	return "", false, nil
}

// rawDial opens one D-Bus connection to systemd: authenticated, and
// registered on the bus when it is one.
func (s *systemd) rawDial() (*dbus.Conn, error) {
	addr, private, err := s.address()
	if err != nil {
		return nil, err
	}
	if !private {
		return dbus.ConnectSystemBus()
	}
	conn, err := dbus.Dial(addr)
	if err != nil {
		return nil, err
	}
	// systemd's own socket is peer to peer: authenticate, no Hello.
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Geteuid()))}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// dial makes go-systemd's connection (two D-Bus connections: calls and
// job signals).
func (s *systemd) dial(context.Context) (*sd.Conn, string, error) {
	addr, _, err := s.address()
	if addr == "" {
		addr = "system bus"
	}
	if err != nil {
		return nil, addr, err
	}
	c, err := sd.NewConnection(s.rawDial)
	return c, addr, err
}

// unit is what the service providers use of one systemd service unit.
type unit struct {
	Name          string // "ssh.service"
	Description   string
	LoadState     string // loaded, not-found, masked, …
	ActiveState   string // active, reloading, inactive, failed, activating, deactivating
	SubState      string
	UnitFileState string // enabled, disabled, static, masked, …
	FreezerState  string // running, frozen, freezing, thawing
	CanStart      bool
	CanStop       bool
	CanFreeze     bool
	MainPID       uint32
	ExecStart     []string // path, then arguments
	User          string
	Result        string // success, exit-code, signal, timeout, …
	ExecStatus    int32  // the main process's exit status
	Ran           bool   // the main process started at least once
	Requires      []string
	Wants         []string
	BindsTo       []string
	Requisite     []string
	RequiredBy    []string
	BoundBy       []string
	RequisiteOf   []string
	WantedBy      []string
	After         []string
	Before        []string
	FragmentPath  string
}

// serviceName is the Win32_Service.Name of a unit: its name without
// ".service".
func serviceName(unitName string) string { return strings.TrimSuffix(unitName, ".service") }

// unitName is the unit a Win32_Service.Name stands for.
func unitName(name string) string {
	if strings.HasSuffix(name, ".service") {
		return name
	}
	return name + ".service"
}

// isTemplate reports whether a unit file is a template (foo@.service),
// which WMI has no equivalent for: only its instances are services.
func isTemplate(name string) bool { return strings.HasSuffix(name, "@.service") }

// serviceNames lists the service units systemd knows: those loaded and
// those installed as files, templates aside, sorted.
func serviceNames(ctx context.Context, c *sd.Conn) ([]string, error) {
	loaded, err := c.ListUnitsByPatternsContext(ctx, nil, []string{"*.service"})
	if err != nil {
		return nil, err
	}
	files, err := c.ListUnitFilesByPatternsContext(ctx, nil, []string{"*.service"})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, u := range loaded {
		if u.LoadState == "not-found" || isTemplate(u.Name) || seen[u.Name] {
			continue
		}
		seen[u.Name] = true
		out = append(out, u.Name)
	}
	for _, f := range files {
		n := path.Base(f.Path)
		if !strings.HasSuffix(n, ".service") || isTemplate(n) || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// readUnit reads the properties of one service unit (loading it, as
// systemctl show does, when it is only a file). ok is false when systemd
// knows no such unit.
func readUnit(ctx context.Context, c *sd.Conn, name string) (unit, bool, error) {
	up, err := c.GetUnitPropertiesContext(ctx, name)
	if err != nil {
		return unit{}, false, err
	}
	u := unit{Name: name}
	u.Description, _ = up["Description"].(string)
	u.LoadState, _ = up["LoadState"].(string)
	if u.LoadState == "not-found" || u.LoadState == "" {
		return u, false, nil
	}
	u.ActiveState, _ = up["ActiveState"].(string)
	u.SubState, _ = up["SubState"].(string)
	u.UnitFileState, _ = up["UnitFileState"].(string)
	u.FreezerState, _ = up["FreezerState"].(string)
	u.CanStart, _ = up["CanStart"].(bool)
	u.CanStop, _ = up["CanStop"].(bool)
	u.CanFreeze, _ = up["CanFreeze"].(bool)
	u.FragmentPath, _ = up["FragmentPath"].(string)
	for p, dst := range map[string]*[]string{
		"Requires": &u.Requires, "Wants": &u.Wants, "BindsTo": &u.BindsTo, "Requisite": &u.Requisite,
		"RequiredBy": &u.RequiredBy, "BoundBy": &u.BoundBy, "RequisiteOf": &u.RequisiteOf,
		"WantedBy": &u.WantedBy, "After": &u.After, "Before": &u.Before,
	} {
		*dst, _ = up[p].([]string)
	}
	if u.LoadState == "masked" {
		return u, true, nil
	}
	sp, err := c.GetUnitTypePropertiesContext(ctx, name, "Service")
	if err != nil {
		return u, true, nil // a unit without its Service interface: the rest stays NULL
	}
	u.MainPID, _ = sp["MainPID"].(uint32)
	u.User, _ = sp["User"].(string)
	u.Result, _ = sp["Result"].(string)
	u.ExecStatus, _ = sp["ExecMainStatus"].(int32)
	ts, _ := sp["ExecMainStartTimestamp"].(uint64)
	u.Ran = ts != 0
	u.ExecStart = execStart(sp["ExecStart"])
	return u, true, nil
}

// execStart takes the first command of a unit's ExecStart property: an
// array of (path, argv, ignore-failure, …) structures.
func execStart(v any) []string {
	cmds, ok := v.([][]any)
	if !ok || len(cmds) == 0 || len(cmds[0]) < 2 {
		return nil
	}
	p, _ := cmds[0][0].(string)
	argv, _ := cmds[0][1].([]string)
	if p == "" {
		return nil
	}
	out := []string{p}
	if len(argv) > 1 {
		out = append(out, argv[1:]...)
	}
	return out
}
