//go:build linux

package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// passwdEntry is a line of /etc/passwd.
type passwdEntry struct {
	name       string
	uid, gid   uint32
	gecos      string
	home, shel string
}

// groupEntry is a line of /etc/group.
type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// MaxAccountFile is the most of /etc/passwd, /etc/group or /etc/shadow read.
const MaxAccountFile = 16 << 20

// parsePasswd reads passwd(5) lines: name:password:uid:gid:gecos:home:shell.
// Comments, blank and malformed lines are skipped.
func parsePasswd(b []byte) []passwdEntry {
	var out []passwdEntry
	for line := range bytes.Lines(b) {
		f := strings.Split(strings.TrimRight(string(line), "\r\n"), ":")
		if len(f) != 7 || strings.HasPrefix(f[0], "#") || !validAccountName(f[0]) {
			continue
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid), gecos: f[4], home: f[5], shel: f[6]})
	}
	return out
}

// parseGroup reads group(5) lines: name:password:gid:member,member.
func parseGroup(b []byte) []groupEntry {
	var out []groupEntry
	for line := range bytes.Lines(b) {
		f := strings.Split(strings.TrimRight(string(line), "\r\n"), ":")
		if len(f) != 4 || strings.HasPrefix(f[0], "#") || !validAccountName(f[0]) {
			continue
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		g := groupEntry{name: f[0], gid: uint32(gid)}
		for m := range strings.SplitSeq(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" && validAccountName(m) {
				g.members = append(g.members, m)
			}
		}
		out = append(out, g)
	}
	return out
}

// validAccountName accepts what useradd and NSS accept: no blanks, colons,
// commas or control characters, not starting with '-' or '+' (NIS
// compatibility entries).
func validAccountName(n string) bool {
	if n == "" || n[0] == '-' || n[0] == '+' || len(n) > 256 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c == ':' || c == ',' || c == 0x7f {
			return false
		}
	}
	return true
}

// shadowState is what gowbem reads of /etc/shadow (root only): whether the
// account is locked (password field starting with '!') and whether it has
// a password at all.
type shadowState struct{ locked, empty bool }

func parseShadow(b []byte) map[string]shadowState {
	out := map[string]shadowState{}
	for line := range bytes.Lines(b) {
		f := strings.Split(strings.TrimRight(string(line), "\r\n"), ":")
		if len(f) < 2 || !validAccountName(f[0]) {
			continue
		}
		out[f[0]] = shadowState{locked: strings.HasPrefix(f[1], "!"), empty: f[1] == ""}
	}
	return out
}

func (h *host) passwd() []passwdEntry {
	b, err := readInto(nil, h.cfg.path("/etc/passwd"), MaxAccountFile)
	if err != nil {
		return nil
	}
	return parsePasswd(b)
}

func (h *host) groups() []groupEntry {
	b, err := readInto(nil, h.cfg.path("/etc/group"), MaxAccountFile)
	if err != nil {
		return nil
	}
	return parseGroup(b)
}

// accountDomain is the Domain of local accounts: the computer's name, as
// WMI gives for local accounts.
func (h *host) accountDomain() string { return h.hostname() }

// unixSID writes the SID Samba gives a Unix account: S-1-22-1-<uid> for a
// user, S-1-22-2-<gid> for a group.
func unixSID(group bool, id uint32) string {
	k := "1"
	if group {
		k = "2"
	}
	return "S-1-22-" + k + "-" + strconv.FormatUint(uint64(id), 10)
}

func accountPath(domain, name string) cim.ObjectPath {
	return cim.ObjectPath{Class: "Win32_UserAccount", Keys: []cim.KeyBinding{
		{Name: "Domain", Value: cim.String(domain)}, {Name: "Name", Value: cim.String(name)}}}
}

func groupPath(domain, name string) cim.ObjectPath {
	return cim.ObjectPath{Class: "Win32_Group", Keys: []cim.KeyBinding{
		{Name: "Domain", Value: cim.String(domain)}, {Name: "Name", Value: cim.String(name)}}}
}

// newUserAccountProvider serves Win32_UserAccount from /etc/passwd (and
// /etc/shadow when readable).
func newUserAccountProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		dom := h.accountDomain()
		var shadow map[string]shadowState
		if b, err := readInto(nil, h.cfg.path("/etc/shadow"), MaxAccountFile); err == nil {
			shadow = parseShadow(b)
		}
		for _, p := range h.passwd() {
			full, _, _ := strings.Cut(p.gecos, ",")
			r := newRow(class).
				set("Name", cim.String(p.name)).
				set("Domain", cim.String(dom)).
				set("Caption", cim.String(dom+`\`+p.name)).
				set("FullName", str(full)).
				set("Description", str(p.gecos)).
				set("SID", cim.String(unixSID(false, p.uid))).
				set("SIDType", cim.Uint8(1)).
				set("LocalAccount", cim.Bool(true)).
				set("AccountType", cim.Uint32(512)).
				set("Status", cim.String("OK"))
			if s, ok := shadow[p.name]; ok {
				r.set("Disabled", cim.Bool(s.locked)).set("PasswordRequired", cim.Bool(!s.empty))
			}
			if err := emit(r.inst); err != nil {
				return err
			}
		}
		return nil
	}}
}

// newGroupProvider serves Win32_Group from /etc/group.
func newGroupProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		dom := h.accountDomain()
		for _, g := range h.groups() {
			if err := emit(newRow(class).
				set("Name", cim.String(g.name)).
				set("Domain", cim.String(dom)).
				set("Caption", cim.String(dom+`\`+g.name)).
				set("Description", cim.String(g.name)).
				set("SID", cim.String(unixSID(true, g.gid))).
				set("SIDType", cim.Uint8(4)).
				set("LocalAccount", cim.Bool(true)).
				set("Status", cim.String("OK")).inst); err != nil {
				return err
			}
		}
		return nil
	}}
}

// newGroupUser links a group (GroupComponent) to each member
// (PartComponent): the members /etc/group lists and the users whose
// primary group it is. Members /etc/passwd does not know are left out.
func newGroupUser(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"GroupComponent", []string{"Win32_Group"}}, {"PartComponent", []string{"Win32_UserAccount", "Win32_Account"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			dom := h.accountDomain()
			if from >= 0 {
				if d, _ := keyString(target, "Domain"); !cim.EqualFold(d, dom) {
					return nil
				}
			}
			want, _ := keyString(target, "Name")
			users := h.passwd()
			known := map[string]bool{}
			for _, u := range users {
				known[u.name] = true
			}
			for _, g := range h.groups() {
				if from == 0 && g.name != want {
					continue
				}
				members := slices.Clone(g.members)
				for _, u := range users {
					if u.gid == g.gid {
						members = append(members, u.name)
					}
				}
				slices.Sort(members)
				for _, m := range slices.Compact(members) {
					if !known[m] || from == 1 && m != want {
						continue
					}
					if err := emit(groupPath(dom, g.name), accountPath(dom, m)); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

// utmpRecord is what gowbem reads of a struct utmp (utmp(5)): 384 bytes on
// every Linux ABI, in the host's byte order.
type utmpRecord struct {
	typ     int16
	pid     int32
	line    string
	user    string
	host    string
	session int32
	when    time.Time
	addr    net.IP
}

// utmpSize is the size of struct utmp.
const utmpSize = 384

// MaxUtmpRecords bounds how many utmp records are read.
const MaxUtmpRecords = 65536

// parseUtmp splits a utmp file into records; a trailing partial record is
// ignored.
func parseUtmp(b []byte) []utmpRecord {
	var out []utmpRecord
	ne := binary.NativeEndian
	for off := 0; off+utmpSize <= len(b) && len(out) < MaxUtmpRecords; off += utmpSize {
		r := b[off : off+utmpSize]
		rec := utmpRecord{
			typ:     int16(ne.Uint16(r[0:])),
			pid:     int32(ne.Uint32(r[4:])),
			line:    cString(r[8:40]),
			user:    cString(r[44:76]),
			host:    cString(r[76:332]),
			session: int32(ne.Uint32(r[336:])),
			when:    time.Unix(int64(int32(ne.Uint32(r[340:]))), int64(int32(ne.Uint32(r[344:])))*1000),
		}
		a := r[348:364]
		switch {
		case !allZero(a[4:]):
			rec.addr = net.IP(slices.Clone(a))
		case !allZero(a[:4]):
			rec.addr = net.IP(slices.Clone(a[:4]))
		}
		out = append(out, rec)
	}
	return out
}

// logins returns the USER_PROCESS records of utmp: who is logged on.
func (h *host) logins() []utmpRecord {
	var b []byte
	var err error
	for _, p := range []string{"/var/run/utmp", "/run/utmp"} {
		if b, err = readInto(nil, h.cfg.path(p), MaxUtmpRecords*utmpSize); err == nil {
			break
		}
	}
	if err != nil {
		return nil
	}
	var out []utmpRecord
	for _, r := range parseUtmp(b) {
		const userProcess = 7
		if r.typ == userProcess && r.user != "" {
			out = append(out, r)
		}
	}
	return out
}

// logonID is the LogonId of a login: the pid of its login process, which
// utmp records and which is unique while the session lasts.
func logonID(r utmpRecord) string { return strconv.Itoa(int(r.pid)) }

func sessionPath(id string) cim.ObjectPath {
	return path1("Win32_LogonSession", "LogonId", cim.String(id))
}

// newLogonSessionProvider serves Win32_LogonSession: one instance per
// login of utmp.
func newLogonSessionProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		for _, r := range h.logins() {
			typ := uint32(2) // Interactive
			if r.host != "" {
				typ = 10 // RemoteInteractive
			}
			if err := emit(newRow(class).
				set("LogonId", cim.String(logonID(r))).
				set("Name", cim.String(r.line)).
				set("Caption", cim.String(r.user+" on "+r.line)).
				set("Description", str(r.host)).
				set("LogonType", cim.Uint32(typ)).
				set("StartTime", cim.TimeValue(r.when.Local())).
				set("Status", cim.String("OK")).inst); err != nil {
				return err
			}
		}
		return nil
	}}
}

// newLoggedOnUser links an account (Antecedent) to its logon sessions
// (Dependent).
func newLoggedOnUser(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Antecedent", []string{"Win32_UserAccount", "Win32_Account"}}, {"Dependent", []string{"Win32_LogonSession"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			dom := h.accountDomain()
			var want string
			switch from {
			case 0:
				if d, _ := keyString(target, "Domain"); !cim.EqualFold(d, dom) {
					return nil
				}
				want, _ = keyString(target, "Name")
			case 1:
				want, _ = keyString(target, "LogonId")
			}
			for _, r := range h.logins() {
				if from == 0 && r.user != want || from == 1 && logonID(r) != want {
					continue
				}
				if err := emit(accountPath(dom, r.user), sessionPath(logonID(r))); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// SystemUserName is the UserName of system-wide variables in
// Win32_Environment, as WMI writes it.
const SystemUserName = "<SYSTEM>"

// MaxEnvironmentFile is the most of /etc/environment read.
const MaxEnvironmentFile = 1 << 20

// parseEnvironment reads /etc/environment as pam_env does: NAME=value
// lines, an optional "export " before the name, the value's surrounding
// quotes removed; comments, blank lines and lines that are not assignments
// are skipped. A later assignment of a name wins.
func parseEnvironment(b []byte) [][2]string {
	var out [][2]string
	idx := map[string]int{}
	for line := range bytes.Lines(b) {
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		name, val, ok := strings.Cut(s, "=")
		name = strings.TrimSpace(name)
		if !ok || !validEnvName(name) {
			continue
		}
		if n := len(val); n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n-1] == val[0] {
			val = val[1 : n-1]
		}
		if i, ok := idx[name]; ok {
			out[i][1] = val
			continue
		}
		idx[name] = len(out)
		out = append(out, [2]string{name, val})
	}
	return out
}

func validEnvName(n string) bool {
	if n == "" || n[0] >= '0' && n[0] <= '9' {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// newEnvironmentProvider serves Win32_Environment: the system variables of
// /etc/environment (UserName "<SYSTEM>") and, with
// Config.DaemonEnvironment, the daemon's own (UserName its user).
func newEnvironmentProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		one := func(name, val, userName string, system bool) error {
			return emit(newRow(class).
				set("Name", cim.String(name)).
				set("UserName", cim.String(userName)).
				set("VariableValue", cim.String(val)).
				set("SystemVariable", cim.Bool(system)).
				set("Caption", cim.String(userName+`\`+name)).
				set("Description", cim.String(userName+`\`+name)).
				set("Status", cim.String("OK")).inst)
		}
		if b, err := readInto(nil, h.cfg.path("/etc/environment"), MaxEnvironmentFile); err == nil {
			for _, kv := range parseEnvironment(b) {
				if err := one(kv[0], kv[1], SystemUserName, true); err != nil {
					return err
				}
			}
		}
		if !h.cfg.DaemonEnvironment {
			return nil
		}
		me := h.userName(uint32(os.Geteuid()))
		for _, kv := range os.Environ() {
			name, val, ok := strings.Cut(kv, "=")
			if !ok || name == "" {
				continue
			}
			if err := one(name, val, h.hostname()+`\`+me, false); err != nil {
				return err
			}
		}
		return nil
	}}
}
