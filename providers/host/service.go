//go:build linux

package host

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/provider"
)

// Win32_Service return codes (Microsoft's list for StartService,
// StopService, PauseService, ResumeService and ChangeStartMode).
const (
	ServiceSuccess             = 0
	ServiceNotSupported        = 1
	ServiceAccessDenied        = 2
	ServiceDependentsRunning   = 3
	ServiceCannotAcceptControl = 5
	ServiceNotActive           = 6
	ServiceRequestTimeout      = 7
	ServiceUnknownFailure      = 8
	ServiceAlreadyRunning      = 10
	ServiceDependencyFailure   = 13
	ServiceDisabled            = 14
	ServiceInvalidParameter    = 21
	ServiceAlreadyPaused       = 24
)

// Windows error codes that Win32_Service.ExitCode reports.
const (
	errorServiceSpecific = 1066 // ERROR_SERVICE_SPECIFIC_ERROR: see ServiceSpecificExitCode
	errorProcessAborted  = 1067 // ERROR_PROCESS_ABORTED: killed, dumped core, timed out
	errorNeverStarted    = 1077 // ERROR_SERVICE_NEVER_STARTED
)

// DefaultServiceJobTimeout bounds how long StartService and StopService
// wait for systemd's job to finish before returning 7 (request timeout),
// as the service control manager gives a service 30 seconds.
const DefaultServiceJobTimeout = 30 * time.Second

// ServiceProvider serves Win32_Service from systemd's service units over
// D-Bus. It implements provider.InstanceProvider, provider.QueryProvider
// and provider.MethodProvider.
type ServiceProvider struct{ h *host }

var serviceProps = []string{
	"Name", "DisplayName", "Caption", "Description", "State", "Status", "Started", "StartMode",
	"ProcessId", "PathName", "ServiceType", "ExitCode", "ServiceSpecificExitCode", "AcceptStop",
	"AcceptPause", "StartName", "CreationClassName", "SystemCreationClassName", "SystemName",
}

const (
	sName = iota
	sDisplayName
	sCaption
	sDescription
	sState
	sStatus
	sStarted
	sStartMode
	sProcessId
	sPathName
	sServiceType
	sExitCode
	sSpecificExitCode
	sAcceptStop
	sAcceptPause
	sStartName
	sCreationClassName
	sSystemCreationClassName
	sSystemName
)

// serviceState maps systemd's active and freezer states onto WMI's State.
func serviceState(active, freezer string) string {
	switch active {
	case "active", "reloading":
		switch freezer {
		case "frozen":
			return "Paused"
		case "freezing":
			return "Pause Pending"
		case "thawing":
			return "Continue Pending"
		}
		return "Running"
	case "activating":
		return "Start Pending"
	case "deactivating":
		return "Stop Pending"
	case "inactive", "failed":
		return "Stopped"
	}
	return "Unknown"
}

// serviceStatus maps the active state onto CIM's Status.
func serviceStatus(active string) string {
	switch active {
	case "failed":
		return "Error"
	case "activating":
		return "Starting"
	case "deactivating":
		return "Stopping"
	case "":
		return "Unknown"
	}
	return "OK"
}

// startMode maps a unit file state onto WMI's StartMode: enabled units
// start at boot (Auto), masked ones cannot start (Disabled), and every
// other unit starts when asked or pulled in by another (Manual); "" when
// systemd reports no file state.
func startMode(fileState string) string {
	switch fileState {
	case "enabled", "enabled-runtime":
		return "Auto"
	case "masked", "masked-runtime":
		return "Disabled"
	case "":
		return ""
	}
	return "Manual"
}

// exitCodes maps the result of a unit's last run onto ExitCode and
// ServiceSpecificExitCode; a unit that never ran has 1077.
func exitCodes(result string, status int32, ran bool) (code, specific uint32, ok bool) {
	switch {
	case result == "":
		return 0, 0, false
	case !ran && result == "success":
		return errorNeverStarted, 0, true
	}
	switch result {
	case "success":
		return 0, 0, true
	case "exit-code":
		return errorServiceSpecific, uint32(status), true
	}
	return errorProcessAborted, 0, true
}

// build makes the instance of a unit.
func (p *ServiceProvider) build(class *cim.Class, ix []int, sys string, u unit) *cim.Instance {
	inst := class.NewInstance()
	name := serviceName(u.Name)
	put(inst, ix[sName], cim.String(name))
	display := u.Description
	if display == "" {
		display = name
	}
	put(inst, ix[sDisplayName], cim.String(display))
	put(inst, ix[sCaption], cim.String(display))
	put(inst, ix[sDescription], str(u.Description))
	put(inst, ix[sState], cim.String(serviceState(u.ActiveState, u.FreezerState)))
	put(inst, ix[sStatus], cim.String(serviceStatus(u.ActiveState)))
	started := u.ActiveState == "active" || u.ActiveState == "reloading" || u.ActiveState == "deactivating"
	put(inst, ix[sStarted], cim.Bool(started))
	put(inst, ix[sStartMode], str(startMode(u.UnitFileState)))
	if u.LoadState != "masked" {
		put(inst, ix[sProcessId], cim.Uint32(u.MainPID))
		put(inst, ix[sServiceType], cim.String("Own Process"))
		user := u.User
		if user == "" {
			user = "root"
		}
		put(inst, ix[sStartName], cim.String(user))
	}
	if len(u.ExecStart) > 0 {
		put(inst, ix[sPathName], cim.String(JoinCommandLine(u.ExecStart)))
	}
	if code, specific, ok := exitCodes(u.Result, u.ExecStatus, u.Ran); ok {
		put(inst, ix[sExitCode], cim.Uint32(code))
		put(inst, ix[sSpecificExitCode], cim.Uint32(specific))
	}
	put(inst, ix[sAcceptStop], cim.Bool(u.CanStop && started))
	put(inst, ix[sAcceptPause], cim.Bool(u.CanFreeze && started && p.h.cgroupFreezer()))
	put(inst, ix[sCreationClassName], cim.String(class.Name))
	put(inst, ix[sSystemCreationClassName], cim.String("Win32_ComputerSystem"))
	put(inst, ix[sSystemName], str(sys))
	return inst
}

// EnumerateInstances emits every service unit systemd knows (loaded or
// installed). Without a reachable systemd it emits nothing.
func (p *ServiceProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return p.each(ctx, nil, func(u unit) error { return out.Emit(p.build(class, indexes(class, serviceProps), p.h.hostname(), u)) })
}

// each calls fn for the units named (every service unit when names is
// nil), skipping those systemd does not know.
func (p *ServiceProvider) each(ctx context.Context, names []string, fn func(unit) error) error {
	c, err := p.h.sd.get(ctx)
	if err != nil {
		return nil // logged once by get: no service manager, no services
	}
	if names == nil {
		if names, err = serviceNames(ctx, c); err != nil {
			return p.h.sd.failed(ctx, c, err)
		}
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		u, ok, err := readUnit(ctx, c, n)
		if err != nil {
			if isNoSuchUnit(err) {
				continue
			}
			return p.h.sd.failed(ctx, c, err)
		}
		if !ok {
			continue
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

// failed turns a failed D-Bus call into the provider's error, dropping a
// connection that broke.
func (s *systemd) failed(ctx context.Context, c *sd.Conn, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !c.Connected() {
		s.drop(c)
	}
	return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "systemd: " + err.Error(), Err: err}
}

// isNoSuchUnit reports a D-Bus error saying that a unit does not exist.
func isNoSuchUnit(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == "org.freedesktop.systemd1.NoSuchUnit" || de.Name == "org.freedesktop.DBus.Error.UnknownObject"
	}
	return false
}

// isAccessDenied reports a D-Bus error refusing the caller (polkit).
func isAccessDenied(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == "org.freedesktop.DBus.Error.AccessDenied" ||
			de.Name == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
	}
	return false
}

// validServiceName rejects names that cannot be a unit: empty, with a
// slash or a NUL, or longer than systemd allows (255 bytes).
func validServiceName(name string) bool {
	return name != "" && len(unitName(name)) <= 255 && !strings.ContainsAny(name, "/\x00") && !isTemplate(unitName(name))
}

// GetInstance reads the one unit the path's Name names.
func (p *ServiceProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	name, _ := keyString(path, "Name")
	var found *cim.Instance
	if !validServiceName(name) {
		return nil, notFound(path)
	}
	err := p.each(ctx, []string{unitName(name)}, func(u unit) error {
		found = p.build(class, indexes(class, serviceProps), p.h.hostname(), u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, notFound(path)
	}
	return found, nil
}

// ExecQuery reads only the units a WHERE clause names by Name; other
// queries enumerate (the object manager filters).
func (p *ServiceProvider) ExecQuery(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	vals, ok := hint.Values("Name")
	if !ok {
		return p.EnumerateInstances(ctx, class, out)
	}
	var names []string
	seen := map[string]bool{}
	for _, v := range vals {
		n := v.Text()
		if validServiceName(n) && !seen[unitName(n)] {
			seen[unitName(n)] = true
			names = append(names, unitName(n))
		}
	}
	if len(names) == 0 {
		return nil
	}
	ix, sys := indexes(class, serviceProps), p.h.hostname()
	return p.each(ctx, names, func(u unit) error { return out.Emit(p.build(class, ix, sys, u)) })
}

// ExecMethod runs StartService, StopService, PauseService, ResumeService
// and ChangeStartMode. Without Config.AllowServiceControl each returns 2
// (access denied).
func (p *ServiceProvider) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	method := strings.ToLower(call.Method.Name)
	switch method {
	case "startservice", "stopservice", "pauseservice", "resumeservice", "changestartmode":
	default:
		return nil, &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED, Parameter: call.Method.Name,
			Description: "the host service provider does not implement " + call.Method.Name}
	}
	name, _ := keyString(call.Path, "Name")
	if !validServiceName(name) {
		return nil, notFound(call.Path)
	}
	c, err := p.h.sd.get(ctx)
	if err != nil {
		return nil, notFound(call.Path)
	}
	u, ok, err := readUnit(ctx, c, unitName(name))
	if err != nil && !isNoSuchUnit(err) {
		return nil, p.h.sd.failed(ctx, c, err)
	}
	if !ok {
		return nil, notFound(call.Path)
	}
	if !p.h.cfg.AllowServiceControl {
		p.h.log().Info("host: service control refused (Config.AllowServiceControl is off)", "method", call.Method.Name, "service", name)
		return outParams(call.Out, ServiceAccessDenied), nil
	}
	// Controlling services is for administrators, as in Windows, whatever
	// the caller's rights on the namespace; an in-process call (no caller)
	// acts with the daemon's own rights.
	if c, ok := identity.FromContext(ctx); ok && !c.Admin {
		p.h.log().Warn("host: service control refused to a caller who is no administrator", "method", call.Method.Name, "service", name, "caller", c.String())
		return outParams(call.Out, ServiceAccessDenied), nil
	}
	var rv uint32
	switch method {
	case "startservice":
		rv = p.start(ctx, c, u)
	case "stopservice":
		rv = p.stop(ctx, c, u)
	case "pauseservice":
		rv = p.pause(ctx, c, u)
	case "resumeservice":
		rv = p.resume(ctx, c, u)
	case "changestartmode":
		rv = p.changeStartMode(ctx, c, u, call.In.Value("StartMode").Str())
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	p.h.log().Info("host: service control", "method", call.Method.Name, "service", name, "return", rv)
	return outParams(call.Out, rv), nil
}

// callCode maps a failed D-Bus call onto a return code.
func callCode(err error) uint32 {
	if isAccessDenied(err) {
		return ServiceAccessDenied
	}
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.systemd1.UnitMasked":
			return ServiceDisabled
		case "org.freedesktop.systemd1.NoSuchUnit", "org.freedesktop.systemd1.TransactionIsDestructive",
			"org.freedesktop.systemd1.TransactionJobsConflicting", "org.freedesktop.systemd1.TransactionOrderIsCyclic":
			// The unit itself was read just before: what is missing or
			// in the way is a unit it depends on.
			return ServiceDependencyFailure
		}
	}
	return ServiceUnknownFailure
}

// cgroupFreezer reports whether systemd can freeze units: only on the
// unified cgroup hierarchy alone (cgroup v2), although its CanFreeze says
// yes on the hybrid one too.
func (h *host) cgroupFreezer() bool {
	_, err := os.Stat(h.cfg.path("/sys/fs/cgroup/cgroup.controllers"))
	return err == nil
}

// freezeCode maps a failed FreezeUnit or ThawUnit: systemd refuses with
// NotSupported where the cgroup freezer is missing.
func freezeCode(err error) uint32 {
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.NotSupported" {
		return ServiceNotSupported
	}
	return callCode(err)
}

// runJob starts a job with start and waits for systemd to finish it,
// within Config.ServiceJobTimeout and ctx.
func (p *ServiceProvider) runJob(ctx context.Context, start func(ch chan<- string) error) uint32 {
	ch := make(chan string, 1)
	if err := start(ch); err != nil {
		p.h.log().Info("host: systemd refused a job", "error", err)
		return callCode(err)
	}
	d := p.h.cfg.ServiceJobTimeout
	if d <= 0 {
		d = DefaultServiceJobTimeout
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case res := <-ch:
		switch res {
		case "done":
			return ServiceSuccess
		case "dependency":
			return ServiceDependencyFailure
		case "timeout":
			return ServiceRequestTimeout
		}
		p.h.log().Info("host: systemd job ended", "result", res)
		return ServiceUnknownFailure
	case <-t.C:
		return ServiceRequestTimeout
	case <-ctx.Done():
		return ServiceRequestTimeout
	}
}

func (p *ServiceProvider) start(ctx context.Context, c *sd.Conn, u unit) uint32 {
	switch {
	case u.LoadState == "masked":
		return ServiceDisabled
	case u.ActiveState == "active" || u.ActiveState == "reloading" || u.ActiveState == "activating":
		return ServiceAlreadyRunning
	case !u.CanStart:
		return ServiceCannotAcceptControl
	}
	return p.runJob(ctx, func(ch chan<- string) error {
		_, err := c.StartUnitContext(ctx, u.Name, "replace", ch)
		return err
	})
}

// stop refuses, as the service control manager does, while a running
// service requires this one (Requires=, BindsTo=, Requisite=): systemd
// would stop it too.
func (p *ServiceProvider) stop(ctx context.Context, c *sd.Conn, u unit) uint32 {
	if u.ActiveState == "inactive" || u.ActiveState == "failed" {
		return ServiceNotActive
	}
	if !u.CanStop {
		return ServiceCannotAcceptControl
	}
	for _, group := range [][]string{u.RequiredBy, u.BoundBy, u.RequisiteOf} {
		for _, dep := range group {
			if !strings.HasSuffix(dep, ".service") {
				continue
			}
			d, ok, err := readUnit(ctx, c, dep)
			if err == nil && ok && (d.ActiveState == "active" || d.ActiveState == "reloading" || d.ActiveState == "activating") {
				return ServiceDependentsRunning
			}
		}
	}
	return p.runJob(ctx, func(ch chan<- string) error {
		_, err := c.StopUnitContext(ctx, u.Name, "replace", ch)
		return err
	})
}

// pause freezes the unit's processes (systemd's FreezeUnit, the cgroup
// freezer): the nearest thing to a paused service. Where the unit cannot
// be frozen it returns 1 (not supported).
func (p *ServiceProvider) pause(ctx context.Context, c *sd.Conn, u unit) uint32 {
	switch {
	case u.ActiveState != "active" && u.ActiveState != "reloading":
		return ServiceNotActive
	case u.FreezerState == "frozen":
		return ServiceAlreadyPaused
	case !u.CanFreeze || !p.h.cgroupFreezer():
		return ServiceNotSupported
	}
	if err := c.FreezeUnit(ctx, u.Name); err != nil {
		p.h.log().Info("host: systemd cannot freeze the unit", "unit", u.Name, "error", err)
		return freezeCode(err)
	}
	return ServiceSuccess
}

func (p *ServiceProvider) resume(ctx context.Context, c *sd.Conn, u unit) uint32 {
	switch {
	case u.ActiveState != "active" && u.ActiveState != "reloading":
		return ServiceNotActive
	case !u.CanFreeze || !p.h.cgroupFreezer():
		return ServiceNotSupported
	case u.FreezerState == "running":
		return ServiceSuccess
	}
	if err := c.ThawUnit(ctx, u.Name); err != nil {
		p.h.log().Info("host: systemd cannot thaw the unit", "unit", u.Name, "error", err)
		return freezeCode(err)
	}
	return ServiceSuccess
}

// changeStartMode enables (Automatic), disables (Manual) or masks
// (Disabled) the unit file, persistently or, with
// Config.ServiceRuntimeChanges, until the next boot. Boot and System are
// for drivers: 21. A unit without an [Install] section cannot be made
// Automatic: 21 too.
func (p *ServiceProvider) changeStartMode(ctx context.Context, c *sd.Conn, u unit, mode string) uint32 {
	runtime := p.h.cfg.ServiceRuntimeChanges
	files := []string{u.Name}
	unmask := func() error {
		if !strings.HasPrefix(u.UnitFileState, "masked") {
			return nil
		}
		_, err := c.UnmaskUnitFilesContext(ctx, files, runtime)
		return err
	}
	var err error
	switch strings.ToLower(mode) {
	case "automatic", "auto":
		if err = unmask(); err == nil {
			var install bool
			install, _, err = c.EnableUnitFilesContext(ctx, files, runtime, false)
			if err == nil && !install {
				return ServiceInvalidParameter
			}
		}
	case "manual":
		// Disable even when masked: unmasking alone would bring back an
		// enablement that the mask only hid.
		if err = unmask(); err == nil {
			_, err = c.DisableUnitFilesContext(ctx, files, runtime)
		}
	case "disabled":
		_, err = c.MaskUnitFilesContext(ctx, files, runtime, false)
	default:
		return ServiceInvalidParameter
	}
	if err != nil {
		return callCode(err)
	}
	if err := c.ReloadContext(ctx); err != nil {
		return callCode(err)
	}
	return ServiceSuccess
}
