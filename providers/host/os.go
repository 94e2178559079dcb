//go:build linux

package host

import (
	"context"
	"strings"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// ReturnPrivilegeNotHeld is what Reboot and Shutdown return when the
// configuration does not allow them: Windows' ERROR_PRIVILEGE_NOT_HELD
// (1314), the value WMI reports when the caller lacks SeShutdownPrivilege.
const ReturnPrivilegeNotHeld = 1314

// OperatingSystemProvider serves Win32_OperatingSystem: one instance, the
// running system, whose key Name is "<PRETTY_NAME>|/|<root device>" after
// WMI's "<caption>|<windows dir>|<boot partition>".
type OperatingSystemProvider struct{ h *host }

// osName returns the Name key of the one Win32_OperatingSystem.
func (h *host) osName() string {
	caption := h.osRelease()["PRETTY_NAME"]
	if caption == "" {
		caption = "Linux"
	}
	root := ""
	if m, ok := h.mountAt("/"); ok {
		root = m.source
	}
	return caption + "|/|" + root
}

// EnumerateInstances emits the one instance.
func (p *OperatingSystemProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	inst, err := p.build(ctx, class)
	if err != nil {
		return err
	}
	return out.Emit(inst)
}

// GetInstance returns the instance when the path's Name is its name
// (compared case-insensitively, as WMI compares keys).
func (p *OperatingSystemProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	name, _ := keyString(path, "Name")
	if !cim.EqualFold(name, p.h.osName()) {
		return nil, notFound(path)
	}
	return p.build(ctx, class)
}

func (p *OperatingSystemProvider) build(ctx context.Context, class *cim.Class) (*cim.Instance, error) {
	h := p.h
	inst := class.NewInstance()
	set := func(name string, v cim.Value) { put(inst, class.PropertyIndex(name), v) }
	rel := h.osRelease()
	caption := rel["PRETTY_NAME"]
	if caption == "" {
		caption = "Linux"
	}
	cs := h.hostname()
	set("Name", cim.String(h.osName()))
	set("Caption", cim.String(caption))
	set("Description", str(rel["NAME"]))
	set("CSName", str(cs))
	set("CSCreationClassName", cim.String("Win32_ComputerSystem"))
	set("CreationClassName", cim.String(class.Name))
	set("OSType", cim.Uint16(36)) // LINUX
	set("Version", str(h.kernelRelease()))
	set("BuildNumber", str(buildNumber(readLine(h.cfg.path("/proc/sys/kernel/version")))))
	var uts syscall.Utsname
	if h.cfg.Root == "" && syscall.Uname(&uts) == nil {
		set("OSArchitecture", str(osArchitecture(utsString(uts.Machine[:]))))
	}
	set("SerialNumber", str(readLine(h.cfg.path("/etc/machine-id"))))
	set("Manufacturer", str(rel["VENDOR_NAME"]))
	set("SystemDrive", cim.String("/"))
	if m, ok := h.mountAt("/"); ok {
		set("BootDevice", str(m.source))
	}
	set("Status", cim.String("OK"))
	set("Primary", cim.Bool(true))
	set("Distributed", cim.Bool(false))
	if bt, err := h.bootTime(); err == nil {
		set("LastBootUpTime", cim.TimeValue(bt.Local()))
	}
	now := time.Now()
	set("LocalDateTime", cim.TimeValue(now))
	_, off := now.Zone()
	set("CurrentTimeZone", cim.Sint16(int16(off/60)))
	if m, err := h.meminfo(); err == nil {
		if m.total >= 0 {
			set("TotalVisibleMemorySize", cim.Uint64(uint64(m.total)))
		}
		if m.available >= 0 {
			set("FreePhysicalMemory", cim.Uint64(uint64(m.available)))
		}
		if m.total >= 0 && m.swapTotal >= 0 {
			set("TotalVirtualMemorySize", cim.Uint64(uint64(m.total+m.swapTotal)))
			set("SizeStoredInPagingFiles", cim.Uint64(uint64(m.swapTotal)))
		}
		if m.available >= 0 && m.swapFree >= 0 {
			set("FreeVirtualMemory", cim.Uint64(uint64(m.available+m.swapFree)))
			set("FreeSpaceInPagingFiles", cim.Uint64(uint64(m.swapFree)))
		}
	}
	if class.PropertyIndex("NumberOfProcesses") >= 0 {
		n := 0
		err := h.eachPID(ctx, func(int) error { n++; return nil })
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil {
			set("NumberOfProcesses", cim.Uint32(uint32(n)))
		}
	}
	if n, ok := h.countUsers(); ok {
		set("NumberOfUsers", cim.Uint32(uint32(n)))
	}
	if s := readLine(h.cfg.path("/proc/sys/kernel/pid_max")); s != "" {
		set("MaxNumberOfProcesses", cim.String(s))
	}
	return inst, nil
}

// buildNumber takes n from a /proc/sys/kernel/version like "#1 SMP ...".
func buildNumber(v string) string {
	if !strings.HasPrefix(v, "#") {
		return ""
	}
	v = v[1:]
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	return v[:i]
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

// osArchitecture names a machine of uname(2) as WMI does.
func osArchitecture(machine string) string {
	switch machine {
	case "x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "riscv64", "mips64", "loongarch64", "sparc64":
		return "64-bit"
	case "":
		return ""
	}
	return "32-bit"
}

// ExecMethod runs Reboot and Shutdown: ReturnPrivilegeNotHeld unless
// Config.AllowPower and the caller is an administrator; then Config.Power
// (or sync and reboot(2)) acts.
func (p *OperatingSystemProvider) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	var action PowerAction
	switch strings.ToLower(call.Method.Name) {
	case "reboot":
		action = PowerReboot
	case "shutdown":
		action = PowerOff
	default:
		return nil, &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED, Parameter: call.Method.Name,
			Description: "the host operating system provider does not implement " + call.Method.Name}
	}
	if !p.h.cfg.AllowPower || !isAdmin(ctx) { // power needs an administrator
		return outParams(call.Out, ReturnPrivilegeNotHeld), nil
	}
	power := p.h.cfg.Power
	if power == nil {
		power = systemPower
	}
	if err := power(ctx, action); err != nil {
		if errno, ok := err.(syscall.Errno); ok && (errno == syscall.EPERM || errno == syscall.EACCES) {
			return outParams(call.Out, ReturnPrivilegeNotHeld), nil
		}
		return outParams(call.Out, ReturnUnknownFailure), nil
	}
	return outParams(call.Out, ReturnSuccess), nil
}

// systemPower syncs the file systems and asks the kernel to restart or
// power off.
func systemPower(_ context.Context, action PowerAction) error {
	syscall.Sync()
	cmd := syscall.LINUX_REBOOT_CMD_RESTART
	if action == PowerOff {
		cmd = syscall.LINUX_REBOOT_CMD_POWER_OFF
	}
	return syscall.Reboot(cmd)
}

// ComputerSystemProvider serves Win32_ComputerSystem: one instance, keyed
// by the host name.
type ComputerSystemProvider struct{ h *host }

// EnumerateInstances emits the one instance.
func (p *ComputerSystemProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return out.Emit(p.build(class))
}

// GetInstance returns the instance when the path's Name is the host name.
func (p *ComputerSystemProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	name, _ := keyString(path, "Name")
	if !cim.EqualFold(name, p.h.hostname()) {
		return nil, notFound(path)
	}
	return p.build(class), nil
}

func (p *ComputerSystemProvider) build(class *cim.Class) *cim.Instance {
	h := p.h
	inst := class.NewInstance()
	set := func(name string, v cim.Value) { put(inst, class.PropertyIndex(name), v) }
	name := h.hostname()
	set("Name", str(name))
	set("Caption", str(name))
	set("DNSHostName", str(name))
	set("CreationClassName", cim.String(class.Name))
	set("Status", cim.String("OK"))
	set("BootupState", cim.String("Normal boot"))
	domain, inDomain := h.domain(name)
	set("Domain", cim.String(domain))
	set("PartOfDomain", cim.Bool(inDomain))
	if !inDomain {
		set("Workgroup", cim.String(domain))
	}
	dmi := h.cfg.path("/sys/class/dmi/id") + "/"
	set("Manufacturer", str(readLine(dmi+"sys_vendor")))
	set("Model", str(readLine(dmi+"product_name")))
	set("SystemFamily", str(readLine(dmi+"product_family")))
	if cpus, err := h.cpuinfo(); err == nil {
		set("NumberOfLogicalProcessors", cim.Uint32(uint32(len(cpus))))
		set("NumberOfProcessors", cim.Uint32(uint32(len(packages(cpus)))))
	}
	if m, err := h.meminfo(); err == nil && m.total >= 0 {
		set("TotalPhysicalMemory", cim.Uint64(uint64(m.total)*1024))
	}
	var uts syscall.Utsname
	if h.cfg.Root == "" && syscall.Uname(&uts) == nil {
		set("SystemType", str(systemType(utsString(uts.Machine[:]))))
	}
	return inst
}

// domain returns the NIS domain of /proc/sys/kernel/domainname, else the
// DNS suffix of the host name (both mean "part of a domain"), else
// "WORKGROUP", which WMI reports for a computer outside any domain.
func (h *host) domain(hostname string) (string, bool) {
	if d := readLine(h.cfg.path("/proc/sys/kernel/domainname")); d != "" && d != "(none)" {
		return d, true
	}
	if _, suffix, ok := strings.Cut(hostname, "."); ok && suffix != "" {
		return suffix, true
	}
	return "WORKGROUP", false
}

// systemType names a machine as WMI's SystemType does.
func systemType(machine string) string {
	switch machine {
	case "x86_64":
		return "x64-based PC"
	case "i386", "i486", "i586", "i686":
		return "X86-based PC"
	case "aarch64":
		return "ARM64-based PC"
	case "":
		return ""
	}
	return machine
}
