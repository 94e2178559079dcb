//go:build linux

package host

import (
	"context"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// ProcessTraceProvider raises Win32_ProcessStartTrace and
// Win32_ProcessStopTrace: a process ran a program (exec), a process ended.
// It implements provider.EventProvider; each subscription watches on its
// own (see watchProcesses) for as long as it lasts.
type ProcessTraceProvider struct{ h *host }

// ProvideEvents starts watching processes for one subscription.
func (p *ProcessTraceProvider) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	starts, stops := true, true
	switch {
	case req.Class.IsA("Win32_ProcessStartTrace"):
		stops = false
	case req.Class.IsA("Win32_ProcessStopTrace"):
		starts = false
	}
	startClass, err := req.Lookup("Win32_ProcessStartTrace")
	if err != nil {
		return err
	}
	stopClass, err := req.Lookup("Win32_ProcessStopTrace")
	if err != nil {
		return err
	}
	_, err = p.h.subscribeProcesses(ctx, func(e procEvent) {
		if e.start && !starts || !e.start && !stops {
			return
		}
		class := startClass
		if !e.start {
			class = stopClass
		}
		r := newRow(class).
			set("ProcessID", cim.Uint32(uint32(e.pid))).
			set("ParentProcessID", cim.Uint32(uint32(e.ppid))).
			set("ProcessName", str(e.name)).
			set("Source", cim.String(e.source)).
			set("TIME_CREATED", cim.Uint64(fileTime(time.Now())))
		if !e.start && e.exitKnown {
			r.set("ExitStatus", cim.Uint32(uint32(e.exitStatus)))
		}
		sink.Indicate(r.inst)
	})
	return err
}

// ServiceEventProvider raises Gowbem_ServiceStateChangeEvent from
// systemd's signals (WMI has no extrinsic event for services: scripts
// there poll Win32_Service with WITHIN, which works here too).
type ServiceEventProvider struct{ h *host }

// ProvideEvents starts watching systemd for one subscription. Without a
// reachable systemd it refuses the subscription.
func (p *ServiceEventProvider) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	class, err := req.Lookup("Gowbem_ServiceStateChangeEvent")
	if err != nil {
		return err
	}
	err = p.h.watchServices(ctx, func(e serviceEvent) {
		sink.Indicate(newRow(class).
			set("Name", cim.String(serviceName(e.unit))).
			set("State", cim.String(e.state)).
			set("PreviousState", str(e.previous)).
			set("ActiveState", str(e.active)).
			set("SubState", str(e.sub)).
			set("TIME_CREATED", cim.Uint64(fileTime(time.Now()))).inst)
	})
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Description: "no systemd answers: service events cannot be watched: " + err.Error(), Err: err}
	}
	return nil
}

// VolumeEventProvider raises Win32_VolumeChangeEvent when a file system is
// mounted (EventType 2, arrival) or unmounted (3, removal); DriveName is
// the mount point.
type VolumeEventProvider struct{ h *host }

// ProvideEvents starts watching mountinfo for one subscription.
func (p *VolumeEventProvider) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	class, err := req.Lookup("Win32_VolumeChangeEvent")
	if err != nil {
		return err
	}
	err = p.h.watchMounts(ctx, func(e mountEvent) {
		typ := uint16(3)
		if e.arrival {
			typ = 2
		}
		sink.Indicate(newRow(class).
			set("DriveName", cim.String(e.point)).
			set("EventType", cim.Uint16(typ)).
			set("DeviceName", str(e.source)).
			set("FileSystem", str(e.fstype)).
			set("TIME_CREATED", cim.Uint64(fileTime(time.Now()))).inst)
	})
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "cannot watch mountinfo: " + err.Error(), Err: err}
	}
	return nil
}
